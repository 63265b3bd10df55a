//! Engine settings.

use super::{RateLimit, RetryPolicy};
use crate::error::{Error, ErrorKind, Result};
use std::time::Duration;

/// The largest outcome buffer: the channel allocates it up front.
const MAX_OUTCOME_BUFFER: usize = 1 << 20;

/// Engine settings. Every setter documents its default; values are checked
/// by [`EngineBuilder::build`](super::EngineBuilder::build).
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
    pub(super) outcome_buffer: usize,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl EngineConfig {
    /// The defaults, as each setter documents.
    pub fn new() -> Self {
        let mut job_poll = RetryPolicy::new();
        job_poll
            .max_attempts(240)
            .initial_delay(Duration::from_secs(5))
            .max_delay(Duration::from_secs(60))
            .time_limit(Duration::from_secs(4 * 3600))
            .jitter(0.0);
        Self {
            page_size: 1000,
            concurrency: 8,
            bulk_threshold: 200,
            retry: RetryPolicy::new(),
            twin_wait: RetryPolicy::twin_check(),
            rate_limit: None,
            master_rate_limit: None,
            full_sync_interval: Duration::from_secs(3600),
            event_memory: 100_000,
            job_threshold: 5000,
            job_poll,
            compact_journal: true,
            outcome_buffer: 4096,
        }
    }

    /// Listing page size (default 1000; at least 1). Each registry's own
    /// limit caps it.
    pub fn page_size(&mut self, size: usize) -> &mut Self {
        self.page_size = size;
        self
    }

    /// Operations in flight at once on the single-operation path, and event
    /// tasks at once in [`Engine::run`](super::Engine::run) (default 8; at
    /// least 1).
    pub fn concurrency(&mut self, n: usize) -> &mut Self {
        self.concurrency = n;
        self
    }

    /// Plans with at least this many operations use the replica's bulk API
    /// when it has one (default 200; at least 1; `usize::MAX` never).
    pub fn bulk_threshold(&mut self, n: usize) -> &mut Self {
        self.bulk_threshold = n;
        self
    }

    /// Per-operation retry policy (default [`RetryPolicy::new`]).
    pub fn retry(&mut self, policy: &RetryPolicy) -> &mut Self {
        self.retry = *policy;
        self
    }

    /// How long to wait for incomplete twins on the event path (default
    /// [`RetryPolicy::twin_check`]).
    pub fn twin_wait(&mut self, policy: &RetryPolicy) -> &mut Self {
        self.twin_wait = *policy;
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

    /// Interval of the scheduled full sync in
    /// [`Engine::run`](super::Engine::run) (default 1 hour; at least 1 ms).
    pub fn full_sync_interval(&mut self, every: Duration) -> &mut Self {
        self.full_sync_interval = every;
        self
    }

    /// Plans with at least this many operations go through the replica's
    /// import jobs when it has them (default 5000; at least 1; `usize::MAX`
    /// never).
    pub fn job_threshold(&mut self, n: usize) -> &mut Self {
        self.job_threshold = n;
        self
    }

    /// How often and how long to poll an import job (default: 5 s doubling to
    /// 60 s, at most 240 polls, 4 hours, no jitter).
    pub fn job_poll(&mut self, policy: &RetryPolicy) -> &mut Self {
        self.job_poll = *policy;
        self
    }

    /// Whether [`Engine::sync_once`](super::Engine::sync_once) first drops
    /// the journal records of runs completed before it (default true), which
    /// bounds the journal to about one sync's worth. Turn it off to keep the
    /// whole history for audits.
    pub fn compact_journal(&mut self, yes: bool) -> &mut Self {
        self.compact_journal = yes;
        self
    }

    /// Event ids remembered for duplicate detection (default 100,000; at
    /// least 1).
    pub fn event_memory(&mut self, n: usize) -> &mut Self {
        self.event_memory = n;
        self
    }

    /// Outcomes kept for each [`Outcomes`](super::Outcomes) subscriber that
    /// has not read them yet (default 4096; 1 to 1,048,576, allocated up
    /// front). A subscriber that falls further behind misses the oldest and
    /// is told how many.
    pub fn outcome_buffer(&mut self, n: usize) -> &mut Self {
        self.outcome_buffer = n;
        self
    }

    /// Refuses values the engine cannot run with.
    pub(super) fn validate(&self) -> Result<()> {
        let at_least_one = [
            (self.page_size, "page size"),
            (self.concurrency, "concurrency"),
            (self.bulk_threshold, "bulk threshold"),
            (self.job_threshold, "job threshold"),
            (self.event_memory, "event memory"),
            (self.outcome_buffer, "outcome buffer"),
        ];
        if let Some((_, what)) = at_least_one.iter().find(|(n, _)| *n == 0) {
            return Err(Error::new(ErrorKind::InvalidConfig)
                .with_context(format!("engine {what} must be at least 1")));
        }
        if self.outcome_buffer > MAX_OUTCOME_BUFFER {
            return Err(Error::new(ErrorKind::InvalidConfig)
                .with_context("engine outcome buffer must be at most 1,048,576"));
        }
        if self.full_sync_interval < Duration::from_millis(1) {
            return Err(Error::new(ErrorKind::InvalidConfig)
                .with_context("engine full sync interval must be at least 1 ms"));
        }
        self.retry.validate("engine retry policy")?;
        self.twin_wait.validate("engine twin wait")?;
        self.job_poll.validate("engine job poll")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_pass_and_zeros_are_named() {
        assert!(EngineConfig::new().validate().is_ok());
        let e = EngineConfig::new().concurrency(0).validate().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidConfig);
        assert_eq!(e.context(), Some("engine concurrency must be at least 1"));
        assert!(
            EngineConfig::new()
                .outcome_buffer(usize::MAX)
                .validate()
                .is_err()
        );
        let mut none = RetryPolicy::new();
        none.max_attempts(0);
        let e = EngineConfig::new().retry(&none).validate().unwrap_err();
        assert_eq!(e.context(), Some("engine retry policy allows no attempt"));
    }
}
