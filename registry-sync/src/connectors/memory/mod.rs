//! An in-memory registry with etags, soft delete, bulk calls, import jobs, a
//! change feed and deterministic fault injection (feature `memory`): a test
//! double for tests, examples, benchmarks and demos, not a store to sync into.

use crate::engine::{RateLimit, TokenBucket};
use crate::error::{Error, ErrorKind, Result};
use crate::model::Snapshot;
use crate::model::{ChangeEvent, ChangeKind, EventOrder};
use crate::model::{DeviceId, DeviceRecord, DeviceStatus, Etag};
use crate::plan::{Operation, Precondition};
use crate::registry::{
    Capabilities, ExternalRegistry, JobId, JobItemFailure, JobStatus, Page, PageToken,
};
use async_trait::async_trait;
use std::collections::{BTreeMap, VecDeque};
use std::ops::Bound;
use std::sync::{Mutex, MutexGuard};
use tokio::sync::mpsc;

mod fault;
mod feed;
mod mutation;

pub use fault::Fault;
use fault::Faults;
pub use feed::MemoryFeed;
pub use mutation::{Mutation, MutationKind};

#[derive(Debug)]
struct State {
    devices: BTreeMap<DeviceId, DeviceRecord>,
    etag_counter: u64,
    calls: u64,
    bulk_items: u64,
    faults: Faults,
    limiter: Option<TokenBucket>,
    throttled: u64,
    mutations: Vec<Mutation>,
    feeds: Vec<mpsc::UnboundedSender<ChangeEvent>>,
    event_seq: u64,
    jobs: BTreeMap<String, Job>,
    job_polls: u32,
    job_failures: VecDeque<String>,
}

#[derive(Debug)]
struct Job {
    operations: Vec<Operation>,
    polls_left: u32,
    fail: Option<String>,
    done: Option<JobStatus>,
}

/// A registry held in memory.
///
/// Behaves like the contract of [`ExternalRegistry`] says: `AlreadyExists` on
/// duplicate create, `PreconditionFailed` on etag mismatch, `NotFound` on a
/// missing device; every write assigns a fresh etag. Faults are deterministic:
/// scripted (`fail_next`), periodic (`fail_every`), per bulk item
/// (`fail_bulk_items_every`, also applied to job items), whole import jobs
/// (`fail_next_job`), a rate limit enforced with 429s on tokio's clock
/// (`throttle_above`), or everything down (`set_offline`). A failed call
/// changes nothing. Import jobs report `Running` for `set_job_polls` status
/// calls, then apply their operations and report `Completed`.
#[derive(Debug)]
pub struct MemoryRegistry {
    name: String,
    caps: Capabilities,
    state: Mutex<State>,
}

impl MemoryRegistry {
    /// An empty registry with bulk batches of 100, native soft delete and etags.
    pub fn new(name: impl Into<String>) -> Self {
        Self::with_capabilities(
            name,
            Capabilities::new()
                .max_bulk(Some(100))
                .soft_delete(true)
                .etags(true)
                .max_page_size(1000)
                .import_jobs(true),
        )
    }

    /// An empty registry declaring `caps` (bulk calls are refused when
    /// its bulk limit is `None`; etags are ignored when it does not honour them).
    pub fn with_capabilities(name: impl Into<String>, caps: &Capabilities) -> Self {
        Self {
            name: name.into(),
            caps: *caps,
            state: Mutex::new(State {
                devices: BTreeMap::new(),
                etag_counter: 0,
                calls: 0,
                bulk_items: 0,
                faults: Faults::default(),
                limiter: None,
                throttled: 0,
                mutations: Vec::new(),
                feeds: Vec::new(),
                event_seq: 0,
                jobs: BTreeMap::new(),
                job_polls: 2,
                job_failures: VecDeque::new(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves consistent data (every write is
        // a single map operation), so a poisoned lock is still usable.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Adds devices directly (no fault, no mutation log, no event); etags are assigned.
    pub fn seed(&self, devices: impl IntoIterator<Item = DeviceRecord>) {
        let mut s = self.lock();
        for mut d in devices {
            s.etag_counter += 1;
            d.etag = Some(Etag::new(format!("m{}", s.etag_counter)));
            s.devices.insert(d.id.clone(), d);
        }
    }

    /// Every device, as a snapshot (no fault applied).
    pub fn snapshot(&self) -> Snapshot {
        let s = self.lock();
        // The map has unique ids, so this cannot fail.
        Snapshot::from_records(s.devices.values().cloned()).unwrap_or_default()
    }

    /// Number of devices.
    pub fn len(&self) -> usize {
        self.lock().devices.len()
    }

    /// Whether the registry is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The next `count` calls fail with `fault`.
    pub fn fail_next(&self, fault: Fault, count: usize) {
        let mut s = self.lock();
        s.faults.next.extend(std::iter::repeat_n(fault, count));
    }

    /// Every `n`th call (counting all calls) fails with `fault`; `n = 0` turns it off.
    pub fn fail_every(&self, n: u64, fault: Fault) {
        self.lock().faults.every = (n > 0).then_some((n, fault));
    }

    /// Inside bulk calls, every `n`th item fails with `Unavailable`; `n = 0` turns it off.
    pub fn fail_bulk_items_every(&self, n: u64) {
        self.lock().faults.bulk_item_every = (n > 0).then_some(n);
    }

    /// While offline, every call fails with `Unavailable` and changes nothing.
    pub fn set_offline(&self, offline: bool) {
        self.lock().faults.offline = offline;
    }

    /// Enforces `limit` (on tokio's clock) by answering 429 above it; bulk
    /// calls cost one token per item.
    pub fn throttle_above(&self, limit: Option<RateLimit>) {
        let now = tokio::time::Instant::now().into_std();
        self.lock().limiter = limit.map(|l| TokenBucket::new(l, now));
    }

    /// Import jobs report `Running` for this many status calls before they
    /// finish (default 2); they apply their operations when they finish.
    pub fn set_job_polls(&self, polls: u32) {
        self.lock().job_polls = polls;
    }

    /// The next import job fails as a whole with `reason`, applying nothing.
    pub fn fail_next_job(&self, reason: impl Into<String>) {
        self.lock().job_failures.push_back(reason.into());
    }

    /// Every successful write so far.
    pub fn mutations(&self) -> Vec<Mutation> {
        self.lock().mutations.clone()
    }

    /// Number of calls received (including failed ones).
    pub fn calls(&self) -> u64 {
        self.lock().calls
    }

    /// Number of calls refused by [`Self::throttle_above`].
    pub fn throttled_calls(&self) -> u64 {
        self.lock().throttled
    }

    /// A feed of change events for every write from now on.
    pub fn subscribe(&self) -> MemoryFeed {
        let (tx, rx) = mpsc::unbounded_channel();
        self.lock().feeds.push(tx);
        MemoryFeed::new(rx)
    }

    fn admit(&self, s: &mut State, cost: u32) -> Result<()> {
        s.calls += 1;
        if s.faults.offline {
            return Err(Error::new(ErrorKind::Unavailable).with_context("offline"));
        }
        if let Some(f) = s.faults.next.pop_front() {
            return Err(f.error());
        }
        if let Some((n, f)) = s.faults.every
            && s.calls.is_multiple_of(n)
        {
            return Err(f.error());
        }
        if let Some(limiter) = s.limiter.as_mut() {
            let now = tokio::time::Instant::now().into_std();
            if let Err(wait) = limiter.try_acquire(cost, now) {
                s.throttled += 1;
                return Err(Error::throttled(Some(wait)));
            }
        }
        Ok(())
    }

    fn check(&self, current: Option<&DeviceRecord>, pre: &Precondition) -> Result<()> {
        if let (Precondition::IfMatch(want), true) = (pre, self.caps.get_etags())
            && current.and_then(|c| c.etag.as_ref()) != Some(want)
        {
            return Err(Error::new(ErrorKind::PreconditionFailed));
        }
        Ok(())
    }

    fn record(s: &mut State, kind: MutationKind, id: &DeviceId) {
        s.mutations.push(Mutation {
            kind,
            id: id.clone(),
        });
        s.event_seq += 1;
        let change = match kind {
            MutationKind::Create => ChangeKind::Created,
            MutationKind::Delete => ChangeKind::Deleted,
            MutationKind::Update | MutationKind::Disable => ChangeKind::Updated,
        };
        let mut ev = ChangeEvent::new(format!("mem-{}", s.event_seq), id.clone(), change);
        ev.order = EventOrder::new().with_sequence(format!("{:016x}", s.event_seq));
        s.feeds.retain(|tx| tx.send(ev.clone()).is_ok());
    }

    fn next_etag(s: &mut State) -> Etag {
        s.etag_counter += 1;
        Etag::new(format!("m{}", s.etag_counter))
    }

    fn do_create(&self, s: &mut State, device: &DeviceRecord) -> Result<DeviceRecord> {
        if s.devices.contains_key(&device.id) {
            return Err(Error::new(ErrorKind::AlreadyExists).with_context(device.id.to_string()));
        }
        let mut d = device.clone();
        d.etag = Some(Self::next_etag(s));
        s.devices.insert(d.id.clone(), d.clone());
        Self::record(s, MutationKind::Create, &d.id);
        Ok(d)
    }

    fn do_update(
        &self,
        s: &mut State,
        device: &DeviceRecord,
        pre: &Precondition,
    ) -> Result<DeviceRecord> {
        let Some(current) = s.devices.get(&device.id) else {
            return Err(Error::new(ErrorKind::NotFound).with_context(device.id.to_string()));
        };
        self.check(Some(current), pre)?;
        let mut d = device.clone();
        // Reported properties belong to the device; a back-end write keeps them.
        d.reported = current.reported.clone();
        d.etag = Some(Self::next_etag(s));
        s.devices.insert(d.id.clone(), d.clone());
        Self::record(s, MutationKind::Update, &d.id);
        Ok(d)
    }

    fn do_delete(&self, s: &mut State, id: &DeviceId, pre: &Precondition) -> Result<()> {
        let Some(current) = s.devices.get(id) else {
            return Err(Error::new(ErrorKind::NotFound).with_context(id.to_string()));
        };
        self.check(Some(current), pre)?;
        s.devices.remove(id);
        Self::record(s, MutationKind::Delete, id);
        Ok(())
    }

    fn do_disable(
        &self,
        s: &mut State,
        id: &DeviceId,
        reason: &str,
        pre: &Precondition,
    ) -> Result<DeviceRecord> {
        let Some(current) = s.devices.get(id) else {
            return Err(Error::new(ErrorKind::NotFound).with_context(id.to_string()));
        };
        self.check(Some(current), pre)?;
        let mut d = current.clone();
        d.status = DeviceStatus::disabled(reason);
        d.etag = Some(Self::next_etag(s));
        s.devices.insert(d.id.clone(), d.clone());
        Self::record(s, MutationKind::Disable, id);
        Ok(d)
    }
}

#[async_trait]
impl ExternalRegistry for MemoryRegistry {
    fn name(&self) -> &str {
        &self.name
    }

    fn capabilities(&self) -> Capabilities {
        self.caps
    }

    async fn list(&self, cursor: Option<&PageToken>, limit: usize) -> Result<Page> {
        let mut s = self.lock();
        self.admit(&mut s, 1)?;
        let limit = limit.clamp(1, self.caps.get_max_page_size());
        let start = match cursor {
            None => Bound::Unbounded,
            Some(t) => Bound::Excluded(DeviceId::new(t.as_str())),
        };
        let devices: Vec<DeviceRecord> = s
            .devices
            .range((start, Bound::Unbounded))
            .take(limit)
            .map(|(_, d)| d.clone())
            .collect();
        let next = match devices.last() {
            Some(last) if devices.len() == limit => {
                let more = s
                    .devices
                    .range((Bound::Excluded(last.id.clone()), Bound::Unbounded))
                    .next()
                    .is_some();
                more.then(|| PageToken::new(last.id.as_str()))
            }
            _ => None,
        };
        Ok(Page::new(devices, next))
    }

    async fn get(&self, id: &DeviceId) -> Result<Option<DeviceRecord>> {
        let mut s = self.lock();
        self.admit(&mut s, 1)?;
        Ok(s.devices.get(id).cloned())
    }

    async fn create(&self, device: &DeviceRecord) -> Result<DeviceRecord> {
        let mut s = self.lock();
        self.admit(&mut s, 1)?;
        self.do_create(&mut s, device)
    }

    async fn update(
        &self,
        device: &DeviceRecord,
        precondition: &Precondition,
    ) -> Result<DeviceRecord> {
        let mut s = self.lock();
        self.admit(&mut s, 1)?;
        self.do_update(&mut s, device, precondition)
    }

    async fn delete(&self, id: &DeviceId, precondition: &Precondition) -> Result<()> {
        let mut s = self.lock();
        self.admit(&mut s, 1)?;
        self.do_delete(&mut s, id, precondition)
    }

    async fn disable(
        &self,
        id: &DeviceId,
        reason: &str,
        precondition: &Precondition,
    ) -> Result<DeviceRecord> {
        let mut s = self.lock();
        self.admit(&mut s, 1)?;
        self.do_disable(&mut s, id, reason, precondition)
    }

    async fn apply_bulk(&self, operations: &[Operation]) -> Result<Vec<Result<()>>> {
        let Some(max) = self.caps.get_max_bulk() else {
            return Err(Error::new(ErrorKind::Unsupported).with_context("bulk"));
        };
        if operations.len() > max {
            return Err(Error::new(ErrorKind::Rejected).with_context("bulk batch too large"));
        }
        let mut s = self.lock();
        let cost = u32::try_from(operations.len()).unwrap_or(u32::MAX);
        self.admit(&mut s, cost)?;
        Ok(self.apply_items(&mut s, operations))
    }

    async fn start_import_job(&self, operations: &[Operation]) -> Result<JobId> {
        if !self.caps.get_import_jobs() {
            return Err(Error::new(ErrorKind::Unsupported).with_context("import jobs"));
        }
        let mut s = self.lock();
        self.admit(&mut s, 1)?;
        let id = format!("job-{}", s.jobs.len() + 1);
        let job = Job {
            operations: operations.to_vec(),
            polls_left: s.job_polls,
            fail: s.job_failures.pop_front(),
            done: None,
        };
        s.jobs.insert(id.clone(), job);
        Ok(JobId::new(id))
    }

    async fn job_status(&self, job: &JobId) -> Result<JobStatus> {
        let mut s = self.lock();
        self.admit(&mut s, 1)?;
        let Some(j) = s.jobs.get_mut(job.as_str()) else {
            return Err(Error::new(ErrorKind::NotFound).with_context(job.as_str().to_owned()));
        };
        if let Some(done) = &j.done {
            return Ok(done.clone());
        }
        if j.polls_left > 0 {
            j.polls_left -= 1;
            return Ok(JobStatus::Running { progress: None });
        }
        let fail = j.fail.take();
        let ops = std::mem::take(&mut j.operations);
        let status = match fail {
            Some(reason) => JobStatus::Failed { reason },
            None => {
                let results = self.apply_items(&mut s, &ops);
                let failures = results
                    .iter()
                    .enumerate()
                    .filter_map(|(i, r)| r.as_ref().err().map(|e| JobItemFailure::new(i, e.kind())))
                    .collect();
                JobStatus::Completed { failures }
            }
        };
        if let Some(j) = s.jobs.get_mut(job.as_str()) {
            j.done = Some(status.clone());
        }
        Ok(status)
    }
}

impl MemoryRegistry {
    /// Applies bulk or job items one by one, with the bulk item faults.
    fn apply_items(&self, s: &mut State, operations: &[Operation]) -> Vec<Result<()>> {
        let mut out = Vec::with_capacity(operations.len());
        for op in operations {
            s.bulk_items += 1;
            if let Some(n) = s.faults.bulk_item_every
                && s.bulk_items.is_multiple_of(n)
            {
                out.push(Err(
                    Error::new(ErrorKind::Unavailable).with_context(op.device_id().to_string())
                ));
                continue;
            }
            let r = match op {
                Operation::Create { device } => self.do_create(s, device).map(drop),
                Operation::Update {
                    device,
                    precondition,
                } => self.do_update(s, device, precondition).map(drop),
                Operation::Delete { id, precondition } => self.do_delete(s, id, precondition),
                Operation::Disable {
                    id,
                    reason,
                    precondition,
                } => self.do_disable(s, id, reason, precondition).map(drop),
            };
            out.push(r);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::EventSource;
    use crate::registry::fetch_snapshot;
    use std::time::Duration;

    #[tokio::test]
    async fn etags_guard_writes() {
        let r = MemoryRegistry::new("m");
        let created = r.create(&DeviceRecord::new("a")).await.unwrap();
        let stale = Precondition::IfMatch(Etag::new("nope"));
        assert!(
            r.update(&created, &stale)
                .await
                .unwrap_err()
                .is_precondition_failed()
        );
        let pre = Precondition::from_etag(created.etag.as_ref());
        let updated = r
            .update(&created.clone().with_tag("k", "v"), &pre)
            .await
            .unwrap();
        assert_ne!(updated.etag, created.etag);
        assert!(
            r.delete(&created.id, &pre)
                .await
                .unwrap_err()
                .is_precondition_failed()
        );
        assert!(r.create(&created).await.unwrap_err().is_already_exists());
        r.delete(&created.id, &Precondition::Any).await.unwrap();
        assert!(
            r.delete(&created.id, &Precondition::Any)
                .await
                .unwrap_err()
                .is_not_found()
        );
        assert_eq!(r.mutations().len(), 3);
    }

    #[tokio::test]
    async fn paging_covers_everything_once() {
        let r = MemoryRegistry::with_capabilities("m", Capabilities::new().max_page_size(7));
        r.seed((0..50).map(|i| DeviceRecord::new(format!("d{i:03}"))));
        let snap = fetch_snapshot(&r, 1000).await.unwrap();
        assert_eq!(snap.len(), 50);
        assert_eq!(r.calls(), 8);
    }

    #[tokio::test]
    async fn list_stream_yields_every_device_in_order() {
        use futures_util::StreamExt;
        let r = std::sync::Arc::new(MemoryRegistry::with_capabilities(
            "m",
            Capabilities::new().max_page_size(3),
        ));
        r.seed((0..10).map(|i| DeviceRecord::new(format!("d{i}"))));
        let ids: Vec<String> = crate::registry::list_stream(r.clone(), 3)
            .map(|d| d.unwrap().id.to_string())
            .collect()
            .await;
        assert_eq!(ids, (0..10).map(|i| format!("d{i}")).collect::<Vec<_>>());
        r.set_offline(true);
        let first = crate::registry::list_stream(r, 3).next().await.unwrap();
        assert!(first.unwrap_err().is_retryable());
    }

    #[tokio::test]
    async fn import_jobs_run_then_complete() {
        let r = MemoryRegistry::new("m");
        r.set_job_polls(1);
        let ops = [
            Operation::Create {
                device: DeviceRecord::new("a"),
            },
            Operation::Delete {
                id: DeviceId::new("zz"),
                precondition: Precondition::Any,
            },
        ];
        let job = r.start_import_job(&ops).await.unwrap();
        assert_eq!(
            r.job_status(&job).await.unwrap(),
            JobStatus::Running { progress: None }
        );
        assert!(r.is_empty(), "nothing applied before the job completes");
        let done = r.job_status(&job).await.unwrap();
        assert_eq!(
            done,
            JobStatus::Completed {
                failures: vec![JobItemFailure::new(1, ErrorKind::NotFound)]
            }
        );
        assert_eq!(r.job_status(&job).await.unwrap(), done);
        assert_eq!(r.len(), 1);
        r.fail_next_job("boom");
        let job = r.start_import_job(&ops).await.unwrap();
        r.job_status(&job).await.unwrap();
        assert!(matches!(
            r.job_status(&job).await.unwrap(),
            JobStatus::Failed { .. }
        ));
    }

    #[tokio::test]
    async fn faults_are_deterministic_and_change_nothing() {
        let r = MemoryRegistry::new("m");
        r.fail_next(Fault::Throttle(Some(Duration::from_secs(1))), 1);
        r.fail_every(3, Fault::Unavailable);
        let e = r.create(&DeviceRecord::new("a")).await.unwrap_err();
        assert!(e.is_throttled());
        assert!(r.create(&DeviceRecord::new("a")).await.is_ok());
        assert!(
            r.create(&DeviceRecord::new("b"))
                .await
                .unwrap_err()
                .is_retryable()
        );
        assert_eq!(r.len(), 1);
        r.set_offline(true);
        assert!(r.get(&DeviceId::new("a")).await.is_err());
    }

    #[tokio::test]
    async fn bulk_partial_failures() {
        let r = MemoryRegistry::new("m");
        r.fail_bulk_items_every(2);
        let ops: Vec<Operation> = (0..4)
            .map(|i| Operation::Create {
                device: DeviceRecord::new(format!("d{i}")),
            })
            .collect();
        let results = r.apply_bulk(&ops).await.unwrap();
        assert_eq!(results.iter().filter(|r| r.is_err()).count(), 2);
        assert_eq!(r.len(), 2);
    }

    #[tokio::test]
    async fn feed_reports_writes() {
        let r = MemoryRegistry::new("m");
        let feed = r.subscribe();
        r.create(&DeviceRecord::new("a")).await.unwrap();
        r.delete(&DeviceId::new("a"), &Precondition::Any)
            .await
            .unwrap();
        let first = feed.next().await.unwrap().unwrap();
        let second = feed.next().await.unwrap().unwrap();
        assert_eq!(first.kind, ChangeKind::Created);
        assert_eq!(second.kind, ChangeKind::Deleted);
        assert_eq!(
            second.order.compare(&first.order),
            Some(std::cmp::Ordering::Greater)
        );
    }
}
