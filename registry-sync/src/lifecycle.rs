//! Lenient decoding of IoT Hub device lifecycle notifications delivered by a
//! message route (data source `DeviceLifecycleEvents` / `ModuleLifecycleEvents`).
//!
//! The operation travels in the message's application properties (`opType`,
//! `hubName`, `deviceId`, `operationTimestamp`), the body is the twin. Module
//! operations decode to [`ChangeKind::Other`], which the engine ignores.

use crate::change::{ChangeEvent, ChangeKind, EventOrder};
use crate::error::{Error, ErrorKind};
use crate::eventgrid::{parse_time, twin_record};
use serde_json::Value;

/// Why a lifecycle notification could not be decoded.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    /// The body is not JSON.
    #[error("lifecycle body is not json")]
    NotJson(#[source] serde_json::Error),
    /// The body is not a JSON object.
    #[error("lifecycle body is not an object")]
    NotAnObject,
    /// Neither the properties nor the body name the device.
    #[error("lifecycle notification names no device")]
    NoDevice,
}

impl From<LifecycleError> for Error {
    fn from(e: LifecycleError) -> Self {
        Self::new(ErrorKind::Decode).with_source(e)
    }
}

/// The application properties of a lifecycle message that matter here.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LifecycleProperties<'a> {
    /// `opType`, e.g. `createDeviceIdentity`.
    pub op_type: &'a str,
    /// `hubName`.
    pub hub_name: Option<&'a str>,
    /// `deviceId`.
    pub device_id: Option<&'a str>,
    /// `operationTimestamp`.
    pub operation_timestamp: Option<&'a str>,
    /// The message id, used as the event id when present.
    pub message_id: Option<&'a str>,
}

impl<'a> LifecycleProperties<'a> {
    /// Properties with only the operation type.
    pub fn new(op_type: &'a str) -> Self {
        Self {
            op_type,
            ..Self::default()
        }
    }
}

/// Decodes one lifecycle notification.
pub fn decode_lifecycle(
    props: &LifecycleProperties<'_>,
    body: &[u8],
) -> Result<ChangeEvent, LifecycleError> {
    let value: Value = serde_json::from_slice(body).map_err(LifecycleError::NotJson)?;
    let twin = value.as_object().ok_or(LifecycleError::NotAnObject)?;
    let device = props
        .device_id
        .or_else(|| twin.get("deviceId").and_then(Value::as_str))
        .filter(|d| !d.is_empty())
        .ok_or(LifecycleError::NoDevice)?;
    let kind = match props.op_type {
        "createDeviceIdentity" => ChangeKind::Created,
        "deleteDeviceIdentity" => ChangeKind::Deleted,
        other => ChangeKind::Other(other.to_owned()),
    };
    let id = props.message_id.map_or_else(
        || {
            format!(
                "{}/{device}/{}/{}",
                props.hub_name.unwrap_or_default(),
                props.op_type,
                props.operation_timestamp.unwrap_or_default()
            )
        },
        str::to_owned,
    );
    let mut event = ChangeEvent::new(id, device, kind).with_order(EventOrder {
        time: props.operation_timestamp.and_then(parse_time),
        sequence: None,
    });
    event.source = props.hub_name.map(str::to_owned);
    let is_module = twin.get("moduleId").and_then(Value::as_str).is_some();
    if !is_module {
        event.record = Some(twin_record(device, twin));
    }
    Ok(event)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_win_over_the_body_and_bad_bodies_are_typed() {
        let mut p = LifecycleProperties::new("deleteDeviceIdentity");
        p.device_id = Some("from-props");
        p.operation_timestamp = Some("2024-05-01T10:00:00.1234567Z");
        let e = decode_lifecycle(&p, br#"{"deviceId":"from-body"}"#).unwrap();
        assert_eq!(e.device.as_str(), "from-props");
        assert_eq!(e.kind, ChangeKind::Deleted);
        assert!(e.order.time.is_some());
        assert!(matches!(
            decode_lifecycle(&p, b"{"),
            Err(LifecycleError::NotJson(_))
        ));
        assert!(matches!(
            decode_lifecycle(&p, b"[]"),
            Err(LifecycleError::NotAnObject)
        ));
        let bare = LifecycleProperties::new("createDeviceIdentity");
        assert!(matches!(
            decode_lifecycle(&bare, b"{}"),
            Err(LifecycleError::NoDevice)
        ));
    }
}
