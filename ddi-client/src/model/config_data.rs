//! Device attributes (`PUT …/configData`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::open_enum::open_enum;

open_enum! {
    /// How the server applies the attributes.
    pub enum ConfigMode {
        /// Overlay the keys; a `null` value deletes a key (the server default).
        Merge = "merge",
        /// Replace all attributes.
        Replace = "replace",
        /// Delete the listed keys.
        Remove = "remove",
    }
}

/// Longest attribute key or value the server accepts.
pub const MAX_ATTRIBUTE_CHARS: usize = 128;

/// A `configData` body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigData {
    /// The attributes; `None` values are sent as `null` (delete under merge).
    pub data: BTreeMap<String, Option<String>>,
    /// The mode; absent means merge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<ConfigMode>,
}

impl ConfigData {
    /// A body with `mode` and no attributes yet.
    pub fn new(mode: ConfigMode) -> Self {
        Self {
            data: BTreeMap::new(),
            mode: Some(mode),
        }
    }

    /// Adds or overwrites one attribute.
    pub fn with(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.data.insert(key.into(), Some(value.into()));
        self
    }

    /// The first attribute the server would reject with 400
    /// (`invalidTargetAttributes`): too long, or a character outside the
    /// server's allowed set (ASCII letters, digits, whitespace and
    /// `_-!@#$%^&*()+=[]{}|;:'",.<>/\?`).
    pub fn invalid_attribute(&self) -> Option<&str> {
        self.data
            .iter()
            .find(|(k, v)| !valid_attribute(k) || v.as_deref().is_some_and(|v| !valid_attribute(v)))
            .map(|(k, _)| k.as_str())
    }
}

fn valid_attribute(s: &str) -> bool {
    s.chars().count() <= MAX_ATTRIBUTE_CHARS
        && s.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || c.is_ascii_whitespace()
                || "_-!@#$%^&*()+=[]{}|;:'\",.<>/\\?".contains(c)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_validation_matches_server_rules() {
        let ok = ConfigData::new(ConfigMode::Merge).with("hw_revision", "rev-2 (A)");
        assert_eq!(ok.invalid_attribute(), None);
        let bad = ConfigData::new(ConfigMode::Merge).with("name", "Größe");
        assert_eq!(bad.invalid_attribute(), Some("name"));
        let long = ConfigData::new(ConfigMode::Merge).with("k", "x".repeat(129));
        assert_eq!(long.invalid_attribute(), Some("k"));
    }

    #[test]
    fn null_value_is_sent_for_deletion() {
        let mut c = ConfigData::new(ConfigMode::Merge);
        c.data.insert("gone".into(), None);
        assert_eq!(
            serde_json::to_value(&c).unwrap(),
            serde_json::json!({"data": {"gone": null}, "mode": "merge"})
        );
    }
}
