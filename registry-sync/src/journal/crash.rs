//! A journal wrapper that simulates a process kill, for crash tests and
//! benchmarks (feature `test-support`, outside semver).

use super::{JournalRecord, JournalStore};
use crate::error::{Error, ErrorKind, Result};
use async_trait::async_trait;
use std::fmt;

type OnCrash = Box<dyn Fn() + Send + Sync>;

/// Wraps a store and "kills the process" once `limit` records are durable:
/// an append crossing the limit writes only the records that fit, then calls
/// the `on_crash` hook (e.g. to take the in-memory registries offline, since a
/// dead process makes no further call) and fails, as does every later append.
///
/// Appends are serialized, so the limit is exact even under concurrency.
///
/// Test support (feature `test-support`): not covered by semver, it may
/// change or go in any release.
#[cfg_attr(docsrs, doc(cfg(feature = "test-support")))]
pub struct CrashAfter<J> {
    inner: J,
    limit: usize,
    state: tokio::sync::Mutex<(usize, bool)>,
    on_crash: OnCrash,
}

impl<J: JournalStore> CrashAfter<J> {
    /// Kills after `limit` records; `on_crash` runs once at the kill.
    pub fn new(inner: J, limit: usize, on_crash: impl Fn() + Send + Sync + 'static) -> Self {
        Self {
            inner,
            limit,
            state: tokio::sync::Mutex::new((0, false)),
            on_crash: Box::new(on_crash),
        }
    }

    /// Whether the kill has happened.
    pub async fn crashed(&self) -> bool {
        self.state.lock().await.1
    }
}

impl<J: fmt::Debug> fmt::Debug for CrashAfter<J> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CrashAfter")
            .field("inner", &self.inner)
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

fn killed() -> Error {
    Error::new(ErrorKind::Journal).with_context("simulated crash")
}

#[async_trait]
impl<J: JournalStore> JournalStore for CrashAfter<J> {
    async fn append(&self, records: &[JournalRecord]) -> Result<()> {
        let mut state = self.state.lock().await;
        let (written, dead) = &mut *state;
        if *dead {
            return Err(killed());
        }
        let room = self.limit.saturating_sub(*written);
        if records.len() <= room {
            self.inner.append(records).await?;
            *written += records.len();
            return Ok(());
        }
        if let Some(fits) = records.get(..room) {
            self.inner.append(fits).await?;
        }
        *written += room;
        *dead = true;
        (self.on_crash)();
        Err(killed())
    }

    async fn load(&self) -> Result<Vec<JournalRecord>> {
        self.inner.load().await
    }

    async fn compact(&self) -> Result<()> {
        self.inner.compact().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{MemoryJournal, OpOutcome};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    #[tokio::test]
    async fn keeps_exactly_the_records_before_the_kill() {
        let hit = Arc::new(AtomicBool::new(false));
        let flag = hit.clone();
        let j = CrashAfter::new(MemoryJournal::new(), 3, move || {
            flag.store(true, Ordering::SeqCst)
        });
        let rec = |op| JournalRecord::Applied {
            run: 1,
            op,
            outcome: OpOutcome::Applied,
        };
        j.append(&[rec(0), rec(1)]).await.unwrap();
        assert!(j.append(&[rec(2), rec(3)]).await.unwrap_err().is_journal());
        assert!(hit.load(Ordering::SeqCst) && j.crashed().await);
        assert!(j.append(&[rec(4)]).await.is_err());
        assert_eq!(j.load().await.unwrap(), [rec(0), rec(1), rec(2)]);
    }
}
