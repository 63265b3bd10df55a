//! The server's error body (`ExceptionInfo`).

use serde::{Deserialize, Serialize};

/// hawkBit's error body. 401s and DoS-filter 429/403s come with no body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExceptionInfo {
    /// The Java exception class.
    #[serde(
        rename = "exceptionClass",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub exception_class: Option<String>,
    /// The stable error code, e.g. `hawkbit.server.error.quota.tooManyEntries`.
    #[serde(rename = "errorCode", default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// A human-readable message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Extra details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub info: Option<serde_json::Value>,
}

/// The error code hawkBit uses for exhausted quotas.
pub const QUOTA_ERROR_PREFIX: &str = "hawkbit.server.error.quota.";

impl ExceptionInfo {
    /// Whether this is a quota error (too many status entries, messages or
    /// attributes) rather than some other failure.
    pub fn is_quota(&self) -> bool {
        self.error_code
            .as_deref()
            .is_some_and(|c| c.starts_with(QUOTA_ERROR_PREFIX))
    }
}
