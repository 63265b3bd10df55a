//! The lifecycle route decoder must never panic, whatever the body and opType.
#![no_main]

use libfuzzer_sys::fuzz_target;
use registry_sync::connectors::lifecycle::{LifecycleProperties, decode_lifecycle};

fuzz_target!(|input: (&str, &[u8])| {
    let (op_type, body) = input;
    let props = LifecycleProperties::new(op_type);
    if let Ok(e) = decode_lifecycle(&props, body) {
        assert!(!e.device.as_str().is_empty());
    }
});
