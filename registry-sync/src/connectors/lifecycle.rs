//! Lenient decoding of IoT Hub device lifecycle notifications delivered by a
//! message route (data source `DeviceLifecycleEvents` / `ModuleLifecycleEvents`).
//!
//! The operation travels in the message's application properties (`opType`,
//! `hubName`, `deviceId`, `operationTimestamp`), the body is the twin. Module
//! operations decode to [`ChangeKind::Other`], which the engine ignores.

use super::event_grid::{order_at, twin_record};
use crate::error::{Error, ErrorKind, Result};
use crate::model::{ChangeEvent, ChangeKind, EventOrder};
use serde_json::Value;
use twin_model::iothub::twin::Twin;

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

/// Decodes one lifecycle notification: the body is the twin (`twin-model`'s
/// [`Twin`]). A body that is not a twin, or a notification naming no device,
/// is an [`ErrorKind::Decode`] error.
pub fn decode_lifecycle(props: &LifecycleProperties<'_>, body: &[u8]) -> Result<ChangeEvent> {
    let not_a_twin = || Error::new(ErrorKind::Decode).with_context("lifecycle body is not a twin");
    let value: Value = serde_json::from_slice(body).map_err(|e| not_a_twin().with_source(e))?;
    // serde would read a twin from an array too (its fields in order).
    if !value.is_object() {
        return Err(not_a_twin());
    }
    let twin: Twin = serde_json::from_value(value).map_err(|e| not_a_twin().with_source(e))?;
    let device = props
        .device_id
        .or(Some(twin.device_id.as_str()))
        .filter(|d| !d.is_empty())
        .ok_or_else(|| {
            Error::new(ErrorKind::Decode).with_context("lifecycle notification names no device")
        })?;
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
    let order = props
        .operation_timestamp
        .map_or_else(EventOrder::new, order_at);
    let mut event = ChangeEvent::new(id, device, kind).with_order(order);
    event.source = props.hub_name.map(str::to_owned);
    if twin.module_id.is_none() {
        event.record = Some(twin_record(device, &twin));
    }
    Ok(event)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_win_over_the_body_and_bad_bodies_are_decode_errors() {
        let mut p = LifecycleProperties::new("deleteDeviceIdentity");
        p.device_id = Some("from-props");
        p.operation_timestamp = Some("2024-05-01T10:00:00.1234567Z");
        let e = decode_lifecycle(&p, br#"{"deviceId":"from-body"}"#).unwrap();
        assert_eq!(e.device.as_str(), "from-props");
        assert_eq!(e.kind, ChangeKind::Deleted);
        assert!(e.order.time().is_some());
        for bad in [&b"{"[..], b"[]"] {
            let err = decode_lifecycle(&p, bad).unwrap_err();
            assert_eq!(err.context(), Some("lifecycle body is not a twin"));
        }
        let bare = LifecycleProperties::new("createDeviceIdentity");
        let err = decode_lifecycle(&bare, b"{}").unwrap_err();
        assert_eq!(
            err.context(),
            Some("lifecycle notification names no device")
        );
    }
}
