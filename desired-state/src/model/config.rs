//! Ordered key/value configuration lists.

use serde::{Deserialize, Serialize};

use super::nullable::{is_empty_str, null_default};

/// One `{key, value}` pair of a `config` list.
///
/// Kanto's Go struct has `omitempty` on both fields, so an empty `value` is
/// left out when encoding; decoding treats a missing value as empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct KeyValue {
    /// The key; keys may repeat within one list.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "is_empty_str"
    )]
    pub key: String,
    /// The value, always a string on the wire.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "is_empty_str"
    )]
    pub value: String,
}

impl KeyValue {
    /// A pair from anything string-like.
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            value: value.into(),
        }
    }
}

/// An ordered list of key/value pairs that allows duplicate keys.
///
/// The docs call `config` a JSON object but the wire form is an array, and the
/// containers agent reads `env`, `cmd`, `port`, `mount`, `device` and `host` as
/// repeatable keys in order, so a map would lose information.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Config(pub Vec<KeyValue>);

impl Config {
    /// An empty list.
    pub fn new() -> Self {
        Self(Vec::new())
    }

    /// The first value stored under `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|kv| kv.key == key)
            .map(|kv| kv.value.as_str())
    }

    /// Every value stored under `key`, in list order.
    pub fn get_all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |kv| kv.key == key)
            .map(|kv| kv.value.as_str())
    }

    /// Appends a pair (duplicates are kept).
    pub fn push(&mut self, key: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.0.push(KeyValue::new(key, value));
        self
    }

    /// Builder-style [`Config::push`].
    #[must_use]
    pub fn with(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.push(key, value);
        self
    }

    /// Whether the list holds no pairs (such a list is left out when encoding).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The pairs in order.
    pub fn iter(&self) -> core::slice::Iter<'_, KeyValue> {
        self.0.iter()
    }
}

impl From<Vec<KeyValue>> for Config {
    fn from(v: Vec<KeyValue>) -> Self {
        Self(v)
    }
}

impl<'a> IntoIterator for &'a Config {
    type Item = &'a KeyValue;
    type IntoIter = core::slice::Iter<'a, KeyValue>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_keep_order() {
        let c = Config::new()
            .with("env", "A=1")
            .with("port", "80:80")
            .with("env", "B=2");
        assert_eq!(c.get("env"), Some("A=1"));
        assert_eq!(c.get_all("env").collect::<Vec<_>>(), ["A=1", "B=2"]);
        assert_eq!(c.get("missing"), None);
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(
            json,
            r#"[{"key":"env","value":"A=1"},{"key":"port","value":"80:80"},{"key":"env","value":"B=2"}]"#
        );
    }

    #[test]
    fn empty_value_is_omitted_like_go() {
        let json = serde_json::to_string(&KeyValue::new("flag", "")).unwrap();
        assert_eq!(json, r#"{"key":"flag"}"#);
        let back: KeyValue = serde_json::from_str(r#"{"key":"flag","value":null}"#).unwrap();
        assert_eq!(back, KeyValue::new("flag", ""));
    }
}
