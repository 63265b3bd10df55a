//! The journal's record types (serialized as JSON inside each frame).

use crate::plan::Operation;
use serde::{Deserialize, Serialize};

/// How an operation ended.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum OpOutcome {
    /// This process applied it.
    Applied,
    /// It had been applied before (a previous process died before recording it).
    AlreadyApplied,
}

/// One journal entry.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "camelCase")]
pub enum JournalRecord {
    /// A run began with this many operations.
    RunStarted {
        /// Run id, increasing.
        run: u64,
        /// Operations planned in the run.
        operations: u64,
    },
    /// An operation about to be applied (the intent).
    Planned {
        /// Run id.
        run: u64,
        /// Operation id within the run.
        op: u64,
        /// The operation.
        operation: Operation,
    },
    /// An operation succeeded.
    Applied {
        /// Run id.
        run: u64,
        /// Operation id within the run.
        op: u64,
        /// How.
        outcome: OpOutcome,
    },
    /// An operation failed for good (after retries, or on a permanent error).
    Failed {
        /// Run id.
        run: u64,
        /// Operation id within the run.
        op: u64,
        /// The error kind, for operators.
        error: String,
        /// Attempts made.
        attempts: u32,
    },
    /// Every operation of the run has an outcome.
    RunCompleted {
        /// Run id.
        run: u64,
    },
}

impl JournalRecord {
    /// The run this record belongs to.
    pub fn run(&self) -> u64 {
        match self {
            Self::RunStarted { run, .. }
            | Self::Planned { run, .. }
            | Self::Applied { run, .. }
            | Self::Failed { run, .. }
            | Self::RunCompleted { run } => *run,
        }
    }
}
