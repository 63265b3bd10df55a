//! `PostgresJournal` against a real PostgreSQL server (testkit's peer): the
//! `JournalStore` contract, the engine on it, simulated process kills at
//! every record boundary, the server killed mid-sync, and two replicas on
//! one journal name.
// Helpers outside #[test] functions unwrap too; clippy.toml only exempts the tests themselves.
#![allow(clippy::unwrap_used)]

mod common;

use async_trait::async_trait;
use common::*;
use registry_sync::engine::EngineConfig;
use registry_sync::journal::{
    CrashAfter, JournalLocked, JournalRecord, JournalStore, OpOutcome, PostgresJournal,
    PostgresJournalOptions, audit,
};
use registry_sync::plan::{Operation, Precondition};
use registry_sync::{DeviceId, DeviceRecord};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use testkit::peers::Postgres;

fn options() -> PostgresJournalOptions {
    // A dropped journal's connection closes asynchronously: a "restarted
    // process" waits for the lock rather than racing the old session's end.
    let mut o = PostgresJournalOptions::new();
    o.lock_wait(Duration::from_secs(10));
    o
}

async fn open(pg: &Postgres, name: &str) -> PostgresJournal {
    open_with(pg, name, options()).await.unwrap()
}

async fn open_with(
    pg: &Postgres,
    name: &str,
    options: PostgresJournalOptions,
) -> registry_sync::Result<PostgresJournal> {
    connect(&pg.conn_str(), name, options).await
}

async fn connect(
    conn_str: &str,
    name: &str,
    options: PostgresJournalOptions,
) -> registry_sync::Result<PostgresJournal> {
    let config: tokio_postgres::Config = conn_str.parse().unwrap();
    PostgresJournal::connect_with(config, name, tokio_postgres::NoTls, &options).await
}

fn applied(run: u64, op: u64) -> JournalRecord {
    JournalRecord::Applied {
        run,
        op,
        outcome: OpOutcome::Applied,
    }
}

fn planned(run: u64, op: u64, tag: &str) -> JournalRecord {
    JournalRecord::Planned {
        run,
        op,
        operation: Operation::Create {
            device: DeviceRecord::new(format!("dev-{op}")).with_tag("k", tag),
        },
    }
}

#[tokio::test]
async fn connection_failures_are_journal_errors() {
    // Nothing listens on a port that was free a moment ago.
    let url = format!(
        "postgresql://postgres@127.0.0.1:{}/postgres",
        testkit::peers::free_port()
    );
    let e = PostgresJournal::connect(&url, "sync").await.unwrap_err();
    assert!(e.is_journal(), "{e:?}");
    assert!(JournalLocked::find(&e).is_none());
    let e = PostgresJournal::connect("port=notaport", "sync")
        .await
        .unwrap_err();
    assert!(e.is_journal(), "{e:?}");
    let e = PostgresJournal::connect(&url, "").await.unwrap_err();
    assert!(e.is_journal(), "{e:?}");
}

#[tokio::test]
async fn appends_load_in_order_across_reconnects_and_names() {
    let Some(pg) = Postgres::start() else {
        return;
    };
    let url = pg.url();
    let j = PostgresJournal::connect(&url, "a").await.unwrap();
    assert_eq!(j.name(), "a");
    assert!(j.load().await.unwrap().is_empty());
    j.append(&[]).await.unwrap();
    let mut expected = Vec::new();
    for batch in 0..20u64 {
        let records: Vec<JournalRecord> = (0..batch % 4 + 1).map(|i| applied(batch, i)).collect();
        j.append(&records).await.unwrap();
        expected.extend(records);
    }
    // A batch as large as the engine's intent batches keeps its order too.
    let big: Vec<JournalRecord> = (0..10_000).map(|i| planned(99, i, "x")).collect();
    j.append(&big).await.unwrap();
    expected.extend(big);
    assert_eq!(j.load().await.unwrap(), expected);

    // Another journal in the same table is independent.
    let b = PostgresJournal::connect(&url, "b").await.unwrap();
    b.append(&[applied(1, 1)]).await.unwrap();
    assert_eq!(b.load().await.unwrap(), [applied(1, 1)]);

    // A new process sees exactly what was appended.
    drop(j);
    let again = open(&pg, "a").await;
    assert_eq!(again.load().await.unwrap(), expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_appends_each_land_whole_and_in_order() {
    let Some(pg) = Postgres::start() else {
        return;
    };
    let j = Arc::new(open(&pg, "concurrent").await);
    let tasks: Vec<_> = (0..16u64)
        .map(|task| {
            let j = j.clone();
            tokio::spawn(async move {
                for append in 0..20u64 {
                    let records: Vec<JournalRecord> =
                        (0..3).map(|k| applied(task, append * 3 + k)).collect();
                    j.append(&records).await.unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let records = j.load().await.unwrap();
    assert_eq!(records.len(), 16 * 20 * 3);
    // Appends committed together keep each append's records together.
    for whole in records.chunks(3) {
        let run = whole[0].run();
        assert!(whole.iter().all(|r| r.run() == run), "{whole:?}");
    }
    // Each task's appends are in its order.
    for task in 0..16 {
        let mine: Vec<JournalRecord> = records
            .iter()
            .filter(|r| r.run() == task)
            .cloned()
            .collect();
        let expected: Vec<JournalRecord> = (0..60).map(|op| applied(task, op)).collect();
        assert_eq!(mine, expected);
    }
}

#[tokio::test]
async fn compact_drops_completed_runs() {
    let Some(pg) = Postgres::start() else {
        return;
    };
    let j = open(&pg, "sync").await;
    j.append(&[
        applied(1, 0),
        JournalRecord::RunCompleted { run: 1 },
        applied(2, 0),
    ])
    .await
    .unwrap();
    j.compact().await.unwrap();
    assert_eq!(j.load().await.unwrap(), [applied(2, 0)]);
    j.append(&[applied(2, 1)]).await.unwrap();
    // Compacting with nothing completed keeps everything.
    j.compact().await.unwrap();
    drop(j);
    assert_eq!(
        open(&pg, "sync").await.load().await.unwrap(),
        [applied(2, 0), applied(2, 1)]
    );
}

#[tokio::test]
async fn a_row_written_by_something_else_is_a_decode_error() {
    let Some(pg) = Postgres::start() else {
        return;
    };
    let j = open(&pg, "sync").await;
    j.append(&[applied(1, 0)]).await.unwrap();
    let (client, connection) = tokio_postgres::connect(&pg.url(), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
        .execute(
            "INSERT INTO registry_sync_journal (journal, record) VALUES ('sync', $1)",
            &[&b"{\"t\":\"nope\"}".as_slice()],
        )
        .await
        .unwrap();
    let e = j.load().await.unwrap_err();
    assert!(e.is_decode(), "{e:?}");
    // A decode error is about the data, not the connection: the session stays.
    assert!(j.append(&[applied(1, 1)]).await.is_ok());
}

#[tokio::test]
async fn a_role_with_table_rights_only_uses_an_existing_table() {
    let Some(pg) = Postgres::start() else {
        return;
    };
    let (admin, connection) = tokio_postgres::connect(&pg.url(), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    admin
        .batch_execute("CREATE ROLE sync LOGIN; REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        .await
        .unwrap();
    let as_sync = format!("{} user=sync", pg.conn_str());
    // Without the table and without CREATE rights: a journal error.
    let e = connect(&as_sync, "s", options()).await.unwrap_err();
    assert!(e.is_journal(), "{e:?}");
    // The owner creates it; SELECT, INSERT and DELETE are then enough.
    drop(open(&pg, "bootstrap").await);
    admin
        .batch_execute("GRANT SELECT, INSERT, DELETE ON registry_sync_journal TO sync")
        .await
        .unwrap();
    let j = connect(&as_sync, "s", options()).await.unwrap();
    j.append(&[applied(1, 0), JournalRecord::RunCompleted { run: 1 }])
        .await
        .unwrap();
    j.compact().await.unwrap();
    assert!(j.load().await.unwrap().is_empty());
}

#[test]
fn any_records_round_trip() {
    use proptest::prelude::*;
    let Some(pg) = Postgres::start() else {
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let j = rt.block_on(open(&pg, "proptest"));
    let record = prop_oneof![
        (any::<u64>(), any::<u64>())
            .prop_map(|(run, operations)| JournalRecord::RunStarted { run, operations }),
        // Any text, NUL and non-ASCII included.
        (any::<u64>(), any::<u64>(), any::<String>()).prop_map(|(r, o, t)| planned(r, o, &t)),
        (any::<u64>(), any::<u64>(), "[a-z]{1,8}").prop_map(|(run, op, id)| {
            JournalRecord::Planned {
                run,
                op,
                operation: Operation::Delete {
                    id: DeviceId::new(id),
                    precondition: Precondition::Any,
                },
            }
        }),
        (any::<u64>(), any::<u64>(), any::<u32>()).prop_map(|(run, op, attempts)| {
            JournalRecord::Failed {
                run,
                op,
                error: "Timeout".into(),
                attempts,
            }
        }),
        any::<u64>().prop_map(|run| JournalRecord::RunCompleted { run }),
    ];
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(48));
    runner
        .run(&proptest::collection::vec(record, 0..16), |records| {
            rt.block_on(async {
                let before = j.load().await.unwrap();
                j.append(&records).await.unwrap();
                let after = j.load().await.unwrap();
                prop_assert_eq!(&after[..before.len()], &before[..]);
                prop_assert_eq!(&after[before.len()..], &records[..]);
                Ok(())
            })
        })
        .unwrap();
}

#[tokio::test]
async fn the_engine_syncs_through_a_postgres_journal() {
    let Some(pg) = Postgres::start() else {
        return;
    };
    let d = drift(40);
    let journal = Arc::new(open(&pg, "hub1-to-tenant").await);
    let mut cfg = EngineConfig::new();
    cfg.concurrency(4);
    let mut p = policy();
    p.guard(&guard(1.0, 0));
    let engine = engine(&d, p.clone(), journal.clone(), cfg);
    let report = engine.sync_once().await.unwrap();
    assert_eq!(report.created, d.creates);
    assert_eq!(report.updated, d.updates);
    assert!(converged(&d, p));
    let records = journal.load().await.unwrap();
    let a = audit(&records);
    assert!(a.is_exactly_once(), "{a:?}");
    assert_eq!(a.applied, d.creates + d.updates + d.deletes);
    // The next sync compacts the completed run away and has nothing to do.
    assert_eq!(engine.sync_once().await.unwrap().applied(), 0);
    assert!(journal.load().await.unwrap().is_empty());
}

/// The checks after a resumed sync: converged, every planned operation with
/// exactly one outcome, every drifted device written exactly once.
fn assert_exactly_once(d: &Drift, records: &[JournalRecord], what: &str) {
    let mut p = policy();
    p.guard(&guard(1.0, 0));
    assert!(converged(d, p), "{what}: not converged");
    let expected_ops = d.creates + d.updates + d.deletes;
    let a = audit(records);
    assert!(a.is_exactly_once(), "{what}: {a:?}");
    assert_eq!(a.failed, 0, "{what}");
    assert_eq!(a.planned, expected_ops, "{what}: {a:?}");
    assert_eq!(a.applied + a.already_applied, a.planned, "{what}");
    assert_each_written_once(&d.replica, expected_ops, what);
}

async fn kill_and_resume(pg: &Postgres, route: Route) {
    let mut p = policy();
    p.guard(&guard(1.0, 0));
    let total_records = {
        let d = drift(16);
        let j = Arc::new(open(pg, &format!("{route:?}-clean")).await);
        engine(&d, p.clone(), j.clone(), crash_config(route))
            .sync_once()
            .await
            .unwrap();
        j.load().await.unwrap().len()
    };
    assert!(total_records > 10);
    for limit in 0..=total_records {
        let d = drift(16);
        let name = format!("{route:?}-{limit}");
        let replica = d.replica.clone();
        let killed = Arc::new(CrashAfter::new(open(pg, &name).await, limit, move || {
            replica.set_offline(true)
        }));
        let first = engine(&d, p.clone(), killed, crash_config(route))
            .sync_once()
            .await;
        assert_eq!(
            first.is_ok(),
            limit >= total_records,
            "limit {limit}: {first:?}"
        );
        // The first process is gone (its engine and connection dropped);
        // a new one opens the same journal and resumes.
        d.replica.set_offline(false);
        let journal = Arc::new(open(pg, &name).await);
        engine(&d, p.clone(), journal.clone(), crash_config(route))
            .sync_once()
            .await
            .unwrap_or_else(|e| panic!("limit {limit}: resume failed: {e:?}"));
        let records = journal.load().await.unwrap();
        assert_exactly_once(&d, &records, &format!("{route:?} limit {limit}"));
    }
}

#[tokio::test]
async fn killed_at_every_record_boundary_resumes_from_postgres_exactly_once() {
    let Some(pg) = Postgres::start() else {
        return;
    };
    for route in [Route::Single, Route::Bulk, Route::Job] {
        kill_and_resume(&pg, route).await;
    }
}

/// Kills the PostgreSQL server just before the `at`-th append reaches it.
#[derive(Debug)]
struct KillServerAt {
    inner: Arc<PostgresJournal>,
    at: usize,
    appends: AtomicUsize,
    server: Arc<Mutex<Postgres>>,
}

#[async_trait]
impl JournalStore for KillServerAt {
    async fn append(&self, records: &[JournalRecord]) -> registry_sync::Result<()> {
        if self.appends.fetch_add(1, Ordering::SeqCst) == self.at {
            self.server.lock().unwrap().kill();
        }
        self.inner.append(records).await
    }

    async fn load(&self) -> registry_sync::Result<Vec<JournalRecord>> {
        self.inner.load().await
    }

    async fn compact(&self) -> registry_sync::Result<()> {
        self.inner.compact().await
    }
}

#[tokio::test]
async fn server_killed_mid_sync_fails_typed_then_resumes_after_restart() {
    let Some(pg) = Postgres::start() else {
        return;
    };
    let server = Arc::new(Mutex::new(pg));
    let mut p = policy();
    p.guard(&guard(1.0, 0));
    // Append 0 is the plan; the later ones are outcomes.
    for at in [0, 1, 5, 11] {
        let d = drift(16);
        let name = format!("killed-at-{at}");
        let conn_str = server.lock().unwrap().conn_str();
        let inner = Arc::new(connect(&conn_str, &name, options()).await.unwrap());
        let journal = Arc::new(KillServerAt {
            inner: inner.clone(),
            at,
            appends: AtomicUsize::new(0),
            server: server.clone(),
        });
        let engine = engine(&d, p.clone(), journal, crash_config(Route::Single));
        let e = engine.sync_once().await.unwrap_err();
        assert!(e.is_journal(), "at {at}: {e:?}");
        assert!(JournalLocked::find(&e).is_none(), "at {at}: {e:?}");
        // While the server is down, every call fails the same typed way.
        assert!(inner.load().await.unwrap_err().is_journal());

        server.lock().unwrap().restart().unwrap();
        // The same engine and journal reconnect and finish the run.
        engine
            .sync_once()
            .await
            .unwrap_or_else(|e| panic!("at {at}: resume failed: {e:?}"));
        let records = inner.load().await.unwrap();
        assert_exactly_once(&d, &records, &format!("killed at append {at}"));
    }
}

#[tokio::test]
async fn a_second_replica_is_locked_out_then_takes_over() {
    let Some(mut pg) = Postgres::start() else {
        return;
    };
    let mut p = policy();
    p.guard(&guard(1.0, 0));
    let d = drift(16);
    let first = open(&pg, "shared").await;

    let now = PostgresJournalOptions::new();
    let e = open_with(&pg, "shared", now.clone()).await.unwrap_err();
    assert!(e.is_journal(), "{e:?}");
    assert_eq!(
        JournalLocked::find(&e).map(|l| l.name.as_str()),
        Some("shared")
    );
    // Waiting gives up after the wait.
    let started = Instant::now();
    let mut waited = PostgresJournalOptions::new();
    waited.lock_wait(Duration::from_millis(300));
    let e = open_with(&pg, "shared", waited).await.unwrap_err();
    assert!(JournalLocked::find(&e).is_some(), "{e:?}");
    assert!(started.elapsed() >= Duration::from_millis(300));
    // Other names are free.
    assert!(open_with(&pg, "other", now.clone()).await.is_ok());

    // The first replica dies in the middle of its run...
    let replica = d.replica.clone();
    let killed = Arc::new(CrashAfter::new(first, 9, move || replica.set_offline(true)));
    let e = engine(&d, p.clone(), killed, crash_config(Route::Single))
        .sync_once()
        .await
        .unwrap_err();
    assert!(e.is_journal());
    d.replica.set_offline(false);
    // ...and the standby, waiting for the lock, takes the journal over.
    let mut standby = PostgresJournalOptions::new();
    standby.lock_wait(Duration::from_secs(2));
    let second = Arc::new(open_with(&pg, "shared", standby).await.unwrap());
    engine(&d, p.clone(), second.clone(), crash_config(Route::Single))
        .sync_once()
        .await
        .unwrap();
    assert_exactly_once(&d, &second.load().await.unwrap(), "taken over");

    // A replica whose session was lost does not write once another took the
    // journal: its reconnect finds the lock held.
    pg.kill();
    pg.restart().unwrap();
    let third = open_with(&pg, "shared", now).await.unwrap();
    let e = second.append(&[applied(9, 9)]).await.unwrap_err();
    assert!(e.is_journal(), "{e:?}");
    assert!(JournalLocked::find(&e).is_some(), "{e:?}");
    assert!(!third.load().await.unwrap().contains(&applied(9, 9)));
}
