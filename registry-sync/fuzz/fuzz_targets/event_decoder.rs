//! The Event Grid / CloudEvents decoder must never panic, whatever the body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use registry_sync::connectors::event_grid::{EventGridMessage, decode_event_grid};

fuzz_target!(|data: &[u8]| {
    if let Ok(items) = decode_event_grid(data) {
        for item in items.into_iter().flatten() {
            if let EventGridMessage::Change(e) = item {
                // Every decoded event names a device, and ordering is reflexive.
                assert!(!e.device.as_str().is_empty());
                assert!(!matches!(
                    e.order.compare(&e.order),
                    Some(std::cmp::Ordering::Less | std::cmp::Ordering::Greater)
                ));
            }
        }
    }
});
