//! A full sync of N devices between two in-memory registries through the
//! file journal, optionally rate limited; prints the time, the achieved rate
//! and the journal audit.
//!
//! `cargo run --release -p registry-sync --example sync_scale -- 100000 [ops-per-second] [single|bulk|job]`
//!
//! With a rate limit, time is simulated (tokio's paused clock), so the run
//! shows the achieved rate against the allowed one without waiting for it.

use registry_sync::connectors::memory::MemoryRegistry;
use registry_sync::engine::{EngineConfig, RateLimit};
use registry_sync::journal::{FileJournal, JournalStore, audit};
use registry_sync::plan::DirectMapping;
use registry_sync::{DeviceRecord, Engine, Planner, Policy, Scope};
use std::sync::Arc;

#[tokio::main(flavor = "current_thread")]
async fn main() -> registry_sync::Result<()> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let rate: Option<f64> = args
        .next()
        .and_then(|a| a.parse().ok())
        .filter(|r: &f64| *r > 0.0);
    let route = args.next().unwrap_or_else(|| "bulk".into());
    if rate.is_some() {
        tokio::time::pause();
    }
    let master = Arc::new(MemoryRegistry::new("hub"));
    let replica = Arc::new(MemoryRegistry::new("tenant"));
    master.seed(
        (0..n).map(|i| DeviceRecord::new(format!("device-{i:08}")).with_attribute("fw", "1.0")),
    );
    let dir = tempfile::tempdir()
        .map_err(|e| registry_sync::Error::new(registry_sync::ErrorKind::Journal).with_source(e))?;
    let journal = Arc::new(FileJournal::open(dir.path().join("journal"))?);
    let mut config = EngineConfig::new();
    match route.as_str() {
        "single" => config.bulk_threshold(usize::MAX).job_threshold(usize::MAX),
        "job" => config.job_threshold(1),
        _ => config.job_threshold(usize::MAX),
    };
    if let Some(r) = rate {
        let limit = RateLimit::new(r, r.ceil().max(1.0) as u32);
        config.rate_limit(Some(limit));
        replica.throttle_above(Some(limit));
    }
    let planner = Planner::new(
        &Policy::new(Scope::tag("managedBy", "hub")),
        Arc::new(DirectMapping),
    )?;
    let engine = Engine::builder(master, replica.clone(), planner)
        .journal(journal.clone())
        .config(&config)
        .build()?;
    let wall = std::time::Instant::now();
    let clock = tokio::time::Instant::now();
    let report = engine.sync_once().await?;
    let simulated = clock.elapsed().as_secs_f64();
    let a = audit(&journal.load().await?);
    println!(
        "synced {n} devices ({route}): created {}, wall {:?}, clock {simulated:.1} s, achieved {:.1} ops/s, 429s {}, exactly once: {}",
        report.created,
        wall.elapsed(),
        n as f64 / simulated.max(1e-9),
        replica.throttled_calls(),
        a.is_exactly_once()
    );
    Ok(())
}
