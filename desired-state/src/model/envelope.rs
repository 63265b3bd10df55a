//! The envelope around every Update Agent API message.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};

use super::error::DecodeError;
use super::nullable::null_default;

/// `{activityId, timestamp, payload}`.
///
/// Encoding always writes all three keys, with `"payload":null` when there is
/// no payload, as Go does. Decoding accepts a missing or `null` payload as `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope<T> {
    /// Identifies the operation end to end; passed along unchanged.
    #[serde(rename = "activityId", default, deserialize_with = "null_default")]
    pub activity_id: String,
    /// Milliseconds since the Unix epoch in Kanto (Leda's docs say seconds);
    /// every hop writes its own clock value.
    #[serde(default, deserialize_with = "null_default")]
    pub timestamp: i64,
    /// The message.
    #[serde(default = "none", bound(deserialize = "T: Deserialize<'de>"))]
    pub payload: Option<T>,
}

fn none<T>() -> Option<T> {
    None
}

impl<T> Envelope<T> {
    /// An envelope with a payload.
    pub fn new(activity_id: impl Into<String>, timestamp: i64, payload: T) -> Self {
        Self {
            activity_id: activity_id.into(),
            timestamp,
            payload: Some(payload),
        }
    }
}

impl Envelope<NoPayload> {
    /// An envelope with `"payload":null`, as in a `currentstate/get`.
    pub fn empty(activity_id: impl Into<String>, timestamp: i64) -> Self {
        Self {
            activity_id: activity_id.into(),
            timestamp,
            payload: None,
        }
    }
}

impl<T: Serialize> Envelope<T> {
    /// Encodes as compact JSON, byte-compatible with Kanto's Go encoder.
    pub fn to_vec(&self) -> Vec<u8> {
        // Serializing these plain data types into a Vec cannot fail: every map
        // key is a string and no Serialize impl here returns an error.
        serde_json::to_vec(self).unwrap_or_default()
    }
}

impl<T: DeserializeOwned> Envelope<T> {
    /// Decodes an envelope; `what` names the message kind in errors.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, DecodeError> {
        decode(bytes, core::any::type_name::<T>())
    }
}

/// Decodes any JSON message, mapping errors to [`DecodeError`].
pub(crate) fn decode<T: DeserializeOwned>(
    bytes: &[u8],
    what: &'static str,
) -> Result<T, DecodeError> {
    super::case_fold::from_json_slice(bytes).map_err(|e| DecodeError::from_json(what, &e))
}

/// The payload of messages that carry none (`currentstate/get`): anything is
/// accepted and ignored when decoding.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct NoPayload;

impl<'de> Deserialize<'de> for NoPayload {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(deserializer)?;
        Ok(Self)
    }
}
