//! Running totals of the engine's outcomes.

use super::Outcome;
use std::sync::atomic::{AtomicU64, Ordering};

/// Counter values at one moment.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Devices created.
    pub created: u64,
    /// Devices updated.
    pub updated: u64,
    /// Devices deleted.
    pub deleted: u64,
    /// Devices disabled.
    pub disabled: u64,
    /// Operations found already applied.
    pub already_applied: u64,
    /// Operations failed for good.
    pub failed: u64,
    /// Retries scheduled.
    pub retries: u64,
    /// Throttling responses.
    pub throttled: u64,
    /// Malformed inputs recorded.
    pub bad_input: u64,
    /// Events ignored.
    pub events_ignored: u64,
    /// Twin checks that found missing data.
    pub twin_checks_failed: u64,
    /// Import jobs that failed or timed out.
    pub jobs_failed: u64,
}

#[derive(Debug, Default)]
pub(super) struct AtomicCounters {
    created: AtomicU64,
    updated: AtomicU64,
    deleted: AtomicU64,
    disabled: AtomicU64,
    already_applied: AtomicU64,
    failed: AtomicU64,
    retries: AtomicU64,
    throttled: AtomicU64,
    bad_input: AtomicU64,
    events_ignored: AtomicU64,
    twin_checks_failed: AtomicU64,
    jobs_failed: AtomicU64,
}

impl AtomicCounters {
    pub(super) fn count(&self, outcome: &Outcome) {
        let c = match outcome {
            Outcome::Created { .. } => &self.created,
            Outcome::Updated { .. } => &self.updated,
            Outcome::Deleted { .. } => &self.deleted,
            Outcome::Disabled { .. } => &self.disabled,
            Outcome::AlreadyApplied { .. } => &self.already_applied,
            Outcome::FailedAfterRetries { .. } | Outcome::Failed { .. } => &self.failed,
            Outcome::Retrying { .. } => &self.retries,
            Outcome::Throttled { .. } => &self.throttled,
            Outcome::BadInput { .. } => &self.bad_input,
            Outcome::EventIgnored { .. } => &self.events_ignored,
            Outcome::TwinCheckFailed { .. } => &self.twin_checks_failed,
            Outcome::JobFailed { .. } => &self.jobs_failed,
            _ => return,
        };
        c.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn snapshot(&self) -> Counters {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        Counters {
            created: g(&self.created),
            updated: g(&self.updated),
            deleted: g(&self.deleted),
            disabled: g(&self.disabled),
            already_applied: g(&self.already_applied),
            failed: g(&self.failed),
            retries: g(&self.retries),
            throttled: g(&self.throttled),
            bad_input: g(&self.bad_input),
            events_ignored: g(&self.events_ignored),
            twin_checks_failed: g(&self.twin_checks_failed),
            jobs_failed: g(&self.jobs_failed),
        }
    }
}
