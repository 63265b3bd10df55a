//! Change notifications pushed by registries, and the trait for their sources.

use crate::device::{DeviceId, DeviceRecord};
use crate::error::Result;
use async_trait::async_trait;
use std::cmp::Ordering;
use std::fmt::Debug;
use time::OffsetDateTime;

/// What happened to a device.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    /// The device was created.
    Created,
    /// The device was deleted.
    Deleted,
    /// The device record or twin changed.
    Updated,
    /// The device connected (not a registry change).
    Connected,
    /// The device disconnected (not a registry change).
    Disconnected,
    /// An event type this crate does not know, kept verbatim.
    Other(String),
}

impl ChangeKind {
    /// Whether the registry's identity set or records changed.
    pub fn is_lifecycle(&self) -> bool {
        matches!(self, Self::Created | Self::Deleted | Self::Updated)
    }
}

/// Where an event sits in its device's history.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventOrder {
    /// When the registry says the change happened, if it said so parseably.
    pub time: Option<OffsetDateTime>,
    /// A per-device, strictly increasing sequence (IoT Hub connection events: hex text).
    pub sequence: Option<String>,
}

impl EventOrder {
    /// Compares two positions: by sequence when both have one, else by time
    /// when both have one, else unknown.
    pub fn compare(&self, other: &Self) -> Option<Ordering> {
        if let (Some(a), Some(b)) = (&self.sequence, &other.sequence) {
            return Some(compare_sequence(a, b));
        }
        match (self.time, other.time) {
            (Some(a), Some(b)) => Some(a.cmp(&b)),
            _ => None,
        }
    }
}

/// Compares hex sequence numbers of any length numerically, case-insensitively.
fn compare_sequence(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| {
        a.bytes()
            .map(|c| c.to_ascii_lowercase())
            .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
    })
}

/// A change notification, whatever its wire format was.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeEvent {
    /// The event id (used to drop duplicates).
    pub id: String,
    /// The device.
    pub device: DeviceId,
    /// What happened.
    pub kind: ChangeKind,
    /// Its position in the device's history.
    pub order: EventOrder,
    /// The registry (IoT Hub name) that emitted it, if known.
    pub source: Option<String>,
    /// The device record carried by the event (IoT Hub: the twin), if any.
    pub record: Option<DeviceRecord>,
}

impl ChangeEvent {
    /// An event with no order, source or record.
    pub fn new(id: impl Into<String>, device: impl Into<DeviceId>, kind: ChangeKind) -> Self {
        Self {
            id: id.into(),
            device: device.into(),
            kind,
            order: EventOrder::default(),
            source: None,
            record: None,
        }
    }

    /// Sets the order.
    #[must_use]
    pub fn with_order(mut self, order: EventOrder) -> Self {
        self.order = order;
        self
    }
}

/// A registry that pushes changes (Event Grid subscription, message route, the
/// in-memory registry's feed).
///
/// `next` returns `Ok(None)` when the source is closed for good, and `Err` for
/// one bad event or batch: the engine records the error and keeps reading.
#[async_trait]
pub trait EventSource: Send + Sync + Debug + 'static {
    /// The next event.
    async fn next(&self) -> Result<Option<ChangeEvent>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequences_compare_numerically() {
        assert_eq!(compare_sequence("0000ff", "100"), Ordering::Less);
        assert_eq!(compare_sequence("00AB", "ab"), Ordering::Equal);
        assert_eq!(compare_sequence("2", "10"), Ordering::Less);
    }

    #[test]
    fn order_prefers_sequence_over_time() {
        let a = EventOrder {
            time: Some(OffsetDateTime::UNIX_EPOCH),
            sequence: Some("2".into()),
        };
        let b = EventOrder {
            time: Some(OffsetDateTime::UNIX_EPOCH + time::Duration::hours(1)),
            sequence: Some("1".into()),
        };
        assert_eq!(a.compare(&b), Some(Ordering::Greater));
        assert_eq!(EventOrder::default().compare(&a), None);
    }
}
