//! Event Grid bodies to change events, through `twin-model`'s envelopes.

use crate::error::{Error, ErrorKind, Result};
use crate::model::{ChangeEvent, ChangeKind, EventOrder, system_time};
use crate::model::{DeviceId, DeviceRecord, DeviceStatus, Etag};
use crate::twin_json::flat;
use twin_model::iothub::event_grid::{EventType, IotHubEvent, SubscriptionValidationResponse};
use twin_model::iothub::status::DeviceStatus as HubStatus;
use twin_model::iothub::twin::Twin;
use twin_model::timestamp::Timestamp;

/// One decoded element.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventGridMessage {
    /// A device event.
    Change(Box<ChangeEvent>),
    /// Event Grid's subscription handshake: answer with [`validation_response`].
    SubscriptionValidation {
        /// The code to echo.
        code: String,
    },
}

/// The JSON body answering a subscription validation handshake.
pub fn validation_response(code: &str) -> String {
    let answer = SubscriptionValidationResponse {
        validation_response: code.to_owned(),
    };
    // A struct of one string always serializes.
    serde_json::to_string(&answer).unwrap_or_default()
}

fn malformed(context: String) -> Error {
    Error::new(ErrorKind::Decode).with_context(context)
}

/// Decodes a body with `twin-model`'s per-element decoder: `Err`
/// ([`ErrorKind::Decode`]) when the body is not JSON, else one result per
/// element (a [`ErrorKind::Decode`] error for a malformed one; a body that
/// is a single non-event value is one malformed element). Error texts name
/// the element and what is wrong, never payload data; the underlying JSON
/// error is the error's source.
pub fn decode_event_grid(body: &[u8]) -> Result<Vec<Result<EventGridMessage>>> {
    let events = IotHubEvent::decode_each(body).map_err(|e| {
        Error::new(ErrorKind::Decode)
            .with_context("event body is not json")
            .with_source(e)
    })?;
    Ok(events
        .into_iter()
        .enumerate()
        .map(|(index, event)| match event {
            Ok(event) => message(index, &event),
            Err(e) => {
                Err(malformed(format!("event {index} is not an iot hub event")).with_source(e))
            }
        })
        .collect())
}

fn message(index: usize, event: &IotHubEvent) -> Result<EventGridMessage> {
    let data = event.data();
    if *event.event_type() == EventType::SubscriptionValidation {
        let code = data.validation_code.clone().ok_or_else(|| {
            malformed(format!(
                "event {index}: validation without data.validationCode"
            ))
        })?;
        return Ok(EventGridMessage::SubscriptionValidation { code });
    }
    let kind = match event.event_type() {
        EventType::DeviceCreated => ChangeKind::Created,
        EventType::DeviceDeleted => ChangeKind::Deleted,
        EventType::DeviceConnected => ChangeKind::Connected,
        EventType::DeviceDisconnected => ChangeKind::Disconnected,
        other => ChangeKind::Other(other.as_str().to_owned()),
    };
    let device = event
        .device_id()
        .filter(|d| !d.is_empty())
        .ok_or_else(|| malformed(format!("event {index} names no device")))?;
    let (id, time) = match event {
        IotHubEvent::EventGrid(e) => (&e.id, e.event_time.as_ref()),
        IotHubEvent::CloudEvent(e) => (&e.id, e.time.as_ref()),
        _ => return Err(malformed(format!("event {index}: unknown envelope"))),
    };
    let mut order = EventOrder::new();
    if let Some(t) = time.and_then(system_time) {
        order = order.with_time(t);
    }
    if let Some(info) = &data.device_connection_state_event_info {
        order = order.with_sequence(info.sequence_number.0.trim());
    }
    let mut change = ChangeEvent::new(id.as_str(), device, kind).with_order(order);
    change.source.clone_from(&data.hub_name);
    change.record = data.twin.as_ref().map(|t| twin_record(device, t));
    Ok(EventGridMessage::Change(Box::new(change)))
}

/// The order of a lifecycle notification's `operationTimestamp`.
pub(crate) fn order_at(stamp: &str) -> EventOrder {
    match system_time(&Timestamp::parse(stamp)) {
        Some(t) => EventOrder::new().with_time(t),
        None => EventOrder::new(),
    }
}

/// A device record from the twin an event carries: status, the twin's etag,
/// tags and reported properties flattened with `.`, `$` keys dropped. The
/// twin's `deviceId` wins over the event's when both are given.
pub(crate) fn twin_record(device: &str, twin: &Twin) -> DeviceRecord {
    let id = Some(twin.device_id.as_str())
        .filter(|i| !i.is_empty())
        .unwrap_or(device);
    let mut r = DeviceRecord::new(DeviceId::new(id));
    if matches!(twin.status, Some(HubStatus::Disabled)) {
        r.status = DeviceStatus::Disabled {
            reason: twin.status_reason.as_deref().map(Into::into),
        };
    }
    r.etag = twin.etag.as_ref().map(|e| Etag::new(e.as_str()));
    if let Some(tags) = &twin.tags {
        r.tags = flat(tags);
    }
    if let Some(reported) = twin.reported() {
        r.reported = flat(reported);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_bad_element_does_not_hide_the_others() {
        let body = br#"[{"id":"1","eventType":"Microsoft.Devices.DeviceDeleted","subject":"devices/a","data":{}},
                        42,
                        {"id":"3","eventType":"Microsoft.Devices.DeviceCreated","data":{}}]"#;
        let out = decode_event_grid(body).unwrap();
        assert!(
            matches!(&out[0], Ok(EventGridMessage::Change(e)) if e.device.as_str() == "a" && e.kind == ChangeKind::Deleted)
        );
        let not_event = out[1].as_ref().unwrap_err();
        assert!(not_event.is_decode());
        assert_eq!(not_event.context(), Some("event 1 is not an iot hub event"));
        let no_device = out[2].as_ref().unwrap_err();
        assert_eq!(no_device.context(), Some("event 2 names no device"));
        assert!(decode_event_grid(b"nope").unwrap_err().is_decode());
        let single = decode_event_grid(b"7").unwrap();
        assert!(matches!(&single[..], [Err(e)] if e.is_decode()));
    }

    #[test]
    fn validation_handshake() {
        let body = br#"[{"id":"x","eventType":"Microsoft.EventGrid.SubscriptionValidationEvent","data":{"validationCode":"512d38b6"}}]"#;
        let out = decode_event_grid(body).unwrap();
        assert!(
            matches!(&out[0], Ok(EventGridMessage::SubscriptionValidation { code }) if code == "512d38b6")
        );
        assert_eq!(
            validation_response("512d38b6"),
            r#"{"validationResponse":"512d38b6"}"#
        );
    }

    #[test]
    fn twin_is_flattened() {
        let body = br#"{"id":"1","eventType":"Microsoft.Devices.DeviceCreated","data":{"deviceId":"d",
            "twin":{"deviceId":"d","status":"disabled","statusReason":"r","etag":"e","tags":{"loc":{"city":"x"},"n":3},
            "properties":{"reported":{"fw":"1.0","$version":4,"$metadata":{}}}}}}"#;
        let out = decode_event_grid(body).unwrap();
        let Ok(EventGridMessage::Change(e)) = &out[0] else {
            panic!("{out:?}")
        };
        let r = e.record.as_ref().unwrap();
        assert_eq!(r.tags.get("loc.city"), Some("x"));
        assert_eq!(r.tags.get("n"), Some("3"));
        assert_eq!(r.reported.iter().collect::<Vec<_>>(), [("fw", "1.0")]);
        assert_eq!(r.status, DeviceStatus::disabled("r"));
        assert_eq!(r.etag.as_ref().map(Etag::as_str), Some("e"));
    }
}
