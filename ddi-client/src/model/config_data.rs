//! Device attributes (`PUT …/configData`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::feedback::{ActionFeedback, Execution, Finished, Status, legacy_time_from_ms};
use super::id::ActionId;
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
    /// Legacy `id`, which servers before 0.3.0M7 read as part of a feedback
    /// document; current servers ignore it. Sent only when set.
    #[serde(rename = "id", default, skip_serializing_if = "Option::is_none")]
    pub legacy_id: Option<ActionId>,
    /// Legacy `time` (`yyyyMMdd'T'HHmmss`, UTC); see [`Self::with_legacy_fields`].
    #[serde(rename = "time", default, skip_serializing_if = "Option::is_none")]
    pub legacy_time: Option<String>,
    /// Legacy `status` object; see [`Self::with_legacy_fields`].
    #[serde(rename = "status", default, skip_serializing_if = "Option::is_none")]
    pub legacy_status: Option<Status>,
}

impl ConfigData {
    /// A body with `mode` and no attributes yet.
    pub fn new(mode: ConfigMode) -> Self {
        Self {
            mode: Some(mode),
            ..Self::default()
        }
    }

    /// Also sends the fields servers before 0.3.0M7 required on `configData`
    /// (its body was a feedback document then): `time` for `unix_ms` and a
    /// `closed`/`success` `status`. Current servers ignore them, so they are
    /// off by default. `time` is left out for an instant outside years
    /// 0–9999, which the legacy format cannot spell.
    pub fn with_legacy_fields(mut self, unix_ms: i64) -> Self {
        self.legacy_time = legacy_time_from_ms(unix_ms);
        self.legacy_status = Some(ActionFeedback::new(Execution::Closed, Finished::Success).status);
        self
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
    s.chars().count() <= MAX_ATTRIBUTE_CHARS && is_attribute_text(s)
}

/// Whether hawkBit accepts every character of `s` in an attribute key or
/// value: ASCII letters, digits, whitespace and
/// `_-!@#$%^&*()+=[]{}|;:'",.<>/\?`. Anything else (all of non-ASCII) makes
/// the server answer `400 invalidTargetAttributes` for the whole body.
pub fn is_attribute_text(s: &str) -> bool {
    s.chars().all(|c| {
        c.is_ascii_alphanumeric()
            || c.is_ascii_whitespace()
            || "_-!@#$%^&*()+=[]{}|;:'\",.<>/\\?".contains(c)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_fields_only_on_request() {
        let plain =
            serde_json::to_value(ConfigData::new(ConfigMode::Merge).with("a", "1")).unwrap();
        assert_eq!(
            plain,
            serde_json::json!({"data": {"a": "1"}, "mode": "merge"})
        );
        let legacy = ConfigData::new(ConfigMode::Merge)
            .with("a", "1")
            .with_legacy_fields(1_565_352_794_000);
        assert_eq!(
            serde_json::to_value(legacy).unwrap(),
            serde_json::json!({
                "data": {"a": "1"},
                "mode": "merge",
                "time": "20190809T121314",
                "status": {"execution": "closed", "result": {"finished": "success"}}
            })
        );
    }

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
