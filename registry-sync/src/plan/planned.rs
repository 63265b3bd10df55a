//! What the planner produces: operations, deferred and skipped devices.

use super::{Operation, Reason};
use crate::model::DeviceId;

/// One planned operation and why.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedOp {
    /// The write.
    pub operation: Operation,
    /// Why it is needed.
    pub reason: Reason,
}

/// A master device not synced yet because required data is missing.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deferred {
    /// The master device.
    pub id: DeviceId,
    /// The missing keys (`tags.X`, `reported.Y`).
    pub missing: Vec<Box<str>>,
}

/// A device the plan leaves alone on purpose.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// The replica device.
    pub id: DeviceId,
    /// Why.
    pub why: SkipReason,
}

/// Why a device was skipped.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SkipReason {
    /// The replica has the id, but another sync (or nobody) owns it.
    ForeignOwner,
}

/// A deterministic list of operations, in device-id order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub(super) ops: Vec<PlannedOp>,
    pub(super) deferred: Vec<Deferred>,
    pub(super) skipped: Vec<Skipped>,
    pub(super) owned: usize,
}

impl Plan {
    /// The operations, in replica-id order.
    pub fn operations(&self) -> &[PlannedOp] {
        &self.ops
    }

    /// The operations, consuming the plan.
    pub fn into_operations(self) -> Vec<PlannedOp> {
        self.ops
    }

    /// Master devices waiting for required data.
    pub fn deferred(&self) -> &[Deferred] {
        &self.deferred
    }

    /// Devices deliberately left alone.
    pub fn skipped(&self) -> &[Skipped] {
        &self.skipped
    }

    /// How many replica devices this sync owns.
    pub fn owned_in_replica(&self) -> usize {
        self.owned
    }

    /// Whether there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Number of operations that remove a device (delete or disable).
    pub fn removals(&self) -> usize {
        self.ops.iter().filter(|o| o.operation.is_removal()).count()
    }
}
