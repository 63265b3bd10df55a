//! Plans N versus N devices with 1 % drift and prints the time taken.
//!
//! `cargo run --release -p registry-sync --example plan_scale -- 1000000`

use registry_sync::model::{Credentials, Secret, Snapshot};
use registry_sync::plan::{DirectMapping, MassDeleteGuard};
use registry_sync::{DeviceRecord, Planner, Policy, Scope};
use std::sync::Arc;
use std::time::Instant;

fn main() -> registry_sync::Result<()> {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let keys = std::env::args().nth(2).as_deref() != Some("nokeys");
    let device = |i: usize| {
        let d = DeviceRecord::new(format!("device-{i:08}"))
            .with_tag("site", "plant-7")
            .with_attribute("fw", "1.0.3");
        if keys {
            d.with_credentials(Credentials::new(
                Secret::new(format!("{i:044}")),
                Some(Secret::new(format!("{:044}", i + 1))),
            ))
        } else {
            d
        }
    };
    let owned = |d: DeviceRecord| d.with_tag("managedBy", "hub1");
    let built = Instant::now();
    let master = Snapshot::from_records((0..n).map(device))?;
    let replica = Snapshot::from_records((0..n).map(|i| match i % 100 {
        0 => owned(device(i).with_attribute("fw", "0.9")),
        _ => owned(device(i)),
    }))?;
    eprintln!("built 2 x {n} records in {:?}", built.elapsed());
    let mut policy = Policy::new(Scope::tag("managedBy", "hub1"));
    policy.guard(MassDeleteGuard::new().max_fraction(0.05).min_count(0));
    let planner = Planner::new(&policy, Arc::new(DirectMapping))?;
    let started = Instant::now();
    let plan = planner.plan(&master, &replica)?;
    let took = started.elapsed();
    println!(
        "planned {n} vs {n}: {} operations in {took:?}",
        plan.operations().len()
    );
    Ok(())
}
