//! Import jobs: ids, per-item failures and status.

use crate::error::ErrorKind;

/// The id of an import job.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct JobId(Box<str>);

impl JobId {
    /// Wraps a registry's job id.
    pub fn new(id: impl Into<Box<str>>) -> Self {
        Self(id.into())
    }

    /// The id text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One operation of a completed job that failed.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JobItemFailure {
    /// Its position in the operations given to the job.
    pub index: usize,
    /// Why it failed, classified like a single call's error.
    pub kind: ErrorKind,
}

impl JobItemFailure {
    /// A failure of operation `index`.
    pub fn new(index: usize, kind: ErrorKind) -> Self {
        Self { index, kind }
    }
}

/// Where an import job stands.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobStatus {
    /// Queued or running, with a progress percentage when known.
    Running {
        /// Percent done.
        progress: Option<u8>,
    },
    /// Finished; every operation not listed in `failures` was applied.
    Completed {
        /// The operations that failed.
        failures: Vec<JobItemFailure>,
    },
    /// The job failed as a whole; some operations may have been applied.
    Failed {
        /// The registry's reason (no secrets).
        reason: String,
    },
    /// The job was cancelled; some operations may have been applied.
    Cancelled,
}
