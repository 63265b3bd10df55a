//! Reads a feedback's activity id and status without scanning the action
//! list: chatty agents send one progress feedback per action, each with the
//! full list, and the manager only needs the list when it reports.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

use crate::model::Status;

const STOP: &str = "peek complete";

#[derive(Default)]
struct Found {
    activity_id: Option<String>,
    status: Option<Status>,
}

/// `(activityId, payload.status)` when both are present. Stops reading at the
/// status if the activity id came first (Go's field order), so the rest of
/// the message is not validated here; the full decode happens later.
pub(crate) fn peek_feedback(bytes: &[u8]) -> Option<(String, Status)> {
    let mut found = Found::default();
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let result = (&mut de).deserialize_map(EnvelopeVisitor(&mut found));
    match result {
        Ok(()) => {}
        Err(e) if e.to_string().starts_with(STOP) => {}
        Err(_) => return None,
    }
    Some((found.activity_id?, found.status?))
}

struct EnvelopeVisitor<'a>(&'a mut Found);

impl<'de> Visitor<'de> for EnvelopeVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an envelope")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "activityId" => self.0.activity_id = map.next_value::<Option<String>>()?,
                "payload" => map.next_value_seed(PayloadSeed(&mut *self.0))?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

struct PayloadSeed<'a>(&'a mut Found);

impl<'de> DeserializeSeed<'de> for PayloadSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(PayloadVisitor(self.0))
    }
}

struct PayloadVisitor<'a>(&'a mut Found);

impl<'de> Visitor<'de> for PayloadVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a feedback")
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "status" {
                self.0.status = map.next_value::<Option<Status>>()?;
                if self.0.activity_id.is_some() {
                    return Err(de::Error::custom(STOP));
                }
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_id_and_status_in_any_order() {
        let go = br#"{"activityId":"a","timestamp":1,"payload":{"status":"DOWNLOADING","actions":[{"component":{"id":"x"}}]}}"#;
        assert_eq!(peek_feedback(go), Some(("a".into(), Status::Downloading)));
        let odd = br#"{"payload":{"actions":[],"status":"UPDATING"},"activityId":"b"}"#;
        assert_eq!(peek_feedback(odd), Some(("b".into(), Status::Updating)));
        assert_eq!(peek_feedback(br#"{"activityId":"a","payload":null}"#), None);
        assert_eq!(peek_feedback(b"{"), None);
        assert_eq!(
            peek_feedback(br#"{"activityId":"a","payload":{"status":7}}"#),
            None
        );
    }
}
