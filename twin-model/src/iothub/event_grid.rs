//! IoT Hub device lifecycle and connection events in the Event Grid and
//! CloudEvents 1.0 envelopes.

use std::cmp::Ordering;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::iothub::twin::Twin;
use crate::open_enum::open_enum;
use crate::timestamp::Timestamp;

open_enum! {
    /// `eventType` (Event Grid) or `type` (CloudEvents).
    pub enum EventType {
        /// An identity was created; `data.twin` is the initial twin.
        DeviceCreated = "Microsoft.Devices.DeviceCreated",
        /// An identity was deleted; `data.twin` is the last twin.
        DeviceDeleted = "Microsoft.Devices.DeviceDeleted",
        /// A device or module connected.
        DeviceConnected = "Microsoft.Devices.DeviceConnected",
        /// A device or module disconnected.
        DeviceDisconnected = "Microsoft.Devices.DeviceDisconnected",
        /// A telemetry message.
        DeviceTelemetry = "Microsoft.Devices.DeviceTelemetry",
        /// Webhook validation handshake.
        SubscriptionValidation = "Microsoft.EventGrid.SubscriptionValidationEvent",
        /// The subscription was deleted.
        SubscriptionDeletion = "Microsoft.EventGrid.SubscriptionDeletedEvent",
    }
}

/// `deviceConnectionStateEventInfo.sequenceNumber`: a hex string that
/// orders connection events of one device (Event Grid does not order them).
/// Compared as an unsigned number of any width.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SequenceNumber(pub String);

impl SequenceNumber {
    fn significant(&self) -> &str {
        self.0.trim_start_matches('0')
    }
}

impl Ord for SequenceNumber {
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, b) = (self.significant(), other.significant());
        a.len().cmp(&b.len()).then_with(|| {
            a.bytes()
                .map(|c| c.to_ascii_lowercase())
                .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
        })
    }
}

impl PartialOrd for SequenceNumber {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// `deviceConnectionStateEventInfo`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionStateEventInfo {
    /// Ordering key.
    pub sequence_number: SequenceNumber,
}

/// `data` of IoT Hub events (all members optional: lenient for every type).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceEventData {
    /// Created/Deleted: the twin at that moment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub twin: Option<Twin>,
    /// Connected/Disconnected: ordering information.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_connection_state_event_info: Option<ConnectionStateEventInfo>,
    /// Hub name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hub_name: Option<String>,
    /// Device id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    /// Module id (connection events of modules).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module_id: Option<String>,
    /// 2018 payloads: when the operation happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation_timestamp: Option<Timestamp>,
    /// 2018 payloads: `DeviceCreated` / `DeviceDeleted` (use the event type today).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub op_type: Option<String>,
    /// Telemetry body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// Telemetry application properties.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<Value>,
    /// Telemetry system properties.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_properties: Option<Value>,
    /// Validation handshake code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation_code: Option<String>,
    /// Validation handshake URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation_url: Option<String>,
}

/// The Event Grid schema envelope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventGridEnvelope {
    /// Event id (deduplicate on it: delivery is at least once).
    pub id: String,
    /// Hub resource path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// `devices/{deviceId}`.
    #[serde(default)]
    pub subject: String,
    /// Event type.
    pub event_type: EventType,
    /// Event time.
    pub event_time: Timestamp,
    /// Payload.
    #[serde(default)]
    pub data: DeviceEventData,
    /// Data schema version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_version: Option<String>,
    /// Envelope schema version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata_version: Option<String>,
}

/// The CloudEvents 1.0 envelope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CloudEventEnvelope {
    /// Event id.
    pub id: String,
    /// Hub resource path.
    pub source: String,
    /// `devices/{deviceId}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Event type.
    #[serde(rename = "type")]
    pub event_type: EventType,
    /// Event time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<Timestamp>,
    /// Payload.
    #[serde(default)]
    pub data: DeviceEventData,
    /// `1.0`.
    pub specversion: String,
    /// Content type of `data`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datacontenttype: Option<String>,
}

/// An IoT Hub event in either envelope (chosen by `specversion`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum IotHubEvent {
    /// Event Grid schema.
    EventGrid(EventGridEnvelope),
    /// CloudEvents 1.0 schema.
    CloudEvent(CloudEventEnvelope),
}

impl IotHubEvent {
    /// Decodes a delivery: a JSON array of events or a single event.
    pub fn decode_batch(bytes: &[u8]) -> Result<Vec<Self>, crate::DecodeError> {
        let value: Value = crate::decode::from_slice("event grid delivery", bytes)?;
        let items = match value {
            Value::Array(items) => items,
            single => vec![single],
        };
        items
            .into_iter()
            .map(|v| {
                serde_json::from_value(v).map_err(|source| crate::DecodeError::Json {
                    what: "iot hub event",
                    line: source.line(),
                    column: source.column(),
                    source,
                })
            })
            .collect()
    }

    /// The event type.
    pub fn event_type(&self) -> &EventType {
        match self {
            Self::EventGrid(e) => &e.event_type,
            Self::CloudEvent(e) => &e.event_type,
        }
    }

    /// The payload.
    pub fn data(&self) -> &DeviceEventData {
        match self {
            Self::EventGrid(e) => &e.data,
            Self::CloudEvent(e) => &e.data,
        }
    }

    /// The device id from `data.deviceId`, else from `subject`.
    pub fn device_id(&self) -> Option<&str> {
        let subject = match self {
            Self::EventGrid(e) => Some(e.subject.as_str()),
            Self::CloudEvent(e) => e.subject.as_deref(),
        };
        self.data()
            .device_id
            .as_deref()
            .or_else(|| subject?.strip_prefix("devices/"))
    }
}

impl Serialize for IotHubEvent {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::EventGrid(e) => e.serialize(s),
            Self::CloudEvent(e) => e.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for IotHubEvent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        if v.get("specversion").is_some() {
            serde_json::from_value(v)
                .map(Self::CloudEvent)
                .map_err(D::Error::custom)
        } else {
            serde_json::from_value(v)
                .map(Self::EventGrid)
                .map_err(D::Error::custom)
        }
    }
}

/// The answer to a webhook validation handshake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionValidationResponse {
    /// The `data.validationCode` of the handshake event.
    pub validation_response: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_numbers_compare_numerically() {
        let a = SequenceNumber("00000000000000000000000000000001".into());
        let b = SequenceNumber("0000000000000000000000000000000A".into());
        let c = SequenceNumber("10".into());
        assert!(a < b);
        assert!(b < c);
        assert_eq!(
            SequenceNumber("0a".into()).cmp(&SequenceNumber("A".into())),
            Ordering::Equal
        );
    }
}
