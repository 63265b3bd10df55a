//! The envelope around every Update Agent API message.

use serde::de::DeserializeOwned;
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

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
///
/// It encodes as `{}`, so an envelope that arrived with a payload still has
/// one after a round trip (`null` would decode as no payload);
/// [`Envelope::empty`] writes `"payload":null`, as Kanto does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoPayload;

impl Serialize for NoPayload {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_map(Some(0))?.end()
    }
}

impl<'de> Deserialize<'de> for NoPayload {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(deserializer)?;
        Ok(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_envelope_writes_a_null_payload() {
        let out = Envelope::<NoPayload>::empty("get-1", 7).to_vec();
        assert_eq!(
            out,
            br#"{"activityId":"get-1","timestamp":7,"payload":null}"#
        );
        assert_eq!(
            Envelope::<NoPayload>::from_slice(&out).unwrap().payload,
            None
        );
    }

    /// Found by the `decode` fuzz target: an ignored payload used to encode
    /// as `null`, so the envelope lost it on a round trip.
    #[test]
    fn ignored_payload_survives_a_round_trip() {
        for input in [
            &br#"{"activityId":"a","timestamp":1,"payload":{"x":1}}"#[..],
            br#"{"activityId":"a","timestamp":1,"payload":5}"#,
            br#"["V+ ",2,"[2"]"#,
        ] {
            let env = Envelope::<NoPayload>::from_slice(input).unwrap();
            assert_eq!(env.payload, Some(NoPayload));
            let again = Envelope::<NoPayload>::from_slice(&env.to_vec()).unwrap();
            assert_eq!(again, env, "{}", String::from_utf8_lossy(input));
        }
    }
}
