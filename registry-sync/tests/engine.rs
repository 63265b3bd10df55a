//! The engine against in-memory registries: full sync, retries, throttling,
//! rate limits, bulk, soft delete, the mass-delete guard, events.
// Helpers outside #[test] functions unwrap too; clippy.toml only exempts the tests themselves.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use registry_sync::connectors::memory::Fault;
use registry_sync::engine::{
    EngineConfig, IgnoreReason, InputKind, Outcome, Outcomes, RateLimit, RetryPolicy,
};
use registry_sync::journal::{MemoryJournal, audit};
use registry_sync::model::{ChangeKind, DeviceStatus};
use registry_sync::plan::{Completeness, Removal};
use registry_sync::{DeviceId, DeviceRecord, ExternalRegistry};
use std::sync::Arc;
use std::time::Duration;

fn drain(rx: &mut Outcomes) -> Vec<Outcome> {
    let mut out = Vec::new();
    while let Some(Ok(o)) = rx.try_recv() {
        out.push(o);
    }
    out
}

fn quick_retry() -> RetryPolicy {
    retry(
        6,
        Duration::from_millis(100),
        Duration::from_secs(2),
        Duration::from_secs(60),
    )
}

#[tokio::test]
async fn full_sync_converges_and_reports() {
    let d = drift(40);
    let journal = Arc::new(MemoryJournal::new());
    let e = engine(&d, policy(), journal.clone(), EngineConfig::new());
    let mut rx = e.outcomes();
    let report = e.sync_once().await.unwrap();
    assert_eq!(
        (report.created, report.updated, report.deleted),
        (d.creates, d.updates, d.deletes)
    );
    assert!(converged(&d, policy()));
    assert_eq!(
        d.replica.mutations().len(),
        d.creates + d.updates + d.deletes
    );
    let outcomes = drain(&mut rx);
    let created = outcomes
        .iter()
        .filter(|o| matches!(o, Outcome::Created { .. }))
        .count();
    assert_eq!(created, d.creates);
    assert_eq!(e.counters().deleted as usize, d.deletes);
    assert!(audit(&journal.records()).is_exactly_once());
    // A second sync has nothing to do.
    let again = e.sync_once().await.unwrap();
    assert_eq!(again.applied(), 0);
}

#[tokio::test(start_paused = true)]
async fn throttling_and_5xx_are_retried() {
    let d = drift(40);
    let mut cfg = EngineConfig::new();
    cfg.retry(&quick_retry());
    let e = engine(&d, policy(), Arc::new(MemoryJournal::new()), cfg);
    let mut rx = e.outcomes();
    let plan = e.plan().await.unwrap();
    d.replica
        .fail_every(3, Fault::Throttle(Some(Duration::from_secs(2))));
    d.replica.fail_next(Fault::Unavailable, 2);
    let report = e.execute(plan).await.unwrap();
    assert_eq!(report.failed, 0);
    d.replica.fail_every(0, Fault::Unavailable);
    assert!(converged(&d, policy()));
    let outcomes = drain(&mut rx);
    assert!(outcomes.iter().any(|o| matches!(o, Outcome::Throttled { retry_after: Some(r), .. } if *r == Duration::from_secs(2))));
    assert!(e.counters().retries > 0);
}

#[tokio::test(start_paused = true)]
async fn gives_up_after_retries_and_records_it() {
    let d = drift(8);
    let mut cfg = EngineConfig::new();
    cfg.retry(&retry(
        3,
        Duration::from_secs(1),
        Duration::from_secs(1),
        Duration::from_secs(60),
    ));
    let journal = Arc::new(MemoryJournal::new());
    let e = engine(&d, policy(), journal.clone(), cfg);
    let plan = e.plan().await.unwrap();
    let ops = plan.operations().len();
    d.replica.fail_next(Fault::Timeout, 3 * ops);
    let mut rx = e.outcomes();
    let report = e.execute(plan).await.unwrap();
    assert_eq!(report.failed, ops);
    let gave_up = drain(&mut rx)
        .into_iter()
        .filter(|o| matches!(o, Outcome::FailedAfterRetries { attempts: 3, .. }))
        .count();
    assert_eq!(gave_up, ops);
    let a = audit(&journal.records());
    assert_eq!(a.failed, ops);
    assert!(a.is_exactly_once());
    // The next sync picks the work up again.
    e.sync_once().await.unwrap();
    assert!(converged(&d, policy()));
}

#[tokio::test(start_paused = true)]
async fn rate_limit_paces_writes_without_429() {
    let d = drift(0);
    d.master
        .seed((0..120).map(|i| DeviceRecord::new(format!("n{i:03}"))));
    let limit = RateLimit::per_minute(60);
    d.replica.throttle_above(Some(limit));
    let mut cfg = EngineConfig::new();
    cfg.rate_limit(Some(limit))
        .concurrency(4)
        .bulk_threshold(usize::MAX);
    let e = engine(&d, policy(), Arc::new(MemoryJournal::new()), cfg);
    let plan = e.plan().await.unwrap();
    d.replica.throttle_above(Some(limit));
    let started = tokio::time::Instant::now();
    let report = e.execute(plan).await.unwrap();
    let took = started.elapsed().as_secs_f64();
    assert_eq!(report.created, 120);
    assert_eq!(d.replica.throttled_calls(), 0);
    let achieved = 120.0 / took;
    assert!(
        achieved >= 0.95 * limit.per_second(),
        "achieved {achieved}/s"
    );
    assert!(
        achieved <= 1.05 * limit.per_second() + 1.0 / took,
        "achieved {achieved}/s"
    );
}

#[tokio::test(start_paused = true)]
async fn bulk_path_with_partial_failures_applies_each_once() {
    let d = drift(400);
    d.replica.fail_bulk_items_every(7);
    let mut cfg = EngineConfig::new();
    cfg.bulk_threshold(50).retry(&quick_retry());
    let mut p = policy();
    p.guard(&guard(1.0, 0));
    let journal = Arc::new(MemoryJournal::new());
    let e = engine(&d, p.clone(), journal.clone(), cfg);
    let mut rx = e.outcomes();
    let report = e.sync_once().await.unwrap();
    assert_eq!(report.applied(), d.creates + d.updates + d.deletes);
    assert_eq!(d.replica.mutations().len(), report.applied());
    assert!(
        drain(&mut rx)
            .iter()
            .any(|o| matches!(o, Outcome::BulkPartialFailure { .. }))
    );
    assert!(audit(&journal.records()).is_exactly_once());
    d.replica.fail_bulk_items_every(0);
    assert!(converged(&d, p));
}

#[tokio::test]
async fn soft_delete_disables_with_a_reason() {
    let d = drift(8);
    let mut p = policy();
    p.removal(Removal::Disable {
        reason: "deleted in hub".into(),
    });
    let e = engine(
        &d,
        p.clone(),
        Arc::new(MemoryJournal::new()),
        EngineConfig::new(),
    );
    let report = e.sync_once().await.unwrap();
    assert_eq!(report.disabled, d.deletes);
    let old = d.replica.snapshot();
    let gone = old.get("old-00000").unwrap();
    assert_eq!(gone.status, DeviceStatus::disabled("deleted in hub"));
    assert!(converged(&d, p));
}

#[tokio::test]
async fn mass_delete_guard_stops_the_run() {
    let d = drift(40);
    let mut p = policy();
    p.guard(&guard(0.05, 0));
    let e = engine(&d, p, Arc::new(MemoryJournal::new()), EngineConfig::new());
    let mut rx = e.outcomes();
    let err = e.sync_once().await.unwrap_err();
    assert_eq!(err.kind(), registry_sync::ErrorKind::PlanRefused);
    assert!(d.replica.mutations().is_empty());
    assert!(
        drain(&mut rx)
            .iter()
            .any(|o| matches!(o, Outcome::PlanRefused { removals: 10, .. }))
    );
}

#[tokio::test(start_paused = true)]
async fn event_path_waits_for_incomplete_twins() {
    let d = drift(0);
    let mut p = policy();
    let mut c = Completeness::new();
    c.require_tags(["EUI"]);
    p.completeness(&c);
    let mut cfg = EngineConfig::new();
    cfg.twin_wait(&retry(
        10,
        Duration::from_secs(10),
        Duration::from_secs(60),
        Duration::from_secs(600),
    ));
    let e = engine(&d, p, Arc::new(MemoryJournal::new()), cfg);
    let mut rx = e.outcomes();
    let feed = d.master.subscribe();
    d.master.create(&DeviceRecord::new("late")).await.unwrap();
    let master = d.master.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(25)).await;
        let mut cur = master.get(&DeviceId::new("late")).await.unwrap().unwrap();
        cur.tags.insert("EUI", "0011");
        let pre = registry_sync::plan::Precondition::from_etag(cur.etag.as_ref());
        master.update(&cur, &pre).await.unwrap();
    });
    let ev = registry_sync::EventSource::next(&feed)
        .await
        .unwrap()
        .unwrap();
    let report = e.handle_event(ev).await.unwrap();
    assert_eq!(report.created, 1);
    let outcomes = drain(&mut rx);
    let checks = outcomes
        .iter()
        .filter(|o| matches!(o, Outcome::TwinCheckFailed { .. }))
        .count();
    assert_eq!(checks, 2, "{outcomes:?}");
    assert_eq!(
        d.replica
            .snapshot()
            .get("late")
            .and_then(|r| r.tags.get("EUI")),
        Some("0011")
    );
}

#[tokio::test(start_paused = true)]
async fn event_path_gives_up_on_twins_that_stay_incomplete() {
    let d = drift(0);
    let mut p = policy();
    let mut c = Completeness::new();
    c.require_tags(["EUI"]);
    p.completeness(&c);
    let mut cfg = EngineConfig::new();
    cfg.twin_wait(&retry(
        3,
        Duration::from_secs(10),
        Duration::from_secs(60),
        Duration::from_secs(600),
    ));
    let e = engine(&d, p, Arc::new(MemoryJournal::new()), cfg);
    let mut rx = e.outcomes();
    d.master.seed([DeviceRecord::new("never")]);
    let report = e
        .handle_event(registry_sync::model::ChangeEvent::new(
            "ev1",
            "never",
            ChangeKind::Created,
        ))
        .await
        .unwrap();
    assert_eq!(report.applied(), 0);
    assert!(
        drain(&mut rx)
            .iter()
            .any(|o| matches!(o, Outcome::TwinCheckGaveUp { .. }))
    );
    assert!(d.replica.is_empty());
}

#[tokio::test]
async fn event_grid_vectors_drive_the_event_path() {
    let Some(dir) = testkit::vectors::dir("twin") else {
        return;
    };
    let d = drift(0);
    d.master.seed([DeviceRecord::new("LogicAppTestDevice")]);
    let e = engine(
        &d,
        policy(),
        Arc::new(MemoryJournal::new()),
        EngineConfig::new(),
    );
    let mut rx = e.outcomes();
    let mut created = 0;
    for v in dir.with_prefix("eventgrid-iothub-devicecreated") {
        let (report, codes) = e.handle_event_grid(&v.bytes()).await.unwrap();
        assert!(codes.is_empty(), "{}", v.name());
        created += report.created;
    }
    // Both envelopes carry the same event id: the second is a duplicate.
    assert_eq!(created, 1);
    assert!(d.replica.snapshot().get("LogicAppTestDevice").is_some());
    let outcomes = drain(&mut rx);
    assert!(outcomes.iter().any(|o| matches!(
        o,
        Outcome::EventIgnored {
            why: IgnoreReason::Duplicate,
            ..
        }
    )));
    let connected = dir.file("eventgrid-iothub-deviceconnected.json");
    let (report, _) = e.handle_event_grid(&connected.bytes()).await.unwrap();
    assert_eq!(report.applied(), 0);
    assert!(drain(&mut rx).iter().any(|o| matches!(
        o,
        Outcome::EventIgnored {
            why: IgnoreReason::NotLifecycle,
            ..
        }
    )));
}

#[tokio::test]
async fn out_of_order_events_do_not_resurrect_devices() {
    let d = drift(0);
    let e = engine(
        &d,
        policy(),
        Arc::new(MemoryJournal::new()),
        EngineConfig::new(),
    );
    let mut rx = e.outcomes();
    d.replica.seed([owned(DeviceRecord::new("x"))]);
    let deleted = br#"{"id":"2","eventType":"Microsoft.Devices.DeviceDeleted","eventTime":"2024-01-01T10:00:01Z","subject":"devices/x","data":{"deviceId":"x","hubName":"h"}}"#;
    let created = br#"{"id":"1","eventType":"Microsoft.Devices.DeviceCreated","eventTime":"2024-01-01T10:00:00Z","subject":"devices/x","data":{"deviceId":"x","hubName":"h"}}"#;
    let (r1, _) = e.handle_event_grid(deleted).await.unwrap();
    assert_eq!(r1.deleted, 1);
    let (r2, _) = e.handle_event_grid(created).await.unwrap();
    assert_eq!(r2.applied(), 0);
    assert!(drain(&mut rx).iter().any(|o| matches!(
        o,
        Outcome::EventIgnored {
            why: IgnoreReason::Stale,
            ..
        }
    )));
    assert!(d.replica.is_empty());
}

#[tokio::test]
async fn malformed_events_are_recorded_not_dropped() {
    let d = drift(0);
    d.master.seed([DeviceRecord::new("ok")]);
    let e = engine(
        &d,
        policy(),
        Arc::new(MemoryJournal::new()),
        EngineConfig::new(),
    );
    let mut rx = e.outcomes();
    assert!(
        e.handle_event_grid(b"{not json")
            .await
            .unwrap_err()
            .is_decode()
    );
    let body = br#"[17, {"id":"a","eventType":"Microsoft.Devices.DeviceCreated","data":{"deviceId":"ok"}}, {"eventType":"x"}]"#;
    let (report, _) = e.handle_event_grid(body).await.unwrap();
    assert_eq!(report.created, 1);
    let bad = drain(&mut rx)
        .into_iter()
        .filter(|o| {
            matches!(
                o,
                Outcome::BadInput {
                    input: InputKind::Event,
                    ..
                }
            )
        })
        .count();
    assert_eq!(bad, 3);
    assert_eq!(e.counters().bad_input, 3);
}

#[tokio::test]
async fn malformed_pages_are_recorded() {
    #[derive(Debug)]
    struct Looping;
    #[registry_sync::async_trait]
    impl ExternalRegistry for Looping {
        fn name(&self) -> &str {
            "looping"
        }
        fn capabilities(&self) -> registry_sync::registry::Capabilities {
            registry_sync::registry::Capabilities::new()
        }
        async fn list(
            &self,
            _: Option<&registry_sync::registry::PageToken>,
            _: usize,
        ) -> registry_sync::Result<registry_sync::registry::Page> {
            Ok(registry_sync::registry::Page::new(
                vec![DeviceRecord::new("a")],
                Some(registry_sync::registry::PageToken::new("same")),
            ))
        }
        async fn get(&self, _: &DeviceId) -> registry_sync::Result<Option<DeviceRecord>> {
            Ok(None)
        }
        async fn create(&self, d: &DeviceRecord) -> registry_sync::Result<DeviceRecord> {
            Ok(d.clone())
        }
        async fn update(
            &self,
            d: &DeviceRecord,
            _: &registry_sync::plan::Precondition,
        ) -> registry_sync::Result<DeviceRecord> {
            Ok(d.clone())
        }
        async fn delete(
            &self,
            _: &DeviceId,
            _: &registry_sync::plan::Precondition,
        ) -> registry_sync::Result<()> {
            Ok(())
        }
    }
    let replica = Arc::new(registry_sync::connectors::memory::MemoryRegistry::new("r"));
    let e = registry_sync::Engine::builder(Arc::new(Looping), replica, planner(policy()))
        .build()
        .unwrap();
    let mut rx = e.outcomes();
    assert!(e.sync_once().await.unwrap_err().is_decode());
    assert!(drain(&mut rx).iter().any(|o| matches!(
        o,
        Outcome::BadInput {
            input: InputKind::Page,
            ..
        }
    )));
}

#[tokio::test(start_paused = true)]
async fn run_loop_syncs_on_schedule_and_on_events() {
    let d = drift(8);
    let mut cfg = EngineConfig::new();
    cfg.full_sync_interval(Duration::from_secs(60));
    let e = engine(&d, policy(), Arc::new(MemoryJournal::new()), cfg);
    let feed: Arc<dyn registry_sync::EventSource> = Arc::new(d.master.subscribe());
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let runner = {
        let e = e.clone();
        tokio::spawn(async move {
            e.run(Some(feed), async {
                let _ = stop_rx.await;
            })
            .await
        })
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(converged(&d, policy()));
    d.master.create(&DeviceRecord::new("fresh")).await.unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(d.replica.snapshot().get("fresh").is_some());
    let _ = stop_tx.send(());
    runner.await.unwrap().unwrap();
}

#[tokio::test(start_paused = true)]
async fn listing_resumes_from_the_failed_page() {
    let d = drift(0);
    d.replica
        .seed((0..2500).map(|i| owned(DeviceRecord::new(format!("r{i:05}")))));
    d.master
        .seed((0..2500).map(|i| DeviceRecord::new(format!("r{i:05}"))));
    let mut cfg = EngineConfig::new();
    cfg.retry(&quick_retry()).page_size(1000);
    let e = engine(&d, policy(), Arc::new(MemoryJournal::new()), cfg);
    let list_pages = 3;
    let (master_before, replica_before) = (d.master.calls(), d.replica.calls());
    assert!(e.plan().await.unwrap().is_empty());
    assert_eq!(d.master.calls() - master_before, list_pages);
    assert_eq!(d.replica.calls() - replica_before, list_pages);
    let mut rx = e.outcomes();
    // Throttle exactly the replica's second page: it alone is read again.
    let before = d.replica.calls();
    d.replica
        .fail_every(before + 2, Fault::Throttle(Some(Duration::from_secs(1))));
    let plan = e.plan().await.unwrap();
    assert!(plan.is_empty());
    assert_eq!(d.replica.calls() - before, list_pages + 1);
    assert!(
        drain(&mut rx)
            .iter()
            .any(|o| matches!(o, Outcome::Throttled { id: None, .. }))
    );
}

#[tokio::test]
async fn two_hubs_share_one_tenant_by_prefix() {
    let tenant = Arc::new(registry_sync::connectors::memory::MemoryRegistry::new(
        "tenant",
    ));
    let hub1 = Arc::new(registry_sync::connectors::memory::MemoryRegistry::new(
        "hub1",
    ));
    let hub2 = Arc::new(registry_sync::connectors::memory::MemoryRegistry::new(
        "hub2",
    ));
    hub1.seed([DeviceRecord::new("a"), DeviceRecord::new("b")]);
    hub2.seed([DeviceRecord::new("a"), DeviceRecord::new("c")]);
    let engine_for = |hub: &Arc<registry_sync::connectors::memory::MemoryRegistry>,
                      prefix: &str| {
        let policy = registry_sync::Policy::new(registry_sync::Scope::id_prefix(prefix));
        registry_sync::Engine::builder(hub.clone(), tenant.clone(), planner(policy))
            .build()
            .unwrap()
    };
    let e1 = engine_for(&hub1, "hub1.");
    let e2 = engine_for(&hub2, "hub2.");
    e1.sync_once().await.unwrap();
    e2.sync_once().await.unwrap();
    let ids: Vec<String> = tenant
        .snapshot()
        .devices()
        .iter()
        .map(|d| d.id.to_string())
        .collect();
    assert_eq!(ids, ["hub1.a", "hub1.b", "hub2.a", "hub2.c"]);
    // hub1 loses "a": only hub1.a goes, hub2.a stays.
    hub1.delete(&DeviceId::new("a"), &registry_sync::plan::Precondition::Any)
        .await
        .unwrap();
    let r = e1.sync_once().await.unwrap();
    assert_eq!(r.deleted, 1);
    let r = e2.sync_once().await.unwrap();
    assert_eq!(r.applied(), 0);
    let ids: Vec<String> = tenant
        .snapshot()
        .devices()
        .iter()
        .map(|d| d.id.to_string())
        .collect();
    assert_eq!(ids, ["hub1.b", "hub2.a", "hub2.c"]);
}

#[tokio::test(start_paused = true)]
async fn a_twin_wait_does_not_hold_up_other_events() {
    let d = drift(0);
    let mut p = policy();
    let mut c = Completeness::new();
    c.require_tags(["EUI"]);
    p.completeness(&c);
    let mut cfg = EngineConfig::new();
    cfg.full_sync_interval(Duration::from_secs(24 * 3600))
        .twin_wait(&retry(
            100,
            Duration::from_secs(30),
            Duration::from_secs(30),
            Duration::from_secs(3600),
        ));
    let e = engine(&d, p, Arc::new(MemoryJournal::new()), cfg);
    let feed: Arc<dyn registry_sync::EventSource> = Arc::new(d.master.subscribe());
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let runner = {
        let e = e.clone();
        tokio::spawn(async move {
            e.run(Some(feed), async {
                let _ = stop_rx.await;
            })
            .await
        })
    };
    d.master.create(&DeviceRecord::new("slow")).await.unwrap();
    d.master
        .create(&DeviceRecord::new("fast").with_tag("EUI", "1"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert!(
        d.replica.snapshot().get("fast").is_some(),
        "fast device waited behind slow one"
    );
    assert!(d.replica.snapshot().get("slow").is_none());
    let _ = stop_tx.send(());
    runner.await.unwrap().unwrap();
}

fn job_config() -> EngineConfig {
    let mut cfg = EngineConfig::new();
    cfg.retry(&quick_retry())
        .job_threshold(100)
        .job_poll(&retry(
            10,
            Duration::from_secs(5),
            Duration::from_secs(5),
            Duration::from_secs(600),
        ));
    cfg
}

#[tokio::test(start_paused = true)]
async fn import_job_path_polls_until_complete() {
    let d = drift(400);
    d.replica.set_job_polls(2);
    let mut p = policy();
    p.guard(&guard(1.0, 0));
    let journal = Arc::new(MemoryJournal::new());
    let e = engine(&d, p.clone(), journal.clone(), job_config());
    let mut rx = e.outcomes();
    let report = e.sync_once().await.unwrap();
    assert_eq!(report.applied(), d.creates + d.updates + d.deletes);
    let outcomes = drain(&mut rx);
    let not_complete = outcomes
        .iter()
        .filter(|o| matches!(o, Outcome::JobNotComplete { .. }))
        .count();
    assert_eq!(not_complete, 2);
    assert!(
        outcomes
            .iter()
            .any(|o| matches!(o, Outcome::JobCompleted { failed: 0, .. }))
    );
    // A completed job is reported as completed (the seed sample reported every job as failed).
    assert!(
        !outcomes
            .iter()
            .any(|o| matches!(o, Outcome::JobFailed { .. }))
    );
    assert!(audit(&journal.records()).is_exactly_once());
    assert!(converged(&d, p));
}

#[tokio::test(start_paused = true)]
async fn failed_job_falls_back_and_converges() {
    let d = drift(400);
    d.replica.fail_next_job("input blob unreadable");
    let mut p = policy();
    p.guard(&guard(1.0, 0));
    let e = engine(&d, p.clone(), Arc::new(MemoryJournal::new()), job_config());
    let mut rx = e.outcomes();
    let report = e.sync_once().await.unwrap();
    assert_eq!(report.failed, 0);
    assert!(drain(&mut rx).iter().any(
        |o| matches!(o, Outcome::JobFailed { reason, .. } if reason == "input blob unreadable")
    ));
    assert_eq!(e.counters().jobs_failed, 1);
    assert!(converged(&d, p));
    assert_eq!(d.replica.mutations().len(), report.applied());
}

#[tokio::test(start_paused = true)]
async fn job_item_failures_are_retried_singly() {
    let d = drift(400);
    d.replica.fail_bulk_items_every(11);
    let mut p = policy();
    p.guard(&guard(1.0, 0));
    let journal = Arc::new(MemoryJournal::new());
    let e = engine(&d, p.clone(), journal.clone(), job_config());
    let mut rx = e.outcomes();
    let report = e.sync_once().await.unwrap();
    assert_eq!(report.applied(), d.creates + d.updates + d.deletes);
    let outcomes = drain(&mut rx);
    assert!(
        outcomes
            .iter()
            .any(|o| matches!(o, Outcome::JobCompleted { failed, .. } if *failed > 0))
    );
    assert!(audit(&journal.records()).is_exactly_once());
    d.replica.fail_bulk_items_every(0);
    assert!(converged(&d, p));
}

#[tokio::test(start_paused = true)]
async fn malformed_job_results_are_recorded_and_recovered() {
    /// Delegates to a memory registry but reports a failure for an item that does not exist.
    #[derive(Debug)]
    struct LyingJobs(Arc<registry_sync::connectors::memory::MemoryRegistry>);
    #[registry_sync::async_trait]
    impl ExternalRegistry for LyingJobs {
        fn name(&self) -> &str {
            "lying"
        }
        fn capabilities(&self) -> registry_sync::registry::Capabilities {
            self.0.capabilities()
        }
        async fn list(
            &self,
            c: Option<&registry_sync::registry::PageToken>,
            l: usize,
        ) -> registry_sync::Result<registry_sync::registry::Page> {
            self.0.list(c, l).await
        }
        async fn get(&self, id: &DeviceId) -> registry_sync::Result<Option<DeviceRecord>> {
            self.0.get(id).await
        }
        async fn create(&self, d: &DeviceRecord) -> registry_sync::Result<DeviceRecord> {
            self.0.create(d).await
        }
        async fn update(
            &self,
            d: &DeviceRecord,
            p: &registry_sync::plan::Precondition,
        ) -> registry_sync::Result<DeviceRecord> {
            self.0.update(d, p).await
        }
        async fn delete(
            &self,
            id: &DeviceId,
            p: &registry_sync::plan::Precondition,
        ) -> registry_sync::Result<()> {
            self.0.delete(id, p).await
        }
        async fn apply_bulk(
            &self,
            ops: &[registry_sync::plan::Operation],
        ) -> registry_sync::Result<Vec<registry_sync::Result<()>>> {
            self.0.apply_bulk(ops).await
        }
        async fn start_import_job(
            &self,
            ops: &[registry_sync::plan::Operation],
        ) -> registry_sync::Result<registry_sync::registry::JobId> {
            self.0.start_import_job(ops).await
        }
        async fn job_status(
            &self,
            job: &registry_sync::registry::JobId,
        ) -> registry_sync::Result<registry_sync::registry::JobStatus> {
            match self.0.job_status(job).await? {
                registry_sync::registry::JobStatus::Completed { .. } => {
                    Ok(registry_sync::registry::JobStatus::Completed {
                        failures: vec![registry_sync::registry::JobItemFailure::new(
                            9999,
                            registry_sync::ErrorKind::Rejected,
                        )],
                    })
                }
                other => Ok(other),
            }
        }
    }
    let d = drift(400);
    let mut p = policy();
    p.guard(&guard(1.0, 0));
    let journal = Arc::new(MemoryJournal::new());
    let e = registry_sync::Engine::builder(
        d.master.clone(),
        Arc::new(LyingJobs(d.replica.clone())),
        planner(p.clone()),
    )
    .journal(journal.clone())
    .config(&job_config())
    .build()
    .unwrap();
    let mut rx = e.outcomes();
    let report = e.sync_once().await.unwrap();
    assert!(drain(&mut rx).iter().any(|o| matches!(
        o,
        Outcome::BadInput {
            input: InputKind::BulkResult,
            ..
        }
    )));
    // The job did apply everything; the fallback finds it in place.
    assert_eq!(report.already_applied, d.creates + d.updates + d.deletes);
    assert!(audit(&journal.records()).is_exactly_once());
    assert_eq!(d.replica.mutations().len(), report.already_applied);
    assert!(converged(&d, p));
}

#[tokio::test]
async fn journal_is_compacted_between_syncs() {
    let dir = tempfile::tempdir().unwrap();
    let journal =
        Arc::new(registry_sync::journal::FileJournal::open(dir.path().join("j")).unwrap());
    let d = drift(40);
    let e = engine(&d, policy(), journal.clone(), EngineConfig::new());
    e.sync_once().await.unwrap();
    let first = registry_sync::journal::JournalStore::load(&*journal)
        .await
        .unwrap();
    assert!(audit(&first).is_exactly_once() && audit(&first).planned > 0);
    for round in 0..3 {
        d.master.seed([DeviceRecord::new(format!("extra-{round}"))]);
        let r = e.sync_once().await.unwrap();
        assert_eq!(r.created, 1);
        let now = registry_sync::journal::JournalStore::load(&*journal)
            .await
            .unwrap();
        // Only this sync's run is left: RunStarted, Planned, Applied, RunCompleted.
        assert_eq!(now.len(), 4, "round {round}");
    }
}

#[tokio::test(start_paused = true)]
async fn master_reads_respect_the_master_budget() {
    let d = drift(0);
    d.master
        .seed((0..2000).map(|i| DeviceRecord::new(format!("m{i:05}"))));
    let limit = RateLimit::per_minute(60);
    let mut cfg = EngineConfig::new();
    cfg.page_size(100)
        .master_rate_limit(Some(limit))
        .bulk_threshold(usize::MAX)
        .job_threshold(usize::MAX);
    let mut p = policy();
    p.guard(&guard(1.0, 0));
    let e = engine(&d, p, Arc::new(MemoryJournal::new()), cfg);
    d.master.throttle_above(Some(limit));
    let started = tokio::time::Instant::now();
    let plan = e.plan().await.unwrap();
    assert_eq!(plan.operations().len(), 2000);
    // 20 pages at one call per second, without a single 429.
    assert_eq!(d.master.throttled_calls(), 0);
    assert!(
        started.elapsed() >= Duration::from_secs(19),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn webhook_bodies_flow_through_the_inbox_into_the_run_loop() {
    let d = drift(0);
    d.master.seed([DeviceRecord::new("LogicAppTestDevice")]);
    let mut cfg = EngineConfig::new();
    cfg.full_sync_interval(Duration::from_secs(24 * 3600));
    let e = engine(&d, policy(), Arc::new(MemoryJournal::new()), cfg);
    let mut rx = e.outcomes();
    let (inbox, source) = registry_sync::connectors::event_grid::event_grid_inbox(16);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let runner = {
        let e = e.clone();
        tokio::spawn(async move {
            e.run(Some(Arc::new(source)), async {
                let _ = stop_rx.await;
            })
            .await
        })
    };
    let body = br#"[{"id":"e1","eventType":"Microsoft.Devices.DeviceCreated","eventTime":"2018-01-02T19:17:44.4383997Z","subject":"devices/LogicAppTestDevice","data":{"deviceId":"LogicAppTestDevice","hubName":"egtesthub1"}}]"#;
    assert_eq!(
        inbox.push(body).await.unwrap(),
        registry_sync::connectors::event_grid::InboxReply::Accepted
    );
    assert!(inbox.push(b"[1,2").await.is_err());
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(d.replica.snapshot().get("LogicAppTestDevice").is_some());
    assert!(drain(&mut rx).iter().any(|o| matches!(
        o,
        Outcome::BadInput {
            input: InputKind::Event,
            ..
        }
    )));
    let _ = stop_tx.send(());
    runner.await.unwrap().unwrap();
}
