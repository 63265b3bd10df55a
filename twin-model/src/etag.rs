//! Opaque entity tags.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An opaque ETag as IoT Hub sends it (`"AAAAAAAAAAc="`, `"MQ=="`).
///
/// Event Grid samples carry the literal string `"null"` for `deviceEtag`;
/// it is kept as is (see [`ETag::is_null_literal`]) so that re-encoding is
/// faithful. Compare ETags only for equality.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ETag(String);

impl ETag {
    /// Wraps a tag value.
    pub fn new(tag: impl Into<String>) -> Self {
        Self(tag.into())
    }

    /// The tag text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for the string `"null"` some Event Grid payloads carry.
    pub fn is_null_literal(&self) -> bool {
        self.0 == "null"
    }

    /// The value for an `If-Match` header (quoted, as RFC 7232 requires).
    pub fn if_match_header(&self) -> String {
        format!("\"{}\"", self.0)
    }
}

impl fmt::Display for ETag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
