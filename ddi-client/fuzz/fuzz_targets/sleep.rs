//! The `sleep` parser and clamping on arbitrary text: no panic, and the
//! interval always lies within the bounds.
#![no_main]

use std::time::Duration;

use ddi_client::model::{PollingBounds, parse_sleep};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = parse_sleep(text);
    let bounds = PollingBounds::new(Duration::from_secs(1), Duration::from_secs(3600)).expect("valid bounds");
    let i = bounds.interval(Some(text));
    assert!(i >= Duration::from_secs(1) && i <= Duration::from_secs(3600));
});
