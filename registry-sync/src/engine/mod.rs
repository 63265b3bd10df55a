//! Running a sync: the [`Engine`] snapshots both registries, plans, journals
//! and applies, with retries ([`RetryPolicy`]), rate limits ([`RateLimit`],
//! [`TokenBucket`]), bounded concurrency, bulk and import-job paths, and
//! change events ([`EventFilter`]). It reports each step as an [`Outcome`]
//! ([`Outcomes`] subscriptions, [`Counters`]) and each run as a
//! [`RunReport`].
//!
//! Decisions come from the pure cores (planner, retry policy, token bucket,
//! event filter, journal recovery); the engine does the I/O.

mod apply;
mod batch;
mod builder;
mod config;
mod counters;
mod event_filter;
mod events;
mod outcome;
mod rate;
mod report;
mod retry;
mod subscription;

pub use builder::EngineBuilder;
pub use config::EngineConfig;
pub use counters::Counters;
pub use event_filter::EventFilter;
pub use outcome::{IgnoreReason, InputKind, Outcome};
pub use rate::{IotHubTier, RateLimit, TokenBucket};
pub use report::RunReport;
pub use retry::RetryPolicy;
pub use subscription::{Missed, Outcomes};

use counters::AtomicCounters;
use report::Tally;

use crate::error::{Error, ErrorKind, Result};
use crate::journal::{JournalRecord, JournalStore, recover};
use crate::model::{DeviceId, DeviceRecord, Snapshot};
use crate::plan::{Operation, Plan, PlanError, Planner};
use crate::registry::{ExternalRegistry, PageToken};
use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;
use tokio::time::Instant;
use tracing::Instrument;

#[derive(Clone, Copy)]
enum Side {
    Master,
    Replica,
}

enum Resolution {
    AlreadyApplied,
    Retry(Error),
    Fail(Error),
}

#[derive(Debug)]
struct Inner {
    master: Arc<dyn ExternalRegistry>,
    replica: Arc<dyn ExternalRegistry>,
    planner: Planner,
    journal: Arc<dyn JournalStore>,
    config: EngineConfig,
    limiter: Option<Mutex<TokenBucket>>,
    master_limiter: Option<Mutex<TokenBucket>>,
    outcomes: broadcast::Sender<Outcome>,
    counters: AtomicCounters,
    filter: Mutex<EventFilter>,
    next_run: tokio::sync::Mutex<Option<u64>>,
}

/// The sync engine: keeps `replica` in step with `master`.
///
/// Cheap to clone (shared state). Every write is journaled before it is made
/// and its outcome after, so a killed process resumes with
/// [`Engine::sync_once`] (or [`Engine::resume`]) without losing or repeating
/// an operation.
#[derive(Clone, Debug)]
pub struct Engine {
    inner: Arc<Inner>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn seed_of(id: &DeviceId) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    id.hash(&mut h);
    h.finish()
}

impl Engine {
    /// A builder of an engine syncing `replica` from `master` as `planner`
    /// decides (see [`EngineBuilder`] for the journal and the settings).
    pub fn builder(
        master: Arc<dyn ExternalRegistry>,
        replica: Arc<dyn ExternalRegistry>,
        planner: Planner,
    ) -> EngineBuilder {
        EngineBuilder::new(master, replica, planner)
    }

    /// An engine from checked parts (see [`EngineBuilder::build`]).
    fn from_parts(
        master: Arc<dyn ExternalRegistry>,
        replica: Arc<dyn ExternalRegistry>,
        planner: Planner,
        journal: Arc<dyn JournalStore>,
        config: EngineConfig,
    ) -> Self {
        let now = Instant::now().into_std();
        let bucket = |l: RateLimit| Mutex::new(TokenBucket::new(l, now));
        let limiter = config.rate_limit.map(bucket);
        let master_limiter = config.master_rate_limit.map(bucket);
        let (outcomes, _) = broadcast::channel(config.outcome_buffer);
        let filter = Mutex::new(EventFilter::new(config.event_memory));
        Self {
            inner: Arc::new(Inner {
                master,
                replica,
                planner,
                journal,
                config,
                limiter,
                master_limiter,
                outcomes,
                counters: AtomicCounters::default(),
                filter,
                next_run: tokio::sync::Mutex::new(None),
            }),
        }
    }

    /// Every outcome from now on (see [`Outcomes`] for slow readers); the
    /// [`Engine::counters`] are exact regardless.
    pub fn outcomes(&self) -> Outcomes {
        Outcomes::new(self.inner.outcomes.subscribe())
    }

    /// The counters so far.
    pub fn counters(&self) -> Counters {
        self.inner.counters.snapshot()
    }

    /// The planner.
    pub fn planner(&self) -> &Planner {
        &self.inner.planner
    }

    fn emit(&self, outcome: Outcome) {
        self.inner.counters.count(&outcome);
        match &outcome {
            Outcome::FailedAfterRetries { .. }
            | Outcome::Failed { .. }
            | Outcome::BadInput { .. } => {
                tracing::warn!(?outcome, "registry-sync");
            }
            _ => tracing::debug!(?outcome, "registry-sync"),
        }
        // No receiver is fine: the counters and the journal keep the record.
        let _ = self.inner.outcomes.send(outcome);
    }

    /// Waits for `cost` tokens of the replica's budget.
    async fn acquire(&self, cost: u32) {
        Self::take(&self.inner.limiter, cost).await;
    }

    /// How long to wait before retrying after `e`, `None` when the retry
    /// policy is exhausted. The first time a call is throttled while a rate
    /// limiter is in place, the limiter is emptied instead of sleeping the
    /// exponential delay: the registry's budget is spent, so the retry waits
    /// for a refill at the configured rate (and any `Retry-After`). That
    /// absorbs the small clock skew between our bucket and the registry's
    /// without idling for the policy's delay; a call throttled again backs
    /// off exponentially as usual, in case the configured rate is too high.
    fn retry_delay(
        &self,
        limiter: &Option<Mutex<TokenBucket>>,
        e: &Error,
        attempts: u32,
        elapsed: std::time::Duration,
        seed: u64,
    ) -> Option<std::time::Duration> {
        let delay = self
            .inner
            .config
            .retry
            .next_delay(attempts, elapsed, e.retry_after(), seed)?;
        match limiter {
            Some(bucket) if e.is_throttled() && attempts == 1 => {
                lock(bucket).drain(Instant::now().into_std());
                Some(e.retry_after().unwrap_or_default())
            }
            _ => Some(delay),
        }
    }

    async fn take(limiter: &Option<Mutex<TokenBucket>>, cost: u32) {
        let Some(bucket) = limiter else {
            return;
        };
        loop {
            let wait = {
                let mut b = lock(bucket);
                match b.try_acquire(cost, Instant::now().into_std()) {
                    Ok(()) => return,
                    Err(w) => w,
                }
            };
            tokio::time::sleep(wait).await;
        }
    }

    async fn run_id(&self) -> Result<u64> {
        let mut next = self.inner.next_run.lock().await;
        let id = match *next {
            Some(n) => n,
            None => recover(&self.inner.journal.load().await?).next_run,
        };
        *next = Some(id + 1);
        Ok(id)
    }

    /// Finishes the operations an earlier (crashed) process journaled but did
    /// not complete.
    pub async fn resume(&self) -> Result<RunReport> {
        let records = self.inner.journal.load().await?;
        let recovery = recover(&records);
        {
            let mut next = self.inner.next_run.lock().await;
            let n = next.unwrap_or(0).max(recovery.next_run);
            *next = Some(n);
        }
        let mut report = RunReport::default();
        for run in recovery.open_runs {
            let ops: Vec<(u64, Operation)> = recovery
                .pending
                .iter()
                .filter(|p| p.run == run)
                .map(|p| (p.op, p.operation.clone()))
                .collect();
            tracing::info!(run, pending = ops.len(), "resuming run");
            let mut r = self.apply_ops(run, ops).await?;
            self.inner
                .journal
                .append(&[JournalRecord::RunCompleted { run }])
                .await?;
            self.emit(Outcome::RunCompleted { run });
            r.runs.push(run);
            report.merge(r);
        }
        Ok(report)
    }

    /// Reads every device of `registry`, page by page. A page that fails
    /// transiently is retried from the same cursor (the pages before it are
    /// kept); reads of the replica go through the rate limit.
    async fn snapshot_of(&self, side: Side) -> Result<Snapshot> {
        let (registry, limiter) = self.side(side);
        let limit = self
            .inner
            .config
            .page_size
            .clamp(1, registry.capabilities().get_max_page_size());
        let mut all = Vec::new();
        let mut cursor: Option<PageToken> = None;
        let mut seen = HashSet::new();
        loop {
            let started = Instant::now();
            let mut attempts = 0u32;
            let page = loop {
                Self::take(limiter, 1).await;
                attempts += 1;
                match registry.list(cursor.as_ref(), limit).await {
                    Ok(page) => break page,
                    Err(e) if e.is_retryable() => {
                        if e.is_throttled() {
                            self.emit(Outcome::Throttled {
                                id: None,
                                retry_after: e.retry_after(),
                            });
                        }
                        let delay = self.retry_delay(limiter, &e, attempts, started.elapsed(), 0);
                        match delay {
                            Some(d) => tokio::time::sleep(d).await,
                            None => return Err(e),
                        }
                    }
                    Err(e) => return Err(e),
                }
            };
            all.extend(page.devices);
            match page.next {
                None => break,
                Some(next) => {
                    if !seen.insert(next.clone()) {
                        return Err(Error::new(ErrorKind::Decode)
                            .with_context(format!("{}: page token repeated", registry.name())));
                    }
                    cursor = Some(next);
                }
            }
        }
        Snapshot::from_records(all)
    }

    /// Plans `replica` against `master` from fresh snapshots, without writing.
    pub async fn plan(&self) -> Result<Plan> {
        let master = self.snapshot_of(Side::Master).await;
        let master = master.inspect_err(|e| self.bad_page(e))?;
        let replica = self.snapshot_of(Side::Replica).await;
        let replica = replica.inspect_err(|e| self.bad_page(e))?;
        self.inner.planner.plan(&master, &replica).map_err(|e| {
            let PlanError::MassDelete {
                removals,
                owned,
                allowed,
            } = &e;
            self.emit(Outcome::PlanRefused {
                removals: *removals,
                owned: *owned,
                allowed: *allowed,
            });
            Error::from(e)
        })
    }

    fn bad_page(&self, e: &Error) {
        if e.is_decode() {
            self.emit(Outcome::BadInput {
                input: InputKind::Page,
                detail: e.to_string(),
            });
        }
    }

    /// One full sync: drop completed runs from the journal (see
    /// [`EngineConfig::compact_journal`]), resume unfinished work, snapshot
    /// both sides, plan, journal the plan, apply it.
    pub async fn sync_once(&self) -> Result<RunReport> {
        let span = tracing::info_span!(
            "sync",
            master = self.inner.master.name(),
            replica = self.inner.replica.name()
        );
        async {
            if self.inner.config.compact_journal {
                self.inner.journal.compact().await?;
            }
            let mut report = self.resume().await?;
            let plan = self.plan().await?;
            for d in plan.deferred() {
                self.emit(Outcome::Deferred {
                    id: d.id.clone(),
                    missing: d.missing.clone(),
                });
            }
            report.merge(self.execute(plan).await?);
            Ok(report)
        }
        .instrument(span)
        .await
    }

    /// Journals `plan` and applies it.
    pub async fn execute(&self, plan: Plan) -> Result<RunReport> {
        let deferred = plan.deferred().len();
        if plan.is_empty() {
            return Ok(RunReport {
                deferred,
                ..RunReport::default()
            });
        }
        let run = self.run_id().await?;
        let ops: Vec<(u64, Operation)> = plan
            .into_operations()
            .into_iter()
            .enumerate()
            .map(|(i, p)| (i as u64, p.operation))
            .collect();
        let span = tracing::info_span!("run", run, operations = ops.len());
        async {
            let mut intent = Vec::with_capacity(ops.len().min(10_000) + 1);
            intent.push(JournalRecord::RunStarted {
                run,
                operations: ops.len() as u64,
            });
            for (op, operation) in &ops {
                intent.push(JournalRecord::Planned {
                    run,
                    op: *op,
                    operation: operation.clone(),
                });
                if intent.len() >= 10_000 {
                    self.inner.journal.append(&intent).await?;
                    intent.clear();
                }
            }
            self.inner.journal.append(&intent).await?;
            self.emit(Outcome::RunStarted {
                run,
                operations: ops.len(),
            });
            let mut report = self.apply_ops(run, ops).await?;
            self.inner
                .journal
                .append(&[JournalRecord::RunCompleted { run }])
                .await?;
            self.emit(Outcome::RunCompleted { run });
            report.runs.push(run);
            report.deferred = deferred;
            Ok(report)
        }
        .instrument(span)
        .await
    }

    fn side(&self, side: Side) -> (&dyn ExternalRegistry, &Option<Mutex<TokenBucket>>) {
        match side {
            Side::Master => (&*self.inner.master, &self.inner.master_limiter),
            Side::Replica => (&*self.inner.replica, &self.inner.limiter),
        }
    }

    async fn get_with_retry(&self, side: Side, id: &DeviceId) -> Result<Option<DeviceRecord>> {
        let (registry, limiter) = self.side(side);
        let started = Instant::now();
        let mut attempts = 0;
        loop {
            Self::take(limiter, 1).await;
            attempts += 1;
            match registry.get(id).await {
                Ok(r) => return Ok(r),
                Err(e) if e.is_retryable() => {
                    let d = self.retry_delay(limiter, &e, attempts, started.elapsed(), seed_of(id));
                    match d {
                        Some(d) => tokio::time::sleep(d).await,
                        None => return Err(e),
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }
}
