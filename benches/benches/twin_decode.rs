//! Decode plus validate an IoT Hub device twin, against parsing the same bytes
//! into `serde_json::Value` in the same run (issue 5; no numeric goal, the
//! figure is the ratio).
//!
//! Two documents, both realistic twins as the service returns them (every
//! top-level field, nested tags, desired and reported properties with their
//! `$metadata` trees and `$version`s):
//!
//! * `twin_decode_32k`: a 32 KB document (compact JSON), sections in a
//!   typical proportion;
//! * `twin_decode_at_limits`: the largest legal twin shape, tags near 8 KB and
//!   desired and reported each near 32 KB as IoT Hub counts them (the JSON is
//!   much larger, because `$metadata` is not counted).
//!
//! `cargo bench -p benches --bench twin_decode`, then
//! `cargo run -p benches --bin ratios` prints the ratios.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Map, Value, json};
use std::hint::black_box;
use twin_model::iothub::twin::Twin;
use twin_model::validate::twin::{PROPERTIES_MAX_BYTES, TAGS_MAX_BYTES, check_section};

const STAMP: &str = "2024-05-01T12:00:00.1234567Z";
const DESIRED_VERSION: i64 = 42;

/// The `$metadata` tree IoT Hub keeps beside a property tree: a stamp on
/// every object and leaf (`$lastUpdatedVersion` in desired only).
fn metadata(value: &Map<String, Value>, desired: bool) -> Value {
    fn stamp(desired: bool) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("$lastUpdated".into(), json!(STAMP));
        if desired {
            m.insert("$lastUpdatedVersion".into(), json!(DESIRED_VERSION));
        }
        m
    }
    let mut node = stamp(desired);
    for (k, v) in value {
        let child = match v {
            Value::Object(o) => metadata(o, desired),
            _ => Value::Object(stamp(desired)),
        };
        node.insert(k.clone(), child);
    }
    Value::Object(node)
}

fn tag_item(i: usize) -> (String, Value) {
    (
        format!("line{i:03}"),
        json!({
            "station": format!("st-{:04}", i * 7),
            "owner": {"team": "ops-emea-plant7", "contact": "ops-plant7@example.com"},
            "window": {"day": i % 7, "start": "02:00", "hours": 3},
            "labels": ["critical", "pump", "outdoor"]
        }),
    )
}

fn desired_item(i: usize) -> (String, Value) {
    (
        format!("ch{i:03}"),
        json!({
            "unit": "degC", "scale": 0.01, "offset": -40, "enabled": !i.is_multiple_of(3),
            "thresholds": {"low": -10 - (i as i64), "high": 85, "hysteresis": 2},
            "sampling": {"intervalMs": 1000 * (1 + i % 5), "aggregate": "avg"}
        }),
    )
}

fn reported_item(i: usize) -> (String, Value) {
    (
        format!("sensor{i:03}"),
        json!({
            "model": "TMP117", "serial": format!("SN-{:010}", i * 7919),
            "value": 21.5 + i as f64 / 10.0, "ok": true, "errors": i % 4,
            "calibration": {"date": "2024-03-01", "by": "lab-3", "coefficients": [1.0002, -0.0031, 0.00001]},
            "link": {"rssi": -60 - (i % 20) as i64, "retries": i % 3}
        }),
    )
}

/// A twin whose sections hold `tags`, `desired` and `reported` generated
/// items, beside fixed realistic content.
fn twin(tags: usize, desired: usize, reported: usize) -> Value {
    let mut tag_map = Map::new();
    tag_map.insert("env".into(), json!("prod"));
    tag_map.insert(
        "site".into(),
        json!({"plant": "plant-7", "building": 4, "floor": {"level": 2, "zone": "B"}}),
    );
    tag_map.extend((0..tags).map(tag_item));

    let mut desired_map = Map::new();
    desired_map.insert(
        "firmware".into(),
        json!({"version": "2.4.1", "url": "https://updates.example.com/fw/2.4.1.bin", "sha256": "9f".repeat(32)}),
    );
    let channels: Map<String, Value> = (0..desired).map(desired_item).collect();
    desired_map.insert("telemetry".into(), json!({"channels": channels}));

    let mut reported_map = Map::new();
    reported_map.insert(
        "firmware".into(),
        json!({"version": "2.4.0", "state": "idle", "lastUpdate": {"result": "success", "at": STAMP}}),
    );
    reported_map.insert(
        "device".into(),
        json!({"manufacturer": "Contoso", "model": "PX-7", "os": {"name": "Linux", "kernel": "6.1.55"}}),
    );
    reported_map.extend((0..reported).map(reported_item));

    let mut desired_section = desired_map.clone();
    desired_section.insert("$metadata".into(), metadata(&desired_map, true));
    desired_section.insert("$version".into(), json!(DESIRED_VERSION));
    let mut reported_section = reported_map.clone();
    reported_section.insert("$metadata".into(), metadata(&reported_map, false));
    reported_section.insert("$version".into(), json!(1317));

    json!({
        "deviceId": "plant7-pump-0042", "etag": "AAAAAAAAAAc=", "deviceEtag": "NzQ1MjYyNDc1",
        "status": "enabled", "statusReason": "provisioned by DPS",
        "statusUpdateTime": "0001-01-01T00:00:00", "connectionState": "Connected",
        "lastActivityTime": "2024-05-01T12:03:11.4383997Z", "cloudToDeviceMessageCount": 0,
        "authenticationType": "sas",
        "x509Thumbprint": {"primaryThumbprint": null, "secondaryThumbprint": null},
        "modelId": "dtmi:com:example:Pump;1", "version": 1401,
        "capabilities": {"iotEdge": false},
        "tags": tag_map,
        "properties": {"desired": desired_section, "reported": reported_section}
    })
}

fn bytes(doc: &Value) -> Vec<u8> {
    serde_json::to_vec(doc).expect("a JSON value serializes")
}

/// The smallest twin of the typical proportion (tags, desired and reported
/// items 1 : 1 : 2) that is at least 32 KiB.
fn twin_32k() -> Vec<u8> {
    (4..)
        .map(|m| bytes(&twin(m / 4, m / 4, m - 2 * (m / 4))))
        .find(|b| b.len() >= 32 * 1024)
        .expect("twins grow without bound")
}

/// Grows one section while it stays within `fraction` of `limit` as IoT Hub
/// counts; returns the item count.
fn fill(limit: usize, fraction: f64, size_with: impl Fn(usize) -> usize) -> usize {
    let budget = (limit as f64 * fraction) as usize;
    (0..)
        .take_while(|n| size_with(*n + 1) <= budget)
        .last()
        .map_or(0, |n| n + 1)
}

fn section_size(doc: &Value, pointer: &str) -> usize {
    let section = doc
        .pointer(pointer)
        .and_then(Value::as_object)
        .expect("the generated twin has the section");
    let mut section = section.clone();
    section.remove("$metadata");
    section.remove("$version");
    check_section(pointer, &section, usize::MAX, &mut Vec::new()).iothub_size
}

/// Tags, desired and reported each filled to about 97 % of their limits.
fn twin_at_limits() -> Vec<u8> {
    let tags = fill(TAGS_MAX_BYTES, 0.97, |n| {
        section_size(&twin(n, 0, 0), "/tags")
    });
    let desired = fill(PROPERTIES_MAX_BYTES, 0.97, |n| {
        section_size(&twin(0, n, 0), "/properties/desired")
    });
    let reported = fill(PROPERTIES_MAX_BYTES, 0.97, |n| {
        section_size(&twin(0, 0, n), "/properties/reported")
    });
    bytes(&twin(tags, desired, reported))
}

fn describe(name: &str, doc: &[u8]) {
    let twin = Twin::from_json_validated(doc).expect("the generated twin is valid");
    let size = |m: Option<&Map<String, Value>>, limit| {
        m.map_or(0, |m| {
            check_section("s", m, limit, &mut Vec::new()).iothub_size
        })
    };
    eprintln!(
        "{name}: {} bytes of JSON; IoT Hub sizes: tags {} / {TAGS_MAX_BYTES}, desired {} / {PROPERTIES_MAX_BYTES}, reported {} / {PROPERTIES_MAX_BYTES}",
        doc.len(),
        size(twin.tags.as_ref(), TAGS_MAX_BYTES),
        size(twin.desired(), PROPERTIES_MAX_BYTES),
        size(twin.reported(), PROPERTIES_MAX_BYTES),
    );
}

fn group(c: &mut Criterion, name: &str, doc: &[u8]) {
    describe(name, doc);
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Bytes(doc.len() as u64));
    // Baseline: the generic parse any consumer of the JSON would do.
    g.bench_function("serde_json_value", |b| {
        b.iter(|| {
            black_box(serde_json::from_slice::<Value>(black_box(doc)).expect("valid JSON"));
        });
    });
    g.bench_function("decode_validate", |b| {
        b.iter(|| {
            black_box(Twin::from_json_validated(black_box(doc)).expect("valid twin"));
        });
    });
    g.finish();
}

fn decode(c: &mut Criterion) {
    group(c, "twin_decode_32k", &twin_32k());
    group(c, "twin_decode_at_limits", &twin_at_limits());
}

criterion_group!(benches, decode);
criterion_main!(benches);
