//! Kill the engine at every journal record boundary (and with torn tails),
//! restart it, and check that every operation was applied exactly once.
// Helpers outside #[test] functions unwrap too; clippy.toml only exempts the tests themselves.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use registry_sync::journal::{CrashAfter, FileJournal, JournalStore, audit};
use std::io::Write;
use std::sync::Arc;

fn tear(path: &std::path::Path, variant: usize) {
    let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    match variant % 3 {
        // A header promising 255 bytes followed by a few.
        0 => f
            .write_all(&[255, 0, 0, 0, 1, 2, 3, 4, b'{', b'"', b't'])
            .unwrap(),
        // Half a header.
        1 => f.write_all(&[40, 0, 0]).unwrap(),
        // Nothing torn.
        _ => {}
    }
}

async fn kill_and_resume(bulk: Route) {
    let mut p = policy();
    p.guard(&guard(1.0, 0));
    let total_records = {
        // A clean run to learn how many records a whole sync writes.
        let d = drift(16);
        let dir = tempfile::tempdir().unwrap();
        let j = Arc::new(FileJournal::open(dir.path().join("j")).unwrap());
        engine(&d, p.clone(), j.clone(), crash_config(bulk))
            .sync_once()
            .await
            .unwrap();
        j.load().await.unwrap().len()
    };
    assert!(total_records > 10);
    for limit in 0..=total_records {
        let d = drift(16);
        let expected_ops = d.creates + d.updates + d.deletes;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal");
        let replica = d.replica.clone();
        let killed = Arc::new(CrashAfter::new(
            FileJournal::open(&path).unwrap(),
            limit,
            move || replica.set_offline(true),
        ));
        let first = engine(&d, p.clone(), killed, crash_config(bulk))
            .sync_once()
            .await;
        assert_eq!(
            first.is_ok(),
            limit >= total_records,
            "limit {limit}: {first:?}"
        );
        tear(&path, limit);

        // Restart: a new process, the plain journal, the replica reachable again.
        d.replica.set_offline(false);
        let journal = Arc::new(FileJournal::open(&path).unwrap());
        let second = engine(&d, p.clone(), journal.clone(), crash_config(bulk))
            .sync_once()
            .await;
        second.unwrap_or_else(|e| panic!("limit {limit}: resume failed: {e:?}"));

        assert!(converged(&d, p.clone()), "limit {limit}: not converged");
        let records = journal.load().await.unwrap();
        let a = audit(&records);
        assert!(a.is_exactly_once(), "limit {limit}: {a:?}");
        assert_eq!(a.failed, 0, "limit {limit}");
        assert_eq!(a.applied + a.already_applied, a.planned, "limit {limit}");
        // The replica saw each drifted device written exactly once.
        assert_each_written_once(&d.replica, expected_ops, &format!("limit {limit}"));
        // Every drifted device was planned once; writes the killed process made
        // without recording them are found in place ("already applied").
        assert_eq!(a.planned, expected_ops, "limit {limit}: {a:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn killed_at_every_record_boundary_single_path() {
    kill_and_resume(Route::Single).await;
}

#[tokio::test(start_paused = true)]
async fn killed_at_every_record_boundary_bulk_path() {
    kill_and_resume(Route::Bulk).await;
}

#[tokio::test(start_paused = true)]
async fn killed_at_every_record_boundary_job_path() {
    kill_and_resume(Route::Job).await;
}
