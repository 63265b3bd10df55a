//! The typed stream of what the engine did, and its counters.

use crate::change::ChangeKind;
use crate::device::DeviceId;
use crate::error::ErrorKind;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Which outside input was malformed.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InputKind {
    /// A change event (Event Grid, CloudEvents, an event source).
    Event,
    /// A listing page.
    Page,
    /// A bulk or job result.
    BulkResult,
}

/// Why an event caused no work.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IgnoreReason {
    /// Seen before (same event id).
    Duplicate,
    /// Older than an event already processed for the device.
    Stale,
    /// Not a registry change (connection state, telemetry, unknown type).
    NotLifecycle,
}

/// One thing the engine did or saw. Never carries secrets.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// A run began.
    RunStarted {
        /// Run id.
        run: u64,
        /// Operations in it.
        operations: usize,
    },
    /// A run ended (every operation has an outcome).
    RunCompleted {
        /// Run id.
        run: u64,
    },
    /// A device was created in the replica.
    Created {
        /// The device.
        id: DeviceId,
    },
    /// A device was updated.
    Updated {
        /// The device.
        id: DeviceId,
    },
    /// A device was deleted.
    Deleted {
        /// The device.
        id: DeviceId,
    },
    /// A device was disabled (soft delete).
    Disabled {
        /// The device.
        id: DeviceId,
    },
    /// An operation found its effect already in place (resumed after a crash).
    AlreadyApplied {
        /// The device.
        id: DeviceId,
        /// The operation name.
        operation: &'static str,
    },
    /// The registry throttled a call.
    Throttled {
        /// The device, when the call was for one.
        id: Option<DeviceId>,
        /// The registry's retry-after hint.
        retry_after: Option<Duration>,
    },
    /// A transient failure; the operation will be retried.
    Retrying {
        /// The device.
        id: DeviceId,
        /// The operation name.
        operation: &'static str,
        /// Attempts so far.
        attempt: u32,
        /// Delay before the next one.
        delay: Duration,
        /// The error kind.
        kind: ErrorKind,
    },
    /// The operation failed after exhausting its retries.
    FailedAfterRetries {
        /// The device.
        id: DeviceId,
        /// The operation name.
        operation: &'static str,
        /// Attempts made.
        attempts: u32,
        /// The last error kind.
        kind: ErrorKind,
    },
    /// The operation failed with a permanent error.
    Failed {
        /// The device.
        id: DeviceId,
        /// The operation name.
        operation: &'static str,
        /// The error kind.
        kind: ErrorKind,
    },
    /// A twin lacks required data; it will be checked again.
    TwinCheckFailed {
        /// The master device.
        id: DeviceId,
        /// The missing keys.
        missing: Vec<Box<str>>,
        /// Checks so far.
        attempt: u32,
        /// Delay before the next check.
        retry_in: Duration,
    },
    /// A twin still lacked required data when the wait ran out.
    TwinCheckGaveUp {
        /// The master device.
        id: DeviceId,
        /// The missing keys.
        missing: Vec<Box<str>>,
    },
    /// A full sync left a device out because required data is missing.
    Deferred {
        /// The master device.
        id: DeviceId,
        /// The missing keys.
        missing: Vec<Box<str>>,
    },
    /// Some items of a bulk call failed and go the single-operation path.
    BulkPartialFailure {
        /// Items in the call.
        items: usize,
        /// Items that failed.
        failed: usize,
    },
    /// An import job is still running.
    JobNotComplete {
        /// The job id.
        job: String,
        /// Percent done, when the registry says.
        progress: Option<u8>,
        /// Status polls so far.
        polls: u32,
    },
    /// An import job finished; its failed items go the single-operation path
    /// unless they turn out to be in place already.
    JobCompleted {
        /// The job id.
        job: String,
        /// Operations in the job.
        items: usize,
        /// Operations the job reported as failed.
        failed: usize,
    },
    /// An import job could not be started, failed, or did not finish in
    /// time; its operations go the bulk/single path.
    JobFailed {
        /// The job id, if it was started.
        job: Option<String>,
        /// Why.
        reason: String,
    },
    /// Outside input was malformed; it was recorded and skipped.
    BadInput {
        /// Which input.
        input: InputKind,
        /// What was wrong (no payload data).
        detail: String,
    },
    /// An event caused no work.
    EventIgnored {
        /// The event id.
        event_id: String,
        /// Its type.
        kind: ChangeKind,
        /// Why.
        why: IgnoreReason,
    },
    /// The planner refused a plan (mass-delete guard).
    PlanRefused {
        /// Removals in the refused plan.
        removals: usize,
        /// Owned replica devices.
        owned: usize,
        /// Removals allowed.
        allowed: usize,
    },
}

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
pub(crate) struct AtomicCounters {
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
    pub(crate) fn count(&self, outcome: &Outcome) {
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

    pub(crate) fn snapshot(&self) -> Counters {
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
