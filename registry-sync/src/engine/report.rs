//! What a run did.

use crate::plan::Operation;

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
    pub(super) fn merge(&mut self, o: Self) {
        self.runs.extend(o.runs);
        self.created += o.created;
        self.updated += o.updated;
        self.deleted += o.deleted;
        self.disabled += o.disabled;
        self.already_applied += o.already_applied;
        self.failed += o.failed;
        self.deferred += o.deferred;
    }

    pub(super) fn tally(&mut self, t: Tally) {
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

pub(super) enum Tally {
    Done(Operation),
    AlreadyApplied,
    Failed,
}
