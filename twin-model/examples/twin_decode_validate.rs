//! Decodes and validates a twin of about 32 KB of reported properties, as
//! a ratio against parsing the same bytes into `serde_json::Value`.
//!
//! Run with `cargo run --release -p twin-model --example twin_decode_validate`.

use std::hint::black_box;
use std::time::Instant;

use serde_json::{Map, Value, json};
use twin_model::iothub::twin::Twin;

const ROUNDS: u32 = 2000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut reported = Map::new();
    for i in 0..290 {
        reported.insert(
            format!("p{i:04}"),
            json!({"v": "x".repeat(90), "n": i, "ok": true}),
        );
    }
    let doc = json!({
        "deviceId": "pump-7", "etag": "AAAAAAAAAAE=", "status": "enabled", "version": 12,
        "statusUpdateTime": "0001-01-01T00:00:00", "lastActivityTime": "2018-01-02T19:17:44.4383997Z",
        "tags": {"env": "prod"},
        "properties": {"reported": Value::Object(reported), "desired": {"$version": 3}}
    });
    let bytes = serde_json::to_vec(&doc)?;
    let twin = Twin::from_json_validated(&bytes)?;
    let size = twin_model::validate::twin::check_section(
        "properties.reported",
        twin.reported().ok_or("no reported")?,
        twin_model::validate::twin::PROPERTIES_MAX_BYTES,
        &mut Vec::new(),
    );
    println!(
        "document: {} bytes, reported counted by iot hub rules: {} bytes",
        bytes.len(),
        size.iothub_size
    );

    let start = Instant::now();
    for _ in 0..ROUNDS {
        black_box(Twin::from_json_validated(black_box(&bytes))?);
    }
    let ours = start.elapsed() / ROUNDS;
    let start = Instant::now();
    for _ in 0..ROUNDS {
        black_box(serde_json::from_slice::<Value>(black_box(&bytes))?);
    }
    let value = start.elapsed() / ROUNDS;
    println!("decode + validate: {ours:?} per twin");
    println!("serde_json::Value parse: {value:?} per twin");
    println!("ratio: {:.2}", ours.as_secs_f64() / value.as_secs_f64());
    Ok(())
}
