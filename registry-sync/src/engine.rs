//! The async driver: snapshots, plans, journals and applies, with retries,
//! rate limiting, bounded concurrency, a bulk path and event handling.

use crate::change::{ChangeEvent, EventSource};
use crate::device::{DeviceId, DeviceRecord, DeviceStatus};
use crate::error::{Error, ErrorKind, Result};
use crate::event_filter::EventFilter;
use crate::eventgrid::{EventGridMessage, decode_event_grid};
use crate::journal::{JournalRecord, JournalStore, OpOutcome, recover};
use crate::operation::Operation;
use crate::outcome::{AtomicCounters, Counters, InputKind, Outcome};
use crate::plan::{Plan, PlanError, Planner};
use crate::rate::{RateLimit, TokenBucket};
use crate::registry::{ExternalRegistry, JobStatus, PageToken};
use crate::retry::RetryPolicy;
use crate::snapshot::Snapshot;
use futures_util::StreamExt;
use futures_util::stream;
use std::collections::HashSet;
use std::future::Future;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tracing::Instrument;

/// Engine settings. Every setter documents its default.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    page_size: usize,
    concurrency: usize,
    bulk_threshold: usize,
    retry: RetryPolicy,
    twin_wait: RetryPolicy,
    rate_limit: Option<RateLimit>,
    master_rate_limit: Option<RateLimit>,
    full_sync_interval: Duration,
    event_memory: usize,
    job_threshold: usize,
    job_poll: RetryPolicy,
    compact_journal: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            page_size: 1000,
            concurrency: 8,
            bulk_threshold: 200,
            retry: RetryPolicy::default(),
            twin_wait: RetryPolicy::twin_check(),
            rate_limit: None,
            master_rate_limit: None,
            full_sync_interval: Duration::from_secs(3600),
            event_memory: 100_000,
            job_threshold: 5000,
            job_poll: RetryPolicy::new(
                240,
                Duration::from_secs(5),
                Duration::from_secs(60),
                Duration::from_secs(4 * 3600),
            ),
            compact_journal: true,
        }
    }
}

impl EngineConfig {
    /// Defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Listing page size (default 1000).
    pub fn page_size(&mut self, size: usize) -> &mut Self {
        self.page_size = size.max(1);
        self
    }

    /// Operations in flight at once on the single-operation path (default 8).
    pub fn concurrency(&mut self, n: usize) -> &mut Self {
        self.concurrency = n.max(1);
        self
    }

    /// Plans with at least this many operations use the replica's bulk API
    /// when it has one (default 200).
    pub fn bulk_threshold(&mut self, n: usize) -> &mut Self {
        self.bulk_threshold = n.max(1);
        self
    }

    /// Per-operation retry policy (default [`RetryPolicy::default`]).
    pub fn retry(&mut self, policy: RetryPolicy) -> &mut Self {
        self.retry = policy;
        self
    }

    /// How long to wait for incomplete twins on the event path (default
    /// [`RetryPolicy::twin_check`]).
    pub fn twin_wait(&mut self, policy: RetryPolicy) -> &mut Self {
        self.twin_wait = policy;
        self
    }

    /// Rate limit on calls to the replica (default none); see
    /// [`RateLimit::iot_hub_identity`].
    pub fn rate_limit(&mut self, limit: Option<RateLimit>) -> &mut Self {
        self.rate_limit = limit;
        self
    }

    /// Rate limit on calls to the master (default none): listing and reading
    /// devices there count against its budget too, e.g. when an IoT Hub is
    /// the master.
    pub fn master_rate_limit(&mut self, limit: Option<RateLimit>) -> &mut Self {
        self.master_rate_limit = limit;
        self
    }

    /// Interval of the scheduled full sync in [`Engine::run`] (default 1 hour).
    pub fn full_sync_interval(&mut self, every: Duration) -> &mut Self {
        self.full_sync_interval = every.max(Duration::from_millis(1));
        self
    }

    /// Plans with at least this many operations go through the replica's
    /// import jobs when it has them (default 5000).
    pub fn job_threshold(&mut self, n: usize) -> &mut Self {
        self.job_threshold = n.max(1);
        self
    }

    /// How often and how long to poll an import job (default: 5 s doubling to
    /// 60 s, at most 240 polls, 4 hours).
    pub fn job_poll(&mut self, policy: RetryPolicy) -> &mut Self {
        self.job_poll = policy;
        self
    }

    /// Whether [`Engine::sync_once`] first drops the journal records of runs
    /// completed before it (default true), which bounds the journal to about
    /// one sync's worth. Turn it off to keep the whole history for audits.
    pub fn compact_journal(&mut self, yes: bool) -> &mut Self {
        self.compact_journal = yes;
        self
    }

    /// Event ids remembered for duplicate detection (default 100,000).
    pub fn event_memory(&mut self, n: usize) -> &mut Self {
        self.event_memory = n.max(1);
        self
    }
}

/// What one run did.
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunReport {
    /// Run ids executed (resumed runs first).
    pub runs: Vec<u64>,
    /// Devices created.
    pub created: usize,
    /// Devices updated.
    pub updated: usize,
    /// Devices deleted.
    pub deleted: usize,
    /// Devices disabled.
    pub disabled: usize,
    /// Operations found already applied.
    pub already_applied: usize,
    /// Operations failed for good.
    pub failed: usize,
    /// Master devices deferred for missing data.
    pub deferred: usize,
}

impl RunReport {
    fn merge(&mut self, o: Self) {
        self.runs.extend(o.runs);
        self.created += o.created;
        self.updated += o.updated;
        self.deleted += o.deleted;
        self.disabled += o.disabled;
        self.already_applied += o.already_applied;
        self.failed += o.failed;
        self.deferred += o.deferred;
    }

    fn tally(&mut self, t: Tally) {
        match t {
            Tally::Done(Operation::Create { .. }) => self.created += 1,
            Tally::Done(Operation::Update { .. }) => self.updated += 1,
            Tally::Done(Operation::Delete { .. }) => self.deleted += 1,
            Tally::Done(Operation::Disable { .. }) => self.disabled += 1,
            Tally::AlreadyApplied => self.already_applied += 1,
            Tally::Failed => self.failed += 1,
        }
    }

    /// Operations that changed the replica in this run.
    pub fn applied(&self) -> usize {
        self.created + self.updated + self.deleted + self.disabled
    }
}

#[derive(Clone, Copy)]
enum Side {
    Master,
    Replica,
}

enum Tally {
    Done(Operation),
    AlreadyApplied,
    Failed,
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
    /// An engine syncing `replica` from `master`.
    pub fn new(
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
        let (outcomes, _) = broadcast::channel(4096);
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

    /// A receiver of every outcome from now on. A receiver that falls more
    /// than 4096 outcomes behind gets `RecvError::Lagged` with the count it
    /// missed; the [`Engine::counters`] are exact regardless.
    pub fn outcomes(&self) -> broadcast::Receiver<Outcome> {
        self.inner.outcomes.subscribe()
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
            .clamp(1, registry.capabilities().max_page_size.max(1));
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
                        let delay = self.inner.config.retry.next_delay(
                            attempts,
                            started.elapsed(),
                            e.retry_after(),
                            0,
                        );
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

    async fn apply_ops(&self, run: u64, ops: Vec<(u64, Operation)>) -> Result<RunReport> {
        let mut report = RunReport::default();
        let caps = self.inner.replica.capabilities();
        let ops = if caps.import_jobs && ops.len() >= self.inner.config.job_threshold {
            self.apply_job(run, ops, &mut report).await?
        } else {
            ops
        };
        let max_bulk = caps.max_bulk;
        let single = match max_bulk {
            Some(max) if ops.len() >= self.inner.config.bulk_threshold => {
                let mut leftovers = Vec::new();
                for chunk in ops.chunks(max) {
                    leftovers.extend(self.apply_bulk(run, chunk, &mut report).await?);
                }
                leftovers
            }
            _ => ops,
        };
        let mut results = stream::iter(single)
            .map(|(op, operation)| self.apply_single(run, op, operation))
            .buffer_unordered(self.inner.config.concurrency);
        // A journal failure stops the run at once: dropping the stream
        // cancels the operations in flight, which the next resume finishes.
        while let Some(r) = results.next().await {
            report.tally(r?);
        }
        Ok(report)
    }

    fn done_outcome(&self, op: &Operation) -> Outcome {
        let id = op.device_id().clone();
        match op {
            Operation::Create { .. } => Outcome::Created { id },
            Operation::Update { .. } => Outcome::Updated { id },
            Operation::Delete { .. } => Outcome::Deleted { id },
            Operation::Disable { .. } => Outcome::Disabled { id },
        }
    }

    async fn execute_one(&self, op: &Operation) -> Result<()> {
        let r = &*self.inner.replica;
        match op {
            Operation::Create { device } => r.create(device).await.map(drop),
            Operation::Update {
                device,
                precondition,
            } => r.update(device, precondition).await.map(drop),
            Operation::Delete { id, precondition } => r.delete(id, precondition).await,
            Operation::Disable {
                id,
                reason,
                precondition,
            } => r.disable(id, reason, precondition).await.map(drop),
        }
    }

    /// Decides what a failed write means: done already (its effect is in
    /// place), worth retrying, or failed.
    async fn resolve(&self, op: &Operation, e: Error) -> Resolution {
        if e.is_retryable() {
            return Resolution::Retry(e);
        }
        let gone_ok =
            e.is_not_found() && matches!(op, Operation::Delete { .. } | Operation::Disable { .. });
        if gone_ok {
            return Resolution::AlreadyApplied;
        }
        if !e.is_conflict() {
            return Resolution::Fail(e);
        }
        self.acquire(1).await;
        let current = match self.inner.replica.get(op.device_id()).await {
            Ok(c) => c,
            Err(ge) if ge.is_retryable() => return Resolution::Retry(ge),
            Err(_) => return Resolution::Fail(e),
        };
        let in_place = match (op, &current) {
            (Operation::Create { device } | Operation::Update { device, .. }, Some(c)) => {
                device.same_content(c)
            }
            (Operation::Delete { .. }, None) => true,
            (Operation::Disable { reason, .. }, Some(c)) => {
                matches!(&c.status, DeviceStatus::Disabled { reason: Some(r) } if r == reason)
            }
            (Operation::Disable { .. }, None) => true,
            _ => false,
        };
        if in_place {
            Resolution::AlreadyApplied
        } else {
            Resolution::Fail(e)
        }
    }

    async fn record_done(&self, run: u64, op: u64, outcome: OpOutcome) -> Result<()> {
        self.inner
            .journal
            .append(&[JournalRecord::Applied { run, op, outcome }])
            .await
    }

    async fn record_failed(&self, run: u64, op: u64, kind: ErrorKind, attempts: u32) -> Result<()> {
        self.inner
            .journal
            .append(&[JournalRecord::Failed {
                run,
                op,
                error: format!("{kind:?}"),
                attempts,
            }])
            .await
    }

    async fn apply_single(&self, run: u64, op_id: u64, op: Operation) -> Result<Tally> {
        let id = op.device_id().clone();
        let name = op.name();
        let span = tracing::debug_span!("apply", run, op = op_id, device = %id, operation = name);
        async {
            let started = Instant::now();
            let mut attempts = 0u32;
            loop {
                self.acquire(1).await;
                attempts += 1;
                let err = match self.execute_one(&op).await {
                    Ok(()) => {
                        self.record_done(run, op_id, OpOutcome::Applied).await?;
                        self.emit(self.done_outcome(&op));
                        return Ok(Tally::Done(op));
                    }
                    Err(e) => e,
                };
                match self.resolve(&op, err).await {
                    Resolution::AlreadyApplied => {
                        self.record_done(run, op_id, OpOutcome::AlreadyApplied)
                            .await?;
                        self.emit(Outcome::AlreadyApplied {
                            id,
                            operation: name,
                        });
                        return Ok(Tally::AlreadyApplied);
                    }
                    Resolution::Fail(e) => {
                        self.record_failed(run, op_id, e.kind(), attempts).await?;
                        self.emit(Outcome::Failed {
                            id,
                            operation: name,
                            kind: e.kind(),
                        });
                        return Ok(Tally::Failed);
                    }
                    Resolution::Retry(e) => {
                        if e.is_throttled() {
                            self.emit(Outcome::Throttled {
                                id: Some(id.clone()),
                                retry_after: e.retry_after(),
                            });
                        }
                        let delay = self.inner.config.retry.next_delay(
                            attempts,
                            started.elapsed(),
                            e.retry_after(),
                            seed_of(&id),
                        );
                        let Some(delay) = delay else {
                            self.record_failed(run, op_id, e.kind(), attempts).await?;
                            self.emit(Outcome::FailedAfterRetries {
                                id,
                                operation: name,
                                attempts,
                                kind: e.kind(),
                            });
                            return Ok(Tally::Failed);
                        };
                        self.emit(Outcome::Retrying {
                            id: id.clone(),
                            operation: name,
                            attempt: attempts,
                            delay,
                            kind: e.kind(),
                        });
                        tokio::time::sleep(delay).await;
                    }
                }
            }
        }
        .instrument(span)
        .await
    }

    /// One bulk call (retried as a whole on transient errors); returns the
    /// operations that must go the single path.
    async fn apply_bulk(
        &self,
        run: u64,
        chunk: &[(u64, Operation)],
        report: &mut RunReport,
    ) -> Result<Vec<(u64, Operation)>> {
        let ops: Vec<Operation> = chunk.iter().map(|(_, o)| o.clone()).collect();
        let started = Instant::now();
        let mut attempts = 0u32;
        let results = loop {
            self.acquire(u32::try_from(ops.len()).unwrap_or(u32::MAX))
                .await;
            attempts += 1;
            match self.inner.replica.apply_bulk(&ops).await {
                Ok(results) if results.len() == ops.len() => break results,
                Ok(results) => {
                    self.emit(Outcome::BadInput {
                        input: InputKind::BulkResult,
                        detail: format!(
                            "bulk result has {} entries for {} operations",
                            results.len(),
                            ops.len()
                        ),
                    });
                    return Ok(chunk.to_vec());
                }
                Err(e) if e.is_retryable() => {
                    if e.is_throttled() {
                        self.emit(Outcome::Throttled {
                            id: None,
                            retry_after: e.retry_after(),
                        });
                    }
                    match self.inner.config.retry.next_delay(
                        attempts,
                        started.elapsed(),
                        e.retry_after(),
                        run,
                    ) {
                        Some(d) => tokio::time::sleep(d).await,
                        None => return Ok(chunk.to_vec()),
                    }
                }
                Err(_) => return Ok(chunk.to_vec()),
            }
        };
        let leftovers = self.settle(run, chunk, results, attempts, report).await?;
        if !leftovers.is_empty() {
            self.emit(Outcome::BulkPartialFailure {
                items: chunk.len(),
                failed: leftovers.len(),
            });
        }
        Ok(leftovers)
    }

    /// Journals and reports the per-item results of a bulk call or job;
    /// returns the items to retry on the single path.
    async fn settle(
        &self,
        run: u64,
        chunk: &[(u64, Operation)],
        results: Vec<Result<()>>,
        attempts: u32,
        report: &mut RunReport,
    ) -> Result<Vec<(u64, Operation)>> {
        let mut records = Vec::with_capacity(chunk.len());
        let mut outcomes = Vec::with_capacity(chunk.len());
        let mut leftovers = Vec::new();
        for ((op_id, op), result) in chunk.iter().zip(results) {
            let resolution = match result {
                Ok(()) => {
                    records.push(JournalRecord::Applied {
                        run,
                        op: *op_id,
                        outcome: OpOutcome::Applied,
                    });
                    outcomes.push(self.done_outcome(op));
                    report.tally(Tally::Done(op.clone()));
                    continue;
                }
                Err(e) => self.resolve(op, e).await,
            };
            match resolution {
                Resolution::AlreadyApplied => {
                    records.push(JournalRecord::Applied {
                        run,
                        op: *op_id,
                        outcome: OpOutcome::AlreadyApplied,
                    });
                    outcomes.push(Outcome::AlreadyApplied {
                        id: op.device_id().clone(),
                        operation: op.name(),
                    });
                    report.tally(Tally::AlreadyApplied);
                }
                Resolution::Retry(_) => leftovers.push((*op_id, op.clone())),
                Resolution::Fail(e) => {
                    records.push(JournalRecord::Failed {
                        run,
                        op: *op_id,
                        error: format!("{:?}", e.kind()),
                        attempts,
                    });
                    outcomes.push(Outcome::Failed {
                        id: op.device_id().clone(),
                        operation: op.name(),
                        kind: e.kind(),
                    });
                    report.tally(Tally::Failed);
                }
            }
        }
        self.inner.journal.append(&records).await?;
        for o in outcomes {
            self.emit(o);
        }
        Ok(leftovers)
    }

    /// Applies `ops` through one import job; returns what must go the
    /// bulk/single path (everything, if the job failed or never finished:
    /// those paths are idempotent, so partial job effects are harmless).
    async fn apply_job(
        &self,
        run: u64,
        ops: Vec<(u64, Operation)>,
        report: &mut RunReport,
    ) -> Result<Vec<(u64, Operation)>> {
        let operations: Vec<Operation> = ops.iter().map(|(_, o)| o.clone()).collect();
        let started = Instant::now();
        let mut attempts = 0u32;
        let job = loop {
            self.acquire(1).await;
            attempts += 1;
            match self.inner.replica.start_import_job(&operations).await {
                Ok(job) => break job,
                Err(e) if e.is_retryable() => {
                    match self.inner.config.retry.next_delay(
                        attempts,
                        started.elapsed(),
                        e.retry_after(),
                        run,
                    ) {
                        Some(d) => tokio::time::sleep(d).await,
                        None => {
                            self.emit(Outcome::JobFailed {
                                job: None,
                                reason: e.to_string(),
                            });
                            return Ok(ops);
                        }
                    }
                }
                Err(e) => {
                    self.emit(Outcome::JobFailed {
                        job: None,
                        reason: e.to_string(),
                    });
                    return Ok(ops);
                }
            }
        };
        let job_name = job.as_str().to_owned();
        let polling = Instant::now();
        let mut polls = 0u32;
        let status = loop {
            polls += 1;
            let Some(delay) =
                self.inner
                    .config
                    .job_poll
                    .next_delay(polls, polling.elapsed(), None, run)
            else {
                self.emit(Outcome::JobFailed {
                    job: Some(job_name),
                    reason: "gave up waiting for the job".into(),
                });
                return Ok(ops);
            };
            tokio::time::sleep(delay).await;
            self.acquire(1).await;
            match self.inner.replica.job_status(&job).await {
                Ok(JobStatus::Running { progress }) => self.emit(Outcome::JobNotComplete {
                    job: job_name.clone(),
                    progress,
                    polls,
                }),
                Ok(done) => break done,
                Err(e) if e.is_retryable() => {}
                Err(e) => {
                    self.emit(Outcome::JobFailed {
                        job: Some(job_name),
                        reason: e.to_string(),
                    });
                    return Ok(ops);
                }
            }
        };
        let failures = match status {
            JobStatus::Completed { failures } => failures,
            JobStatus::Failed { reason } => {
                self.emit(Outcome::JobFailed {
                    job: Some(job_name),
                    reason,
                });
                return Ok(ops);
            }
            JobStatus::Cancelled | JobStatus::Running { .. } => {
                self.emit(Outcome::JobFailed {
                    job: Some(job_name),
                    reason: "cancelled".into(),
                });
                return Ok(ops);
            }
        };
        let mut failed: std::collections::HashMap<usize, ErrorKind> =
            std::collections::HashMap::new();
        for f in &failures {
            if f.index >= ops.len() {
                self.emit(Outcome::BadInput {
                    input: InputKind::BulkResult,
                    detail: format!(
                        "job {job_name} reports a failure for item {} of {}",
                        f.index,
                        ops.len()
                    ),
                });
                return Ok(ops);
            }
            failed.insert(f.index, f.kind);
        }
        let results: Vec<Result<()>> = (0..ops.len())
            .map(|i| match failed.get(&i) {
                None => Ok(()),
                Some(kind) => Err(Error::new(*kind)),
            })
            .collect();
        let leftovers = self.settle(run, &ops, results, 1, report).await?;
        self.emit(Outcome::JobCompleted {
            job: job_name,
            items: ops.len(),
            failed: failed.len(),
        });
        Ok(leftovers)
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
                    let d = self.inner.config.retry.next_delay(
                        attempts,
                        started.elapsed(),
                        e.retry_after(),
                        seed_of(id),
                    );
                    match d {
                        Some(d) => tokio::time::sleep(d).await,
                        None => return Err(e),
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Reads the master device, waiting with backoff while required data is
    /// missing. `Ok(None)` when the device is gone; `Err` with
    /// [`ErrorKind::NotFound`]-free kinds on registry failure; gives up
    /// (returns `Ok(Some(incomplete))`) when the twin wait runs out.
    async fn master_when_complete(&self, id: &DeviceId) -> Result<Option<DeviceRecord>> {
        let started = Instant::now();
        let completeness = self.inner.planner.policy().get_completeness();
        let mut attempt = 0u32;
        loop {
            let Some(device) = self.get_with_retry(Side::Master, id).await? else {
                return Ok(None);
            };
            let missing = completeness.missing(&device);
            if missing.is_empty() {
                return Ok(Some(device));
            }
            attempt += 1;
            let next = self.inner.config.twin_wait.next_delay(
                attempt,
                started.elapsed(),
                None,
                seed_of(id),
            );
            match next {
                Some(retry_in) => {
                    self.emit(Outcome::TwinCheckFailed {
                        id: id.clone(),
                        missing,
                        attempt,
                        retry_in,
                    });
                    tokio::time::sleep(retry_in).await;
                }
                None => {
                    self.emit(Outcome::TwinCheckGaveUp {
                        id: id.clone(),
                        missing,
                    });
                    return Ok(Some(device));
                }
            }
        }
    }

    /// Handles one change event from the master: drops duplicates, stale and
    /// non-lifecycle events (recording why), then reconciles that device
    /// from the current state of both registries.
    pub async fn handle_event(&self, event: ChangeEvent) -> Result<RunReport> {
        if let Err(why) = lock(&self.inner.filter).admit(&event) {
            self.emit(Outcome::EventIgnored {
                event_id: event.id,
                kind: event.kind,
                why,
            });
            return Ok(RunReport::default());
        }
        let span = tracing::info_span!("event", id = %event.id, device = %event.device, kind = ?event.kind);
        async {
            let master = self.master_when_complete(&event.device).await?;
            let replica_id = self
                .inner
                .planner
                .policy()
                .get_scope()
                .replica_id(&event.device);
            let replica = self.get_with_retry(Side::Replica, &replica_id).await?;
            let plan = self
                .inner
                .planner
                .plan_device(master.as_ref(), replica.as_ref());
            self.execute(plan).await
        }
        .instrument(span)
        .await
    }

    /// Decodes an Event Grid body (either schema) and handles each event.
    /// Malformed elements are recorded as [`Outcome::BadInput`] and skipped;
    /// returns the validation codes of handshake events, to be answered with
    /// [`crate::eventgrid::validation_response`].
    pub async fn handle_event_grid(&self, body: &[u8]) -> Result<(RunReport, Vec<String>)> {
        let decoded = decode_event_grid(body).map_err(|e| {
            self.emit(Outcome::BadInput {
                input: InputKind::Event,
                detail: e.to_string(),
            });
            Error::from(e)
        })?;
        let mut report = RunReport::default();
        let mut codes = Vec::new();
        for item in decoded {
            match item {
                Ok(EventGridMessage::Change(ev)) => report.merge(self.handle_event(*ev).await?),
                Ok(EventGridMessage::SubscriptionValidation { code }) => codes.push(code),
                Err(e) => self.emit(Outcome::BadInput {
                    input: InputKind::Event,
                    detail: e.to_string(),
                }),
            }
        }
        Ok((report, codes))
    }

    /// Runs until `shutdown` resolves: a full sync at start and every
    /// [`EngineConfig::full_sync_interval`], and every event from `events`.
    ///
    /// Events are handled in background tasks, at most
    /// [`EngineConfig::concurrency`] at once, so a device waiting for its twin
    /// does not hold up the others. Errors of single syncs and events are
    /// logged and do not stop the loop, except journal failures, which do
    /// (the engine cannot stay crash-safe without its journal). On shutdown,
    /// event tasks in flight are cancelled; their journaled operations are
    /// finished by the next [`Engine::resume`].
    pub async fn run(
        &self,
        events: Option<Arc<dyn EventSource>>,
        shutdown: impl Future<Output = ()>,
    ) -> Result<()> {
        tokio::pin!(shutdown);
        let mut tick = tokio::time::interval(self.inner.config.full_sync_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut events_open = events.is_some();
        let mut tasks: JoinSet<Result<RunReport>> = JoinSet::new();
        let result = loop {
            let can_take = events_open && tasks.len() < self.inner.config.concurrency;
            let next_event = async {
                match (&events, can_take) {
                    (Some(src), true) => src.next().await,
                    _ => std::future::pending().await,
                }
            };
            tokio::select! {
                () = &mut shutdown => break Ok(()),
                _ = tick.tick() => {
                    if let Err(e) = self.sync_once().await {
                        if e.is_journal() { break Err(e); }
                        tracing::warn!(error = %e, "full sync failed");
                    }
                }
                Some(done) = tasks.join_next(), if !tasks.is_empty() => match done {
                    Ok(Err(e)) if e.is_journal() => break Err(e),
                    Ok(Err(e)) => tracing::warn!(error = %e, "event handling failed"),
                    Ok(Ok(_)) => {}
                    Err(join) => tracing::warn!(error = %join, "event task ended abnormally"),
                },
                ev = next_event => match ev {
                    Ok(Some(ev)) => {
                        let engine = self.clone();
                        tasks.spawn(async move { engine.handle_event(ev).await });
                    }
                    Ok(None) => events_open = false,
                    Err(e) => self.emit(Outcome::BadInput { input: InputKind::Event, detail: e.to_string() }),
                }
            }
        };
        tasks.shutdown().await;
        result
    }
}
