//! The registry-neutral device record the planner and the connectors exchange.

use super::{Credentials, DeviceId, DeviceStatus, Etag, Properties};
use serde::{Deserialize, Serialize};

/// One device as a registry holds it, reduced to what a sync can compare.
///
/// `tags` are back-end metadata (IoT Hub twin tags flattened with `.`, hawkBit
/// target tags or metadata), `reported` are device-written properties flattened
/// the same way, `attributes` are what a hawkBit-like replica shows as target
/// attributes. `etag` is the registry's concurrency token for this record.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRecord {
    /// The device id.
    pub id: DeviceId,
    /// Enabled or disabled.
    #[serde(flatten)]
    pub status: DeviceStatus,
    /// Keys or token, when the registry exposes them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<Credentials>,
    /// Back-end tags.
    #[serde(default, skip_serializing_if = "Properties::is_empty")]
    pub tags: Properties,
    /// Device-reported properties.
    #[serde(default, skip_serializing_if = "Properties::is_empty")]
    pub reported: Properties,
    /// Target attributes (hawkBit-like registries).
    #[serde(default, skip_serializing_if = "Properties::is_empty")]
    pub attributes: Properties,
    /// The record's etag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<Etag>,
}

impl DeviceRecord {
    /// An enabled device with nothing else set.
    pub fn new(id: impl Into<DeviceId>) -> Self {
        Self {
            id: id.into(),
            status: DeviceStatus::Enabled,
            credentials: None,
            tags: Properties::new(),
            reported: Properties::new(),
            attributes: Properties::new(),
            etag: None,
        }
    }

    /// Sets the status.
    #[must_use]
    pub fn with_status(mut self, status: DeviceStatus) -> Self {
        self.status = status;
        self
    }

    /// Sets the credentials.
    #[must_use]
    pub fn with_credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Adds a tag.
    #[must_use]
    pub fn with_tag(mut self, key: &str, value: &str) -> Self {
        self.tags.insert(key, value);
        self
    }

    /// Adds a reported property.
    #[must_use]
    pub fn with_reported(mut self, key: &str, value: &str) -> Self {
        self.reported.insert(key, value);
        self
    }

    /// Adds an attribute.
    #[must_use]
    pub fn with_attribute(mut self, key: &str, value: &str) -> Self {
        self.attributes.insert(key, value);
        self
    }

    /// Sets the etag.
    #[must_use]
    pub fn with_etag(mut self, etag: Etag) -> Self {
        self.etag = Some(etag);
        self
    }

    /// Whether both records hold the same content, ignoring the etag and the
    /// device-written `reported` section (what a sync writes).
    pub fn same_content(&self, other: &Self) -> bool {
        self.id == other.id
            && self.status == other.status
            && self.credentials == other.credentials
            && self.tags == other.tags
            && self.attributes == other.attributes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Secret;

    #[test]
    fn debug_never_shows_secrets() {
        let d = DeviceRecord::new("d1").with_credentials(Credentials::new(
            Secret::new("c2VjcmV0LWtleQ=="),
            Some(Secret::new("b3RoZXIta2V5")),
        ));
        let text = format!("{d:?}");
        assert!(!text.contains("c2VjcmV0"), "{text}");
        assert!(!text.contains("b3RoZXI"), "{text}");
        assert!(text.contains("<redacted>"));
    }

    #[test]
    fn json_round_trip_keeps_everything() {
        let d = DeviceRecord::new("d1")
            .with_status(DeviceStatus::disabled("gone"))
            .with_credentials(Credentials::new(Secret::new("k"), None))
            .with_tag("env", "prod")
            .with_reported("fw", "1.2")
            .with_attribute("fw", "1.2")
            .with_etag(Etag::new("AAAA"));
        let text = serde_json::to_string(&d).unwrap();
        let back: DeviceRecord = serde_json::from_str(&text).unwrap();
        assert_eq!(back, d);
    }
}
