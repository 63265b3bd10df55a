//! Engine settings.

use crate::rate::RateLimit;
use crate::retry::RetryPolicy;
use std::time::Duration;

/// Engine settings. Every setter documents its default.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    pub(super) page_size: usize,
    pub(super) concurrency: usize,
    pub(super) bulk_threshold: usize,
    pub(super) retry: RetryPolicy,
    pub(super) twin_wait: RetryPolicy,
    pub(super) rate_limit: Option<RateLimit>,
    pub(super) master_rate_limit: Option<RateLimit>,
    pub(super) full_sync_interval: Duration,
    pub(super) event_memory: usize,
    pub(super) job_threshold: usize,
    pub(super) job_poll: RetryPolicy,
    pub(super) compact_journal: bool,
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

    /// Interval of the scheduled full sync in [`Engine::run`](super::Engine::run) (default 1 hour).
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

    /// Whether [`Engine::sync_once`](super::Engine::sync_once) first drops the journal records of runs
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
