//! What the engine did or saw, one item at a time.

use crate::error::ErrorKind;
use crate::model::{ChangeKind, DeviceId};
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
