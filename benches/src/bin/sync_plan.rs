//! Plans 1,000,000 master devices against 1,000,000 replica devices with 1 %
//! drift (issue 6 goal: under 1 s and under 1 GiB), against a plain HashMap
//! diff of the same records in the same run.
//!
//! `cargo run --release -p benches --bin sync_plan -- --runs 5`
//!
//! Times are medians of `--runs` passes over the same snapshots. Peak memory
//! is measured in separate child processes (this binary re-run with
//! `--child`), each reading its own `VmHWM` from `/proc/self/status`: one
//! that only builds the two snapshots, one that builds them and plans.

use clap::{Parser, ValueEnum};
use registry_sync::model::{Credentials, Secret, Snapshot};
use registry_sync::plan::{DirectMapping, MassDeleteGuard, Plan};
use registry_sync::{DeviceRecord, Planner, Policy, Scope};
use std::collections::HashMap;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

const OWNER: (&str, &str) = ("managedBy", "hub1");

#[derive(Parser, Debug)]
#[command(about = "plan N vs N devices with 1 % drift, against a HashMap diff")]
struct Args {
    /// Devices on each side.
    #[arg(long, default_value_t = 1_000_000)]
    devices: usize,
    /// Timed passes of each variant; the median is reported.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Internal: run one peak-memory measurement and print it.
    #[arg(long, value_enum)]
    child: Option<Child>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Child {
    /// Build both snapshots only.
    Build,
    /// Build both snapshots and plan once.
    Plan,
}

/// A master device: id, a tag, an attribute and a pair of symmetric keys.
fn device(i: usize) -> DeviceRecord {
    DeviceRecord::new(format!("device-{i:08}"))
        .with_tag("site", "plant-7")
        .with_attribute("fw", "1.0.3")
        .with_credentials(Credentials::new(
            Secret::new(format!("{i:044}")),
            Some(Secret::new(format!("{:044}", i + 1))),
        ))
}

/// Both sides; every 100th replica device carries an outdated attribute.
fn snapshots(n: usize) -> registry_sync::Result<(Snapshot, Snapshot)> {
    let master = Snapshot::from_records((0..n).map(device))?;
    let replica = Snapshot::from_records((0..n).map(|i| {
        let d = device(i).with_tag(OWNER.0, OWNER.1);
        if i.is_multiple_of(100) {
            d.with_attribute("fw", "0.9")
        } else {
            d
        }
    }))?;
    Ok((master, replica))
}

fn planner() -> registry_sync::Result<Planner> {
    let mut policy = Policy::new(Scope::tag(OWNER.0, OWNER.1));
    policy.guard(MassDeleteGuard::new().max_fraction(0.05).min_count(0));
    Planner::new(&policy, Arc::new(DirectMapping))
}

/// What the HashMap diff decides for one device.
#[derive(Debug, PartialEq, Eq)]
enum Diff<'a> {
    Create(&'a DeviceRecord),
    Update(&'a DeviceRecord),
    Delete(&'a DeviceRecord),
}

/// The obvious diff: index the owned replica devices by id, walk the master,
/// compare what the sync writes (status, keys, attributes, tags plus the
/// ownership tag), and whatever is left in the index is deleted.
fn hashmap_diff<'a>(master: &'a [DeviceRecord], replica: &'a [DeviceRecord]) -> Vec<Diff<'a>> {
    let mut index: HashMap<&str, &DeviceRecord> = replica
        .iter()
        .filter(|d| d.tags.get(OWNER.0) == Some(OWNER.1))
        .map(|d| (d.id.as_str(), d))
        .collect();
    let mut out = Vec::new();
    for m in master {
        match index.remove(m.id.as_str()) {
            None => out.push(Diff::Create(m)),
            Some(r) => {
                let tags_match = r.tags.len() == m.tags.len() + 1
                    && m.tags.iter().all(|(k, v)| r.tags.get(k) == Some(v));
                if r.status != m.status
                    || r.credentials != m.credentials
                    || r.attributes != m.attributes
                    || !tags_match
                {
                    out.push(Diff::Update(m));
                }
            }
        }
    }
    out.extend(index.into_values().map(Diff::Delete));
    out
}

fn median(runs: usize, mut f: impl FnMut() -> usize) -> (Duration, usize) {
    let mut out: Vec<(Duration, usize)> = (0..runs.max(1))
        .map(|_| {
            let start = Instant::now();
            let n = f();
            (start.elapsed(), n)
        })
        .collect();
    out.sort();
    out[out.len() / 2]
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

fn child(which: Child, n: usize) -> Result<(), Box<dyn std::error::Error>> {
    let (master, replica) = snapshots(n)?;
    let ops = match which {
        Child::Build => 0,
        Child::Plan => planner()?.plan(&master, &replica)?.operations().len(),
    };
    std::hint::black_box((&master, &replica));
    println!(
        "{} {ops}",
        peak_rss_kib().ok_or("no VmHWM in /proc/self/status")?
    );
    Ok(())
}

/// Runs this binary as a child and returns its peak RSS in KiB.
fn measure_child(which: &str, n: usize) -> Result<u64, Box<dyn std::error::Error>> {
    let out = Command::new(std::env::current_exe()?)
        .args(["--devices", &n.to_string(), "--child", which])
        .output()?;
    if !out.status.success() {
        return Err(format!(
            "child {which} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    let text = String::from_utf8(out.stdout)?;
    let kib = text
        .split_whitespace()
        .next()
        .ok_or("child printed nothing")?
        .parse()?;
    Ok(kib)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let n = args.devices;
    if let Some(which) = args.child {
        return child(which, n);
    }

    let built = Instant::now();
    let (master, replica) = snapshots(n)?;
    eprintln!("built 2 x {n} records in {:?}", built.elapsed());
    let planner = planner()?;
    let plan: Plan = planner.plan(&master, &replica)?;
    let expected = plan.operations().len();
    assert_eq!(expected, n.div_ceil(100), "1 % of the devices drifted");
    let baseline_ops = hashmap_diff(master.devices(), replica.devices());
    assert_eq!(baseline_ops.len(), expected, "both diffs find the drift");
    assert!(baseline_ops.iter().all(|d| matches!(d, Diff::Update(_))));
    drop(baseline_ops);

    let (ours, ours_n) = median(args.runs, || {
        planner
            .plan(&master, &replica)
            .map_or(usize::MAX, |p| p.operations().len())
    });
    let (base, base_n) = median(args.runs, || {
        hashmap_diff(master.devices(), replica.devices()).len()
    });
    assert_eq!((ours_n, base_n), (expected, expected));
    drop((master, replica));

    let build_kib = measure_child("build", n)?;
    let plan_kib = measure_child("plan", n)?;
    let gib = 1024.0 * 1024.0;
    println!(
        "planned {n} vs {n} devices, {expected} operations (1 % drift), median of {} runs",
        args.runs
    );
    println!(
        "planner {:.1} ms, HashMap diff {:.1} ms, ratio {:.2} (HashMap time / planner time)",
        ours.as_secs_f64() * 1e3,
        base.as_secs_f64() * 1e3,
        base.as_secs_f64() / ours.as_secs_f64()
    );
    println!(
        "peak RSS (VmHWM, separate processes): snapshots only {:.1} MiB, snapshots + plan {:.1} MiB",
        build_kib as f64 / 1024.0,
        plan_kib as f64 / 1024.0
    );
    println!(
        "goal < 1 s: {}; goal < 1 GiB: {}",
        if ours < Duration::from_secs(1) {
            "met"
        } else {
            "NOT met"
        },
        if (plan_kib as f64) < gib {
            "met"
        } else {
            "NOT met"
        }
    );
    Ok(())
}
