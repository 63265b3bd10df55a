//! The registry-neutral device record the planner and the connectors exchange.

use crate::properties::Properties;
use serde::{Deserialize, Serialize};
use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};

/// A secret value (a symmetric key, a security token): `twin-model`'s, whose
/// `Debug` never shows it.
pub use twin_model::iothub::secret::Secret;

/// A device identity as the registry spells it (case-sensitive, compared byte-wise).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DeviceId(Box<str>);

impl DeviceId {
    /// Wraps an id.
    pub fn new(id: impl Into<Box<str>>) -> Self {
        Self(id.into())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Borrow<str> for DeviceId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl From<&str> for DeviceId {
    fn from(s: &str) -> Self {
        Self::new(s)
    }
}

impl From<String> for DeviceId {
    fn from(s: String) -> Self {
        Self::new(s)
    }
}

/// An opaque entity tag used for optimistic concurrency (`If-Match`).
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Etag(Box<str>);

impl Etag {
    /// Wraps an etag exactly as the registry returned it.
    pub fn new(tag: impl Into<Box<str>>) -> Self {
        Self(tag.into())
    }

    /// The etag text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Etag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

/// The credentials a device authenticates with: symmetric keys (IoT Hub) or a
/// security token (hawkBit, as the primary). `Debug` never shows them.
///
/// Both secrets share one allocation, which matters at a million devices.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "CredentialsRepr", into = "CredentialsRepr")]
pub struct Credentials {
    /// `primary` followed by `secondary`.
    packed: Secret,
    /// Where `primary` ends; `None` without a secondary.
    split: Option<u32>,
}

#[derive(Clone, Serialize, Deserialize)]
struct CredentialsRepr {
    primary: Secret,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    secondary: Option<Secret>,
}

impl From<CredentialsRepr> for Credentials {
    fn from(r: CredentialsRepr) -> Self {
        Self::new(r.primary, r.secondary)
    }
}

impl From<Credentials> for CredentialsRepr {
    fn from(c: Credentials) -> Self {
        Self {
            primary: Secret::new(c.expose_primary()),
            secondary: c.expose_secondary().map(Secret::new),
        }
    }
}

impl Credentials {
    /// Credentials with a primary and an optional secondary secret.
    ///
    /// A primary longer than 4 GiB is not a credential; it is cut to fit.
    pub fn new(primary: Secret, secondary: Option<Secret>) -> Self {
        match secondary {
            None => Self {
                packed: primary,
                split: None,
            },
            Some(second) => {
                let p = primary.expose();
                let cut = p.len().min(u32::MAX as usize);
                let cut = (0..=cut)
                    .rev()
                    .find(|i| p.is_char_boundary(*i))
                    .unwrap_or(0);
                let mut both = String::with_capacity(cut + second.expose().len());
                both.push_str(p.get(..cut).unwrap_or_default());
                both.push_str(second.expose());
                Self {
                    packed: Secret::new(both),
                    split: u32::try_from(cut).ok(),
                }
            }
        }
    }

    /// The primary key or token; keep it out of logs.
    pub fn expose_primary(&self) -> &str {
        let all = self.packed.expose();
        match self.split {
            None => all,
            Some(s) => all.get(..s as usize).unwrap_or_default(),
        }
    }

    /// The secondary key, where the registry has one; keep it out of logs.
    pub fn expose_secondary(&self) -> Option<&str> {
        let s = self.split?;
        self.packed.expose().get(s as usize..)
    }
}

// By hand because twin-model's `Secret` does not implement `Hash`.
impl Hash for Credentials {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.packed.expose().hash(state);
        self.split.hash(state);
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Credentials(<redacted>)")
    }
}

/// Whether a device may connect.
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "camelCase")]
pub enum DeviceStatus {
    /// The device may connect.
    #[default]
    Enabled,
    /// The device is disabled, with the reason given (IoT Hub `statusReason`).
    Disabled {
        /// Why the device was disabled.
        reason: Option<Box<str>>,
    },
}

impl DeviceStatus {
    /// A disabled status with a reason.
    pub fn disabled(reason: impl Into<Box<str>>) -> Self {
        Self::Disabled {
            reason: Some(reason.into()),
        }
    }

    /// Whether the device is enabled.
    pub fn is_enabled(&self) -> bool {
        matches!(self, Self::Enabled)
    }
}

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
        let c = d.credentials.as_ref().unwrap();
        assert_eq!(c.expose_primary(), "c2VjcmV0LWtleQ==");
        assert_eq!(c.expose_secondary(), Some("b3RoZXIta2V5"));
        let only = Credentials::new(Secret::new("tok"), None);
        assert_eq!(
            (only.expose_primary(), only.expose_secondary()),
            ("tok", None)
        );
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
