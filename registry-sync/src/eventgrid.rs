//! Lenient decoding of IoT Hub events delivered by Event Grid, in the Event
//! Grid schema and in the CloudEvents 1.0 schema.
//!
//! A body is one event object or an array of them. Each element is decoded on
//! its own, so one bad element does not hide the good ones. Unknown fields are
//! ignored and unknown event types are kept as [`ChangeKind::Other`].

use crate::change::{ChangeEvent, ChangeKind, EventOrder};
use crate::device::{DeviceId, DeviceRecord, DeviceStatus, Etag};
use crate::error::{Error, ErrorKind};
use crate::properties::Properties;
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Why an Event Grid body or element could not be decoded.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    /// The body is not JSON.
    #[error("event body is not json")]
    NotJson(#[source] serde_json::Error),
    /// The body is neither an object nor an array of objects.
    #[error("event body is neither an event nor an array of events")]
    NotEvents,
    /// Element `index` is not an object.
    #[error("event {index} is not an object")]
    NotAnObject {
        /// Position in the batch.
        index: usize,
    },
    /// A required field is missing or has the wrong type.
    #[error("event {index}: field {field} missing or not a string")]
    BadField {
        /// Position in the batch.
        index: usize,
        /// The field.
        field: &'static str,
    },
}

impl From<EventError> for Error {
    fn from(e: EventError) -> Self {
        Self::new(ErrorKind::Decode).with_source(e)
    }
}

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
    serde_json::json!({ "validationResponse": code }).to_string()
}

/// Decodes a body: `Err` when the body as a whole is unusable, else one
/// result per element.
pub fn decode_event_grid(
    body: &[u8],
) -> Result<Vec<Result<EventGridMessage, EventError>>, EventError> {
    let value: Value = serde_json::from_slice(body).map_err(EventError::NotJson)?;
    let elements = match value {
        Value::Array(a) => a,
        v @ Value::Object(_) => vec![v],
        _ => return Err(EventError::NotEvents),
    };
    Ok(elements
        .iter()
        .enumerate()
        .map(|(index, v)| decode_one(index, v))
        .collect())
}

fn str_field<'a>(o: &'a Map<String, Value>, names: &[&str]) -> Option<&'a str> {
    names.iter().find_map(|n| o.get(*n).and_then(Value::as_str))
}

fn decode_one(index: usize, v: &Value) -> Result<EventGridMessage, EventError> {
    let o = v.as_object().ok_or(EventError::NotAnObject { index })?;
    let cloud = o.contains_key("specversion");
    let (type_field, time_field) = if cloud {
        ("type", "time")
    } else {
        ("eventType", "eventTime")
    };
    let id = str_field(o, &["id"]).ok_or(EventError::BadField { index, field: "id" })?;
    let event_type = str_field(o, &[type_field]).ok_or(EventError::BadField {
        index,
        field: if cloud { "type" } else { "eventType" },
    })?;
    let empty = Map::new();
    let data = o.get("data").and_then(Value::as_object).unwrap_or(&empty);
    if event_type == "Microsoft.EventGrid.SubscriptionValidationEvent" {
        let code = str_field(data, &["validationCode"]).ok_or(EventError::BadField {
            index,
            field: "data.validationCode",
        })?;
        return Ok(EventGridMessage::SubscriptionValidation {
            code: code.to_owned(),
        });
    }
    let kind = match event_type {
        "Microsoft.Devices.DeviceCreated" => ChangeKind::Created,
        "Microsoft.Devices.DeviceDeleted" => ChangeKind::Deleted,
        "Microsoft.Devices.DeviceConnected" => ChangeKind::Connected,
        "Microsoft.Devices.DeviceDisconnected" => ChangeKind::Disconnected,
        other => ChangeKind::Other(other.to_owned()),
    };
    let subject_id = str_field(o, &["subject"]).and_then(|s| s.strip_prefix("devices/"));
    let subject_id = subject_id.map(|s| s.split('/').next().unwrap_or(s));
    let device = str_field(data, &["deviceId"])
        .or(subject_id)
        .ok_or(EventError::BadField {
            index,
            field: "data.deviceId",
        })?;
    let time = str_field(o, &[time_field]).and_then(parse_time);
    let sequence = data
        .get("deviceConnectionStateEventInfo")
        .and_then(Value::as_object)
        .and_then(|i| str_field(i, &["sequenceNumber"]))
        .map(|s| s.trim().to_owned());
    let record = data
        .get("twin")
        .and_then(Value::as_object)
        .map(|t| twin_record(device, t));
    let mut event = ChangeEvent::new(id, device, kind).with_order(EventOrder { time, sequence });
    event.source = str_field(data, &["hubName"]).map(str::to_owned);
    event.record = record;
    Ok(EventGridMessage::Change(Box::new(event)))
}

/// Parses RFC 3339, tolerating a missing offset (IoT Hub's `0001-01-01T00:00:00`
/// style); impossible dates give `None`, not an error.
pub(crate) fn parse_time(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339)
        .ok()
        .or_else(|| OffsetDateTime::parse(&format!("{s}Z"), &Rfc3339).ok())
}

/// A device record from an IoT Hub twin: status, etag, tags and reported
/// properties flattened with `.` (twin keys cannot contain `.`), `$` keys dropped.
pub(crate) fn twin_record(device: &str, twin: &Map<String, Value>) -> DeviceRecord {
    let id = str_field(twin, &["deviceId"]).unwrap_or(device);
    let mut r = DeviceRecord::new(DeviceId::new(id));
    if str_field(twin, &["status"]).is_some_and(|s| s.eq_ignore_ascii_case("disabled")) {
        r.status = DeviceStatus::Disabled {
            reason: str_field(twin, &["statusReason"]).map(Into::into),
        };
    }
    r.etag = str_field(twin, &["etag"]).map(Etag::new);
    if let Some(tags) = twin.get("tags").and_then(Value::as_object) {
        r.tags = flatten(tags);
    }
    if let Some(rep) = twin
        .get("properties")
        .and_then(|p| p.get("reported"))
        .and_then(Value::as_object)
    {
        r.reported = flatten(rep);
    }
    r
}

/// Flattens a JSON object: nested keys joined with `.`, strings kept as is,
/// other scalars and arrays as JSON text, `null` and `$`-keys dropped.
pub fn flatten(object: &Map<String, Value>) -> Properties {
    fn walk(prefix: &str, o: &Map<String, Value>, out: &mut Vec<(String, String)>, depth: usize) {
        for (k, v) in o {
            if k.starts_with('$') {
                continue;
            }
            let key = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            match v {
                Value::Null => {}
                Value::String(s) => out.push((key, s.clone())),
                // Twins nest at most 10 levels; the bound keeps hostile input shallow.
                Value::Object(inner) if depth < 16 => walk(&key, inner, out, depth + 1),
                other => out.push((key, other.to_string())),
            }
        }
    }
    let mut out = Vec::new();
    walk("", object, &mut out, 0);
    out.into_iter().collect()
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
        assert!(matches!(out[1], Err(EventError::NotAnObject { index: 1 })));
        assert!(matches!(
            out[2],
            Err(EventError::BadField {
                index: 2,
                field: "data.deviceId"
            })
        ));
        assert!(matches!(
            decode_event_grid(b"nope"),
            Err(EventError::NotJson(_))
        ));
        assert!(matches!(
            decode_event_grid(b"7"),
            Err(EventError::NotEvents)
        ));
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
            "twin":{"status":"disabled","statusReason":"r","etag":"e","tags":{"loc":{"city":"x"},"n":3},
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
    }

    #[test]
    fn times_without_offset_and_impossible_dates() {
        assert!(parse_time("2018-01-02T19:17:44.4383997Z").is_some());
        assert!(parse_time("0001-01-01T00:00:00").is_some());
        assert!(parse_time("2016-02-30T16:24:48.789Z").is_none());
    }
}
