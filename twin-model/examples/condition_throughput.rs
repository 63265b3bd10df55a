//! Evaluates a target condition over 1,000,000 in-memory twins and
//! compares with a straightforward `serde_json::Value` walk.
//!
//! Run with `cargo run --release -p twin-model --example condition_throughput`.

use std::time::Instant;

use serde_json::{Value, json};
use twin_model::condition::Condition;
use twin_model::iothub::twin::Twin;

const N: usize = 1_000_000;
const CONDITION: &str = "tags.env = 'prod' AND properties.reported.fw.version >= '2.0' AND NOT (tags.site.building IN [1, 2])";

fn doc(i: usize) -> Value {
    json!({
        "deviceId": format!("dev-{i}"),
        "tags": {"env": if i.is_multiple_of(3) { "prod" } else { "test" }, "site": {"building": i % 5}},
        "properties": {"reported": {"fw": {"version": format!("{}.{}", i % 4, i % 10)}}}
    })
}

/// The same condition, hand-written over `serde_json::Value`.
fn value_walk(v: &Value) -> bool {
    let env = v
        .get("tags")
        .and_then(|t| t.get("env"))
        .and_then(Value::as_str);
    let fw = v
        .get("properties")
        .and_then(|p| p.get("reported"))
        .and_then(|r| r.get("fw"))
        .and_then(|f| f.get("version"))
        .and_then(Value::as_str);
    let building = v
        .get("tags")
        .and_then(|t| t.get("site"))
        .and_then(|s| s.get("building"))
        .and_then(Value::as_f64);
    matches!(env, Some("prod"))
        && fw.is_some_and(|f| f >= "2.0")
        && building.is_some_and(|b| b != 1.0 && b != 2.0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let values: Vec<Value> = (0..N).map(doc).collect();
    let twins: Vec<Twin> = values
        .iter()
        .map(|v| serde_json::from_value(v.clone()))
        .collect::<Result<_, _>>()?;

    let start = Instant::now();
    let compiled = Condition::parse(CONDITION)?.compile();
    let single: usize = twins.iter().filter(|t| compiled.matches(t)).count();
    let single_time = start.elapsed();

    let start = Instant::now();
    let parallel = compiled.count_matches(&twins);
    let parallel_time = start.elapsed();

    let start = Instant::now();
    let baseline = values.iter().filter(|v| value_walk(v)).count();
    let baseline_time = start.elapsed();

    assert_eq!(single, baseline);
    assert_eq!(parallel, baseline);
    println!("twins: {N}, selected: {single}");
    println!("compiled, one core:  {single_time:?}");
    println!("compiled, all cores: {parallel_time:?}");
    println!("serde_json::Value walk (hand-written, one core): {baseline_time:?}");
    println!(
        "ratio compiled/one core vs value walk: {:.2}",
        single_time.as_secs_f64() / baseline_time.as_secs_f64()
    );
    Ok(())
}
