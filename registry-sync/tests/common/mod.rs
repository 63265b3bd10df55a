//! Fixtures shared by the engine tests.
#![allow(dead_code, unreachable_pub)]

pub mod logs;

use registry_sync::connectors::memory::{MemoryRegistry, MutationKind};
use registry_sync::engine::{EngineConfig, RetryPolicy};
use registry_sync::journal::JournalStore;
use registry_sync::plan::{DirectMapping, MassDeleteGuard};
use registry_sync::{DeviceRecord, Engine, Planner, Policy, Scope};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

pub const OWNER: (&str, &str) = ("managedBy", "hub1");

pub fn owned(d: DeviceRecord) -> DeviceRecord {
    d.with_tag(OWNER.0, OWNER.1)
}

pub fn policy() -> Policy {
    Policy::new(Scope::tag(OWNER.0, OWNER.1))
}

pub fn planner(policy: Policy) -> Planner {
    Planner::new(&policy, Arc::new(DirectMapping)).expect("valid policy")
}

/// A retry policy without jitter: `attempts` in all, `initial` doubling up to
/// `max`, within `total`.
pub fn retry(attempts: u32, initial: Duration, max: Duration, total: Duration) -> RetryPolicy {
    let mut r = RetryPolicy::new();
    r.max_attempts(attempts)
        .initial_delay(initial)
        .max_delay(max)
        .time_limit(total)
        .jitter(0.0);
    r
}

/// A guard allowing `fraction` of the owned devices, at least `min` removals.
pub fn guard(fraction: f64, min: usize) -> MassDeleteGuard {
    let mut g = MassDeleteGuard::new();
    g.max_fraction(fraction).min_count(min);
    g
}

/// Master with `n` devices; replica with the drift described in the return value.
pub struct Drift {
    pub master: Arc<MemoryRegistry>,
    pub replica: Arc<MemoryRegistry>,
    pub creates: usize,
    pub updates: usize,
    pub deletes: usize,
}

pub fn drift(n: usize) -> Drift {
    let master = Arc::new(MemoryRegistry::new("master"));
    let replica = Arc::new(MemoryRegistry::new("replica"));
    let dev = |i: usize| DeviceRecord::new(format!("dev-{i:05}")).with_attribute("fw", "2");
    master.seed((0..n).map(dev));
    let (mut creates, mut updates, mut deletes) = (0, 0, 0);
    let mut r = Vec::new();
    for i in 0..n {
        match i % 4 {
            0 => creates += 1,
            1 => {
                updates += 1;
                r.push(owned(dev(i).with_attribute("fw", "1")));
            }
            _ => r.push(owned(dev(i))),
        }
    }
    for i in 0..n / 4 {
        deletes += 1;
        r.push(owned(DeviceRecord::new(format!("old-{i:05}"))));
    }
    replica.seed(r);
    Drift {
        master,
        replica,
        creates,
        updates,
        deletes,
    }
}

pub fn engine(
    d: &Drift,
    policy: Policy,
    journal: Arc<dyn JournalStore>,
    config: EngineConfig,
) -> Engine {
    Engine::builder(d.master.clone(), d.replica.clone(), planner(policy))
        .journal(journal)
        .config(&config)
        .build()
        .expect("valid engine settings")
}

pub fn converged(d: &Drift, policy: Policy) -> bool {
    planner(policy)
        .plan(&d.master.snapshot(), &d.replica.snapshot())
        .map(|p| p.is_empty())
        .unwrap_or(false)
}

/// Which write path the engine takes.
#[derive(Clone, Copy, Debug)]
pub enum Route {
    Single,
    Bulk,
    Job,
}

/// Quick retries, three in flight, `route` forced by the thresholds, and the
/// whole journal kept so that audits cover an interrupted run too.
pub fn crash_config(route: Route) -> EngineConfig {
    let quick = retry(
        3,
        Duration::from_millis(10),
        Duration::from_millis(10),
        Duration::from_secs(1),
    );
    let mut cfg = EngineConfig::new();
    cfg.retry(&quick)
        .job_poll(&quick)
        .concurrency(3)
        .compact_journal(false);
    match route {
        Route::Single => cfg.bulk_threshold(usize::MAX).job_threshold(usize::MAX),
        Route::Bulk => cfg.bulk_threshold(4).job_threshold(usize::MAX),
        Route::Job => cfg.bulk_threshold(usize::MAX).job_threshold(4),
    };
    cfg
}

/// Asserts that `replica` saw `expected` devices written, each exactly once.
pub fn assert_each_written_once(replica: &MemoryRegistry, expected: usize, what: &str) {
    let mut per_device: BTreeMap<String, Vec<MutationKind>> = BTreeMap::new();
    for m in replica.mutations() {
        per_device.entry(m.id.to_string()).or_default().push(m.kind);
    }
    assert_eq!(per_device.len(), expected, "{what}");
    assert!(
        per_device.values().all(|k| k.len() == 1),
        "{what}: {per_device:?}"
    );
}
