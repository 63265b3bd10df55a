//! Drops duplicate and out-of-order change events. Pure.

use super::IgnoreReason;
use crate::model::{ChangeEvent, DeviceId, EventOrder};
use std::cmp::Ordering;
use std::collections::{HashMap, HashSet, VecDeque};

/// Remembers recent event ids and the newest position seen per device.
///
/// Delivery is at-least-once and unordered: an id seen among the last
/// `capacity` events is a duplicate; a lifecycle event older than one already
/// admitted for the same device is stale. Events whose order cannot be
/// compared (no time, no sequence) are admitted: the engine reads both
/// registries before acting, so a late event cannot undo a newer state.
#[derive(Debug)]
pub struct EventFilter {
    capacity: usize,
    seen: HashSet<String>,
    order: VecDeque<String>,
    newest: HashMap<DeviceId, EventOrder>,
}

impl EventFilter {
    /// A filter remembering the last `capacity` event ids (at least 1).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            seen: HashSet::new(),
            order: VecDeque::new(),
            newest: HashMap::new(),
        }
    }

    /// Whether to process `event`, and if not, why.
    pub fn admit(&mut self, event: &ChangeEvent) -> Result<(), IgnoreReason> {
        if self.seen.contains(&event.id) {
            return Err(IgnoreReason::Duplicate);
        }
        self.remember(&event.id);
        if !event.kind.is_lifecycle() {
            return Err(IgnoreReason::NotLifecycle);
        }
        match self.newest.get(&event.device) {
            Some(newest) if event.order.compare(newest) == Some(Ordering::Less) => {
                Err(IgnoreReason::Stale)
            }
            Some(newest) if event.order.compare(newest).is_none() => Ok(()),
            _ => {
                self.newest
                    .insert(event.device.clone(), event.order.clone());
                Ok(())
            }
        }
    }

    fn remember(&mut self, id: &str) {
        self.seen.insert(id.to_owned());
        self.order.push_back(id.to_owned());
        while self.order.len() > self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.seen.remove(&old);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ChangeKind;

    fn ev(id: &str, kind: ChangeKind, seq: &str) -> ChangeEvent {
        ChangeEvent::new(id, "dev", kind).with_order(EventOrder::new().with_sequence(seq))
    }

    #[test]
    fn duplicates_stale_and_non_lifecycle() {
        let mut f = EventFilter::new(8);
        assert_eq!(f.admit(&ev("a", ChangeKind::Deleted, "2")), Ok(()));
        assert_eq!(
            f.admit(&ev("a", ChangeKind::Deleted, "2")),
            Err(IgnoreReason::Duplicate)
        );
        assert_eq!(
            f.admit(&ev("b", ChangeKind::Created, "1")),
            Err(IgnoreReason::Stale)
        );
        assert_eq!(f.admit(&ev("c", ChangeKind::Created, "3")), Ok(()));
        assert_eq!(
            f.admit(&ev("d", ChangeKind::Connected, "4")),
            Err(IgnoreReason::NotLifecycle)
        );
    }

    #[test]
    fn memory_of_ids_is_bounded() {
        let mut f = EventFilter::new(2);
        for id in ["a", "b", "c"] {
            assert!(
                f.admit(&ChangeEvent::new(id, id, ChangeKind::Created))
                    .is_ok()
            );
        }
        assert!(
            f.admit(&ChangeEvent::new("a", "a", ChangeKind::Created))
                .is_ok()
        );
        assert_eq!(f.seen.len(), 2);
    }
}
