//! Lines of import/export job blobs (`devices.txt`, JSON Lines).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::etag::ETag;
use crate::iothub::identity::AuthenticationMechanism;
use crate::iothub::properties::TwinProperties;
use crate::iothub::status::DeviceStatus;
use crate::iothub::twin::Capabilities;
use crate::open_enum::open_enum;

open_enum! {
    /// `importMode` of an import line (absent means `createOrUpdate`).
    pub enum ImportMode {
        /// Create only; an existing id is an error.
        Create = "create",
        /// Upsert, ignoring the ETag.
        CreateOrUpdate = "createOrUpdate",
        /// Upsert; overwrite only when `eTag` matches.
        CreateOrUpdateIfMatchETag = "createOrUpdateIfMatchETag",
        /// Update existing only, ignoring the ETag.
        Update = "update",
        /// Update existing only when `eTag` matches.
        UpdateIfMatchETag = "updateIfMatchETag",
        /// Delete, ignoring the ETag.
        Delete = "delete",
        /// Delete only when `eTag` matches.
        DeleteIfMatchETag = "deleteIfMatchETag",
        /// Overwrite the twin, ignoring the twin ETag.
        UpdateTwin = "updateTwin",
        /// Overwrite the twin only when `twinETag` matches.
        UpdateTwinIfMatchETag = "updateTwinIfMatchETag",
    }
}

/// One `ExportImportDevice` line. Note the `eTag` / `twinETag` spelling,
/// unlike `etag` in the REST shapes.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportImportDevice {
    /// Device id.
    #[serde(default)]
    pub id: String,
    /// Module id for module lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module_id: Option<String>,
    /// Identity ETag.
    #[serde(default, rename = "eTag", skip_serializing_if = "Option::is_none")]
    pub e_tag: Option<ETag>,
    /// Import mode; see [`ExportImportDevice::effective_import_mode`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import_mode: Option<ImportMode>,
    /// Enabled or disabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<DeviceStatus>,
    /// Why the status was set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// Credentials; exports write `null` when keys are excluded, so `None`
    /// is written as `null` too.
    #[serde(default)]
    pub authentication: Option<AuthenticationMechanism>,
    /// Twin ETag (checked independently of `eTag`).
    #[serde(default, rename = "twinETag", skip_serializing_if = "Option::is_none")]
    pub twin_e_tag: Option<ETag>,
    /// Twin tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Map<String, Value>>,
    /// Twin properties; `$metadata` optional on import.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<TwinProperties>,
    /// Capabilities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<Capabilities>,
    /// Nested-Edge scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_scope: Option<String>,
    /// Nested-Edge parent scopes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_scopes: Option<Vec<String>>,
}

impl ExportImportDevice {
    /// The mode IoT Hub applies: `createOrUpdate` when absent.
    pub fn effective_import_mode(&self) -> ImportMode {
        self.import_mode
            .clone()
            .unwrap_or(ImportMode::CreateOrUpdate)
    }

    /// Decodes a `devices.txt` blob.
    pub fn from_json_lines(bytes: &[u8]) -> Result<Vec<Self>, crate::DecodeError> {
        crate::decode::from_json_lines("import/export device line", bytes)
    }
}
