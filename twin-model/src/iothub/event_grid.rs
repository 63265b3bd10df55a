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
    /// Event time (absent in some hand-made and replayed events; order such
    /// events by their sequence number or arrival instead).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_time: Option<Timestamp>,
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
        Self::decode_each(bytes)?.into_iter().collect()
    }

    /// Decodes a delivery element by element: a delivery that is not JSON
    /// fails as a whole, an element that is not an IoT Hub event fails alone,
    /// so one bad event cannot hide the others of its batch.
    pub fn decode_each(
        bytes: &[u8],
    ) -> Result<Vec<Result<Self, crate::DecodeError>>, crate::DecodeError> {
        let value: Value = crate::decode::from_slice("event grid delivery", bytes)?;
        let items = match value {
            Value::Array(items) => items,
            single => vec![single],
        };
        Ok(items
            .into_iter()
            .map(|v| {
                serde_json::from_value(v).map_err(|source| crate::DecodeError::Json {
                    what: "iot hub event",
                    line: source.line(),
                    column: source.column(),
                    source,
                })
            })
            .collect())
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

    fn subject(&self) -> Option<&str> {
        match self {
            Self::EventGrid(e) => Some(e.subject.as_str()),
            Self::CloudEvent(e) => e.subject.as_deref(),
        }
    }

    /// The device id from `data.deviceId`, else from `subject`
    /// (`devices/{deviceId}` or `devices/{deviceId}/modules/{moduleId}`).
    pub fn device_id(&self) -> Option<&str> {
        self.data().device_id.as_deref().or_else(|| {
            let rest = self.subject()?.strip_prefix("devices/")?;
            Some(rest.split_once('/').map_or(rest, |(device, _)| device))
        })
    }

    /// The module id of a module's event, from `data.moduleId`, else from a
    /// `devices/{deviceId}/modules/{moduleId}` subject.
    pub fn module_id(&self) -> Option<&str> {
        self.data().module_id.as_deref().or_else(|| {
            let rest = self.subject()?.strip_prefix("devices/")?;
            rest.split_once("/modules/").map(|(_, module)| module)
        })
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

    #[test]
    fn module_subjects_name_device_and_module() {
        let delivery = br#"[
          {"id":"1","subject":"devices/pump-7/modules/edgeAgent","eventType":"Microsoft.Devices.DeviceTwinChanged","data":{}},
          {"id":"2","subject":"devices/pump-8","eventType":"Microsoft.Devices.DeviceDeleted","eventTime":"2024-05-01T12:00:00Z","data":{}},
          {"id":3},
          {"id":"4","subject":"devices/x","eventType":"Microsoft.Devices.DeviceCreated","data":{"deviceId":"y","moduleId":"m"}}
        ]"#;
        let each = IotHubEvent::decode_each(delivery).unwrap();
        assert_eq!(each.len(), 4);
        assert!(each[2].is_err(), "a malformed element fails alone");
        let module = each[0].as_ref().unwrap();
        assert_eq!(module.device_id(), Some("pump-7"));
        assert_eq!(module.module_id(), Some("edgeAgent"));
        let device = each[1].as_ref().unwrap();
        assert_eq!(device.device_id(), Some("pump-8"));
        assert_eq!(device.module_id(), None);
        let IotHubEvent::EventGrid(envelope) = device else {
            panic!("an event grid envelope");
        };
        assert!(envelope.event_time.is_some());
        let from_data = each[3].as_ref().unwrap();
        assert_eq!(
            (from_data.device_id(), from_data.module_id()),
            (Some("y"), Some("m"))
        );
        assert!(
            IotHubEvent::decode_batch(delivery).is_err(),
            "the all-or-nothing decoder"
        );
        assert!(IotHubEvent::decode_each(b"not json").is_err());
    }
}
