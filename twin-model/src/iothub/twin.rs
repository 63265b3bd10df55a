//! Device and module twins.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::etag::ETag;
use crate::iothub::properties::TwinProperties;
use crate::iothub::status::{AuthenticationType, ConnectionState, DeviceStatus};
use crate::timestamp::Timestamp;

/// `x509Thumbprint` (both members are written, as `null` when unset).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct X509Thumbprint {
    /// SHA-1 or SHA-256 thumbprint of the primary certificate.
    #[serde(default)]
    pub primary_thumbprint: Option<String>,
    /// Thumbprint of the secondary certificate.
    #[serde(default)]
    pub secondary_thumbprint: Option<String>,
}

/// `capabilities`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Capabilities {
    /// True for IoT Edge devices.
    #[serde(default)]
    pub iot_edge: bool,
}

/// A device twin, or a module twin when `module_id` is set.
///
/// Every top-level field of the service document is modelled; unknown
/// fields are ignored on decode. `tags` and the property sections stay
/// JSON maps because they hold user data.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Twin {
    /// Case-sensitive device id.
    #[serde(default)]
    pub device_id: String,
    /// Set for module twins only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module_id: Option<String>,
    /// Weak ETag of the whole twin (the concurrency guard for tags and desired).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<ETag>,
    /// ETag of the identity record; may be the string `"null"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_etag: Option<ETag>,
    /// Twin version, incremented on each change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    /// Enabled or disabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<DeviceStatus>,
    /// Why the status was set (≤ 128 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// When the status last changed (`0001-01-01T00:00:00` = never).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_update_time: Option<Timestamp>,
    /// Connected or disconnected (debug only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_state: Option<ConnectionState>,
    /// Last activity (`0001-01-01T00:00:00` = never).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_activity_time: Option<Timestamp>,
    /// Queued cloud-to-device messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_to_device_message_count: Option<i64>,
    /// How the device authenticates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication_type: Option<AuthenticationType>,
    /// Certificate thumbprints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x509_thumbprint: Option<X509Thumbprint>,
    /// IoT Plug and Play model id; `""` when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_id: Option<String>,
    /// Device capabilities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<Capabilities>,
    /// Nested-Edge scope of this device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_scope: Option<String>,
    /// Nested-Edge parent scopes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_scopes: Option<Vec<String>>,
    /// Undocumented `attributes` of api-version 2024-03-31, kept opaque.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Map<String, Value>>,
    /// Back-end metadata, invisible to the device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Map<String, Value>>,
    /// Desired and reported properties.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<TwinProperties>,
}

impl Twin {
    /// Decodes a twin from JSON bytes.
    pub fn from_json(bytes: &[u8]) -> Result<Self, crate::DecodeError> {
        crate::decode::from_slice("twin", bytes)
    }

    /// Decodes a twin and checks it against IoT Hub's limits
    /// ([`crate::validate::twin::validate_twin`]).
    pub fn from_json_validated(bytes: &[u8]) -> Result<Self, TwinDocumentError> {
        let twin = Self::from_json(bytes).map_err(TwinDocumentError::Decode)?;
        crate::validate::twin::validate_twin(&twin).map_err(TwinDocumentError::Invalid)?;
        Ok(twin)
    }

    /// A twin with only a device id.
    pub fn new(device_id: impl Into<String>) -> Self {
        Self {
            device_id: device_id.into(),
            ..Self::default()
        }
    }

    /// The desired values, or an empty map.
    pub fn desired(&self) -> Option<&Map<String, Value>> {
        Some(&self.properties.as_ref()?.desired.as_ref()?.values)
    }

    /// The reported values.
    pub fn reported(&self) -> Option<&Map<String, Value>> {
        Some(&self.properties.as_ref()?.reported.as_ref()?.values)
    }

    /// True for IoT Edge devices.
    pub fn is_edge(&self) -> bool {
        self.capabilities.as_ref().is_some_and(|c| c.iot_edge)
    }
}

/// Why a twin document was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TwinDocumentError {
    /// Not a twin.
    #[error("twin does not decode")]
    Decode(#[source] crate::DecodeError),
    /// A twin over IoT Hub's limits.
    #[error("twin breaks iot hub limits")]
    Invalid(#[source] crate::validate::Violations),
}

/// A twin PATCH body (`PATCH /twins/{id}`): a JSON merge where `null`
/// removes. Kept as maps so that `null` survives.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TwinPatch {
    /// Tag changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Map<String, Value>>,
    /// Property changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<TwinPatchProperties>,
}

/// `properties` of a [`TwinPatch`].
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TwinPatchProperties {
    /// Desired changes (back end).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired: Option<Map<String, Value>>,
    /// Reported changes (device side; the back end cannot write these).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported: Option<Map<String, Value>>,
}

impl TwinPatch {
    /// A patch of desired properties only.
    pub fn desired(patch: Map<String, Value>) -> Self {
        Self {
            tags: None,
            properties: Some(TwinPatchProperties {
                desired: Some(patch),
                reported: None,
            }),
        }
    }
}
