//! Parses arbitrary text as a target condition; whatever parses is
//! compiled, evaluated and translated to RSQL. Nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use twin_model::condition::Condition;
use twin_model::condition::rsql::to_target_filter;
use twin_model::iothub::twin::Twin;
use twin_model::mapping::attributes::AttributeOptions;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(cond) = Condition::parse(text) {
        let twin: Twin = serde_json::from_str(
            r#"{"deviceId":"d","tags":{"a":1,"b":{"c":"x"}},"properties":{"reported":{"a":true}}}"#,
        )
        .unwrap_or_default();
        let _ = cond.compile().evaluate(&twin);
        let _ = to_target_filter(&cond, &AttributeOptions::default());
    }
});
