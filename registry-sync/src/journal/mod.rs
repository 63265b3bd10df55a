//! The durable journal that makes a sync crash-safe.
//!
//! Before any write, the engine journals the whole plan (`Planned`, one record
//! per operation, with its operation id); after each write it journals the
//! outcome (`Applied` or `Failed`). A process killed at any point leaves a
//! journal from which [`recover`] lists the operations that were planned but
//! have no outcome; the engine re-applies them idempotently (a create that
//! finds the device already there with the planned content, an etag-guarded
//! update that finds its own write, a delete that finds nothing are recorded as
//! `AlreadyApplied`), so every operation is applied and recorded exactly once.

#[cfg(feature = "test-support")]
mod crash;
mod file;
#[cfg(feature = "postgres")]
mod postgres;
mod record;
mod recovery;

#[cfg(feature = "test-support")]
pub use crash::CrashAfter;
pub use file::FileJournal;
#[cfg(feature = "postgres")]
pub use postgres::{JournalLocked, PostgresJournal, PostgresJournalOptions};
pub use record::{JournalRecord, OpOutcome};
pub use recovery::{Audit, PendingOp, Recovery, audit, recover};

use crate::error::Result;
use async_trait::async_trait;
use std::fmt::Debug;
use std::sync::Mutex;

/// Where the journal lives: a local file by default ([`FileJournal`]), or a
/// database table for services running several replicas (`PostgresJournal`,
/// feature `postgres`: one table shared by named journals, each held by one
/// replica at a time through an advisory lock).
///
/// Contract: when `append` returns `Ok`, the records are durable; when the
/// process dies during `append`, a prefix of the records (possibly none) is
/// durable and `load` returns exactly the durable records, in order.
#[async_trait]
pub trait JournalStore: Send + Sync + Debug + 'static {
    /// Durably appends `records` in order.
    async fn append(&self, records: &[JournalRecord]) -> Result<()>;

    /// Every durable record, in append order.
    async fn load(&self) -> Result<Vec<JournalRecord>>;

    /// Drops the records of completed runs.
    async fn compact(&self) -> Result<()>;
}

/// A journal in memory: for tests and for syncs that accept losing their
/// progress on a crash.
#[derive(Debug, Default)]
pub struct MemoryJournal {
    records: Mutex<Vec<JournalRecord>>,
}

impl MemoryJournal {
    /// An empty journal.
    pub fn new() -> Self {
        Self::default()
    }

    /// A copy of every record.
    pub fn records(&self) -> Vec<JournalRecord> {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<JournalRecord>> {
        self.records
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait]
impl JournalStore for MemoryJournal {
    async fn append(&self, records: &[JournalRecord]) -> Result<()> {
        self.lock().extend_from_slice(records);
        Ok(())
    }

    async fn load(&self) -> Result<Vec<JournalRecord>> {
        Ok(self.lock().clone())
    }

    async fn compact(&self) -> Result<()> {
        let mut records = self.lock();
        let kept = recovery::without_completed_runs(&records);
        *records = kept;
        Ok(())
    }
}
