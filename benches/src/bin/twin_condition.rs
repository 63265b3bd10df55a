//! Evaluates an IoT Hub target condition over 1,000,000 in-memory twins
//! (issue 5 goal: under 1 s on this machine), against a straightforward
//! hand-written `serde_json::Value` walk over the same twins in the same run.
//!
//! `cargo run --release -p benches --bin twin_condition -- --runs 7`
//!
//! Each figure is the median of `--runs` passes; the ratio is baseline time /
//! our time (higher is better), one core against one core and all cores
//! against all cores.

use clap::Parser;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use twin_model::condition::Condition;
use twin_model::iothub::twin::Twin;

/// The condition: tags, nested reported properties, string ordering,
/// `NOT`, `IN` over numbers.
const CONDITION: &str = "tags.env = 'prod' AND properties.reported.fw.version >= '2.0' \
                         AND NOT (tags.site.building IN [1, 2])";

#[derive(Parser, Debug)]
#[command(about = "target condition over N twins against a serde_json::Value walk")]
struct Args {
    /// Twins in memory.
    #[arg(long, default_value_t = 1_000_000)]
    twins: usize,
    /// Passes per variant; the median is reported.
    #[arg(long, default_value_t = 7)]
    runs: usize,
}

/// A twin as IoT Hub returns it, small but with the usual shape.
fn doc(i: usize) -> Value {
    json!({
        "deviceId": format!("dev-{i:07}"),
        "etag": "AAAAAAAAAAE=",
        "status": "enabled",
        "version": 4,
        "capabilities": {"iotEdge": i.is_multiple_of(10)},
        "tags": {
            "env": if i.is_multiple_of(3) { "prod" } else { "test" },
            "site": {"plant": format!("plant-{}", i % 13), "building": i % 5},
            "owner": "ops"
        },
        "properties": {
            "desired": {"interval": 30, "$version": 2},
            "reported": {
                "fw": {"version": format!("{}.{}", i % 4, i % 10), "state": "idle"},
                "battery": (i % 100) as f64,
                "$version": 7
            }
        }
    })
}

/// The same condition, hand-written over `serde_json::Value` with plain
/// `get` chains (no allocation; `Value::pointer` would allocate per segment).
fn value_walk(v: &Value) -> bool {
    let tags = v.get("tags");
    let env = tags.and_then(|t| t.get("env")).and_then(Value::as_str);
    let fw = v
        .get("properties")
        .and_then(|p| p.get("reported"))
        .and_then(|r| r.get("fw"))
        .and_then(|f| f.get("version"))
        .and_then(Value::as_str);
    let building = tags
        .and_then(|t| t.get("site"))
        .and_then(|s| s.get("building"))
        .and_then(Value::as_f64);
    env == Some("prod")
        && fw.is_some_and(|f| f >= "2.0")
        && building.is_some_and(|b| b != 1.0 && b != 2.0)
}

fn all_cores<T: Sync>(items: &[T], pred: impl Fn(&T) -> bool + Sync) -> usize {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = items.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let pred = &pred;
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| s.spawn(move || part.iter().filter(|t| pred(t)).count()))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a counting thread does not panic"))
            .sum()
    })
}

/// Median time of `runs` calls of `f`, each of which must return `expected`.
fn median(runs: usize, expected: usize, mut f: impl FnMut() -> usize) -> Duration {
    let mut times: Vec<Duration> = (0..runs.max(1))
        .map(|_| {
            let start = Instant::now();
            let n = f();
            let took = start.elapsed();
            assert_eq!(n, expected, "every variant selects the same twins");
            took
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let built = Instant::now();
    let values: Vec<Value> = (0..args.twins).map(doc).collect();
    let twins: Vec<Twin> = values
        .iter()
        .map(|v| serde_json::from_value(v.clone()))
        .collect::<Result<_, _>>()?;
    eprintln!(
        "built {} twins (and their Values) in {:?}",
        args.twins,
        built.elapsed()
    );

    let parse_start = Instant::now();
    let compiled = Condition::parse(CONDITION)?.compile();
    let parse = parse_start.elapsed();
    let expected = values.iter().filter(|v| value_walk(v)).count();

    let ours_one = median(args.runs, expected, || {
        twins.iter().filter(|t| compiled.matches(t)).count()
    });
    let ours_all = median(args.runs, expected, || compiled.count_matches(&twins));
    let walk_one = median(args.runs, expected, || {
        values.iter().filter(|v| value_walk(v)).count()
    });
    let walk_all = median(args.runs, expected, || all_cores(&values, value_walk));

    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "twins {}, selected {expected}, cores {cores}, median of {} runs; condition parsed and compiled in {parse:?}",
        args.twins, args.runs
    );
    println!(
        "one core:  compiled condition {:.1} ms, serde_json::Value walk {:.1} ms, ratio {:.2}",
        ms(ours_one),
        ms(walk_one),
        walk_one.as_secs_f64() / ours_one.as_secs_f64()
    );
    println!(
        "all cores: compiled condition {:.1} ms, serde_json::Value walk {:.1} ms, ratio {:.2}",
        ms(ours_all),
        ms(walk_all),
        walk_all.as_secs_f64() / ours_all.as_secs_f64()
    );
    let goal = Duration::from_secs(1);
    println!(
        "goal < 1 s: one core {}, all cores {}",
        if ours_one < goal { "met" } else { "NOT met" },
        if ours_all < goal { "met" } else { "NOT met" }
    );
    Ok(())
}
