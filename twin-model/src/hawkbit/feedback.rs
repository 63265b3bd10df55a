//! DDI action feedback (`POST .../deploymentBase/{actionId}/feedback`).
//!
//! Decoding is strict here on purpose: hawkBit rejects unknown `execution`
//! and `finished` values and a `null` result with 400, so a body this crate
//! accepts is one the server accepts.

use serde::{Deserialize, Serialize};

/// `status.execution`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Execution {
    /// Finished (see `result.finished`).
    Closed,
    /// Working on it.
    Proceeding,
    /// Cancel done.
    Canceled,
    /// Scheduled for later.
    Scheduled,
    /// Rejected by the device.
    Rejected,
    /// Resumed.
    Resumed,
    /// Artifacts downloaded.
    Downloaded,
    /// Downloading.
    Download,
}

/// `status.result.finished`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Finished {
    /// Success.
    Success,
    /// Failure.
    Failure,
    /// Not finished.
    None,
}

/// `progress`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// Steps done.
    pub cnt: u32,
    /// Steps in total.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub of: Option<u32>,
}

/// `status.result`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionResult {
    /// Outcome.
    pub finished: Finished,
    /// Progress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<Progress>,
}

/// `status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionStatus {
    /// Execution state.
    pub execution: Execution,
    /// Result.
    pub result: ActionResult,
    /// Device-specific code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<i32>,
    /// Messages.
    #[serde(default)]
    pub details: Vec<String>,
}

/// A feedback body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionFeedback {
    /// Epoch ms as a string; the server fills in its own time when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// Status.
    pub status: ActionStatus,
}

impl ActionFeedback {
    /// Decodes a feedback body from JSON bytes.
    pub fn from_json(bytes: &[u8]) -> Result<Self, crate::DecodeError> {
        crate::decode::from_slice("ddi action feedback", bytes)
    }
}
