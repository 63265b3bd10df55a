//! Random faults on every path: syncs still converge, and every replica write
//! matches exactly one `Applied` journal record.

mod common;

use common::*;
use proptest::prelude::*;
use registry_sync::connectors::memory::Fault;
use registry_sync::engine::EngineConfig;
use registry_sync::journal::{MemoryJournal, audit};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone)]
struct Chaos {
    devices: usize,
    every: u64,
    throttle: bool,
    bulk_item_every: u64,
    job_fails: bool,
    route: u8,
    concurrency: usize,
    attempts: u32,
}

fn chaos() -> impl Strategy<Value = Chaos> {
    (
        0usize..80,
        prop_oneof![Just(0u64), 2u64..9],
        any::<bool>(),
        prop_oneof![Just(0u64), 2u64..7],
        any::<bool>(),
        0u8..3,
        1usize..5,
        1u32..4,
    )
        .prop_map(
            |(
                devices,
                every,
                throttle,
                bulk_item_every,
                job_fails,
                route,
                concurrency,
                attempts,
            )| Chaos {
                devices,
                every,
                throttle,
                bulk_item_every,
                job_fails,
                route,
                concurrency,
                attempts,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn faults_never_lose_or_duplicate_writes(c in chaos()) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        rt.block_on(async {
            let d = drift(c.devices);
            let fault = if c.throttle { Fault::Throttle(Some(Duration::from_millis(300))) } else { Fault::Unavailable };
            d.replica.fail_every(c.every, fault);
            d.replica.fail_bulk_items_every(c.bulk_item_every);
            if c.job_fails {
                d.replica.fail_next_job("chaos");
            }
            let mut cfg = EngineConfig::new();
            cfg.retry(&retry(
                c.attempts, Duration::from_millis(50), Duration::from_millis(400), Duration::from_secs(30)))
                .job_poll(&retry(5, Duration::from_millis(100), Duration::from_millis(100), Duration::from_secs(5)))
                .concurrency(c.concurrency)
                .compact_journal(false);
            match c.route {
                0 => cfg.bulk_threshold(usize::MAX).job_threshold(usize::MAX),
                1 => cfg.bulk_threshold(5).job_threshold(usize::MAX),
                _ => cfg.bulk_threshold(usize::MAX).job_threshold(5),
            };
            let mut p = policy();
            p.guard(&guard(1.0, 0));
            let journal = Arc::new(MemoryJournal::new());
            let e = engine(&d, p.clone(), journal.clone(), cfg);
            // Syncs under faults: some may fail as a whole (a listing that
            // exhausted its retries); some operations may fail for good.
            for _ in 0..3 {
                let _ = e.sync_once().await;
            }
            // Once the replica is healthy, one sync finishes the job: nothing was lost.
            d.replica.fail_every(0, Fault::Unavailable);
            d.replica.fail_bulk_items_every(0);
            e.sync_once().await.unwrap();
            prop_assert!(converged(&d, p.clone()), "did not converge: {:?}", c);
            let a = audit(&journal.records());
            prop_assert!(a.is_exactly_once(), "{:?}", a);
            prop_assert_eq!(d.replica.mutations().len(), a.applied, "{:?}", a);
            Ok(())
        })?;
    }
}
