//! Action ids: 64-bit numbers in paths, strings in JSON bodies.

use core::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The id of an action (a deployment, cancellation or confirmation).
///
/// hawkBit writes ids as JSON strings (`"id": "8"`); other servers write
/// numbers. Both decode; encoding always writes a string, as hawkBit does.
/// The value is kept as text so that a non-numeric id from a non-hawkBit
/// server survives a round trip.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ActionId(String);

impl ActionId {
    /// Wraps an id.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// The id as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id as a number, when it is one (hawkBit's are `int64`).
    pub fn as_i64(&self) -> Option<i64> {
        self.0.parse().ok()
    }

    /// Reads the action id from the last path segment of an action link
    /// (`…/deploymentBase/5?c=-2127183556` gives `5`), for display and state
    /// keeping only: requests always follow the link itself.
    pub fn from_href(href: &str) -> Option<Self> {
        let path = href.split(['?', '#']).next()?;
        let last = path.trim_end_matches('/').rsplit('/').next()?;
        (!last.is_empty()).then(|| Self(last.to_owned()))
    }
}

impl fmt::Display for ActionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<i64> for ActionId {
    fn from(v: i64) -> Self {
        Self(v.to_string())
    }
}

impl From<String> for ActionId {
    fn from(v: String) -> Self {
        Self(v)
    }
}

impl From<&str> for ActionId {
    fn from(v: &str) -> Self {
        Self(v.to_owned())
    }
}

impl Serialize for ActionId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ActionId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StringOrNumber).map(Self)
    }
}

/// Accepts a JSON string or integer and yields its text.
pub(crate) struct StringOrNumber;

impl Visitor<'_> for StringOrNumber {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or an integer")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }
}

/// Serde helper for optional `int64` fields that some clients send as strings
/// (`"timestamp": "1627997501890"`).
pub(crate) mod lenient_i64 {
    use serde::{Deserialize, Deserializer, de};

    use super::StringOrNumber;

    #[derive(Deserialize)]
    #[serde(transparent)]
    struct Wrapped(#[serde(deserialize_with = "number")] i64);

    fn number<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        let text = d.deserialize_any(StringOrNumber)?;
        text.trim()
            .parse()
            .map_err(|_| de::Error::custom(format!("expected an integer, found `{text}`")))
    }

    pub(crate) fn option<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        Ok(Option::<Wrapped>::deserialize(d)?.map(|w| w.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_string_and_number_and_encodes_string() {
        let a: ActionId = serde_json::from_str("\"8\"").unwrap();
        let b: ActionId = serde_json::from_str("8").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.as_i64(), Some(8));
        assert_eq!(serde_json::to_string(&b).unwrap(), "\"8\"");
        assert!(serde_json::from_str::<ActionId>("null").is_err());
        assert!(serde_json::from_str::<ActionId>("1.5").is_err());
    }

    #[test]
    fn id_from_href_ignores_query() {
        let id = ActionId::from_href("https://h/T/controller/v1/C/deploymentBase/5?c=-2127183556");
        assert_eq!(id, Some(ActionId::new("5")));
        assert_eq!(ActionId::from_href(""), None);
    }
}
