//! Change notifications pushed by registries.

use super::{DeviceId, DeviceRecord};
use std::cmp::Ordering;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use twin_model::iothub::event_grid::SequenceNumber;
use twin_model::timestamp::Timestamp;

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
///
/// Sequences compare as unsigned hexadecimal numbers of any width (IoT Hub's
/// `sequenceNumber`, through `twin-model`'s ordering).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventOrder {
    time: Option<SystemTime>,
    sequence: Option<SequenceNumber>,
}

impl EventOrder {
    /// A position with neither a time nor a sequence (compares as unknown).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets when the registry says the change happened.
    #[must_use]
    pub fn with_time(mut self, time: SystemTime) -> Self {
        self.time = Some(time);
        self
    }

    /// Sets the per-device, strictly increasing sequence (hexadecimal text).
    #[must_use]
    pub fn with_sequence(mut self, sequence: impl Into<String>) -> Self {
        self.sequence = Some(SequenceNumber(sequence.into()));
        self
    }

    /// When the registry says the change happened, if it said so parseably.
    pub fn time(&self) -> Option<SystemTime> {
        self.time
    }

    /// The per-device sequence, if any.
    pub fn sequence(&self) -> Option<&str> {
        self.sequence.as_ref().map(|s| s.0.as_str())
    }

    /// Compares two positions: by sequence when both have one, else by time
    /// when both have one, else unknown.
    pub fn compare(&self, other: &Self) -> Option<Ordering> {
        if let (Some(a), Some(b)) = (&self.sequence, &other.sequence) {
            return Some(a.cmp(b));
        }
        match (self.time, other.time) {
            (Some(a), Some(b)) => Some(a.cmp(&b)),
            _ => None,
        }
    }
}

/// The instant of a `twin-model` timestamp, `None` for text that is no date
/// (IoT Hub's docs carry `2016-02-30`) or one `SystemTime` cannot hold.
pub(crate) fn system_time(stamp: &Timestamp) -> Option<SystemTime> {
    let instant = stamp.instant()?;
    let secs = Duration::from_secs(instant.secs.unsigned_abs());
    let whole = if instant.secs >= 0 {
        UNIX_EPOCH.checked_add(secs)?
    } else {
        UNIX_EPOCH.checked_sub(secs)?
    };
    whole.checked_add(Duration::from_nanos(u64::from(instant.nanos)))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn seq(s: &str) -> EventOrder {
        EventOrder::new().with_sequence(s)
    }

    #[test]
    fn sequences_compare_numerically() {
        assert_eq!(seq("0000ff").compare(&seq("100")), Some(Ordering::Less));
        assert_eq!(seq("00AB").compare(&seq("ab")), Some(Ordering::Equal));
        assert_eq!(seq("2").compare(&seq("10")), Some(Ordering::Less));
    }

    #[test]
    fn order_prefers_sequence_over_time() {
        let a = EventOrder::new().with_time(UNIX_EPOCH).with_sequence("2");
        let b = EventOrder::new()
            .with_time(UNIX_EPOCH + Duration::from_secs(3600))
            .with_sequence("1");
        assert_eq!(a.compare(&b), Some(Ordering::Greater));
        assert_eq!(EventOrder::default().compare(&a), None);
    }

    #[test]
    fn times_without_offset_and_impossible_dates() {
        let t = |s: &str| system_time(&Timestamp::parse(s));
        assert!(t("2018-01-02T19:17:44.4383997Z").is_some());
        assert!(t("0001-01-01T00:00:00").is_some());
        assert!(t("2016-02-30T16:24:48.789Z").is_none());
        assert_eq!(
            t("1970-01-01T00:00:01.5Z"),
            Some(UNIX_EPOCH + Duration::from_millis(1500))
        );
        assert_eq!(
            t("1969-12-31T23:59:59.25Z"),
            UNIX_EPOCH.checked_sub(Duration::from_millis(750))
        );
    }
}
