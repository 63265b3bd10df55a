//! Shadow documents: update requests, stored documents, delta, documents
//! and error messages.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// `clientToken` limit in bytes.
pub const CLIENT_TOKEN_MAX_BYTES: usize = 64;

/// A section of an update request: an object to merge, or `null` to delete
/// the whole section.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum SectionUpdate {
    /// `null`: delete the section.
    Clear,
    /// Merge these values (`null` leaves delete).
    Merge(Map<String, Value>),
}

impl Serialize for SectionUpdate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Clear => s.serialize_unit(),
            Self::Merge(m) => m.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for SectionUpdate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::Null => Ok(Self::Clear),
            Value::Object(m) => Ok(Self::Merge(m)),
            other => Err(D::Error::custom(format_args!(
                "expected an object or null for a shadow state section, found {}",
                crate::json_kind(&other)
            ))),
        }
    }
}

// `Option<T>` would read `null` as absent; a present `null` must stay `Clear`.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SectionUpdate>, D::Error> {
    SectionUpdate::deserialize(d).map(Some)
}

/// `state` of an update request.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct UpdateState {
    /// Desired changes.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub desired: Option<SectionUpdate>,
    /// Reported changes.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub reported: Option<SectionUpdate>,
}

/// A `/update` request.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShadowUpdateRequest {
    /// What to change.
    pub state: UpdateState,
    /// Echoed in the answer (≤ 64 bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_token: Option<String>,
    /// Makes the update conditional (409 on mismatch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
}

impl ShadowUpdateRequest {
    /// Decodes a request from JSON bytes.
    pub fn from_json(bytes: &[u8]) -> Result<Self, crate::DecodeError> {
        crate::decode::from_slice("shadow update request", bytes)
    }
}

/// `state` of a stored document or `/get/accepted` answer.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ShadowState {
    /// Desired state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired: Option<Map<String, Value>>,
    /// Reported state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported: Option<Map<String, Value>>,
    /// Desired leaves that differ from reported (in `/get/accepted`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delta: Option<Map<String, Value>>,
}

/// `metadata`: trees mirroring the state with `{"timestamp": epoch}` leaves.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ShadowMetadata {
    /// Desired metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired: Option<Map<String, Value>>,
    /// Reported metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported: Option<Map<String, Value>>,
}

/// A stored shadow: `/get/accepted`, `/update/accepted` and the REST GET.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShadowDocument {
    /// State.
    #[serde(default)]
    pub state: ShadowState,
    /// Per-leaf timestamps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<ShadowMetadata>,
    /// +1 per accepted update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    /// Epoch seconds of the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<i64>,
    /// Token of the request that caused this message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_token: Option<String>,
}

impl ShadowDocument {
    /// Decodes a document from JSON bytes.
    pub fn from_json(bytes: &[u8]) -> Result<Self, crate::DecodeError> {
        crate::decode::from_slice("shadow document", bytes)
    }
}

/// An `/update/delta` message: `state` holds the differing desired leaves.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShadowDeltaMessage {
    /// Desired leaves that differ from reported.
    pub state: Map<String, Value>,
    /// Timestamps of those leaves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
    /// Shadow version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    /// Epoch seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<i64>,
    /// Token of the request that caused the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_token: Option<String>,
}

/// `previous` / `current` of a documents message.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ShadowSnapshot {
    /// State (desired and reported).
    #[serde(default)]
    pub state: ShadowState,
    /// Timestamps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<ShadowMetadata>,
    /// Version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
}

/// An `/update/documents` message.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShadowDocumentsMessage {
    /// Before the update (absent when the shadow was created).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<ShadowSnapshot>,
    /// After the update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<ShadowSnapshot>,
    /// Epoch seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<i64>,
    /// Token of the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_token: Option<String>,
}

/// A `/rejected` message.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShadowErrorResponse {
    /// HTTP-like code: 400, 401, 403, 404, 409, 413, 415, 429, 500.
    pub code: u16,
    /// Explanation.
    #[serde(default)]
    pub message: String,
    /// Epoch seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<i64>,
    /// Token of the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_token: Option<String>,
}

/// ListNamedShadowsForThing answer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NamedShadowList {
    /// Shadow names.
    #[serde(default)]
    pub results: Vec<String>,
    /// Paging token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    /// Epoch seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<i64>,
}
