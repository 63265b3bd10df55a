//! Management API targets, tags and metadata, and hawkBit's limits on them.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Attribute key limit (characters), as DDI `configData` enforces it.
pub const ATTRIBUTE_KEY_MAX: usize = ddi_client::model::MAX_ATTRIBUTE_CHARS;
/// Attribute value limit (characters), as DDI `configData` enforces it.
pub const ATTRIBUTE_VALUE_MAX: usize = ddi_client::model::MAX_ATTRIBUTE_CHARS;
/// Attributes per target (`maxAttributeEntriesPerTarget`).
pub const ATTRIBUTES_PER_TARGET_MAX: usize = 100;
/// Metadata key limit.
pub const METADATA_KEY_MAX: usize = 128;
/// Metadata value limit.
pub const METADATA_VALUE_MAX: usize = 4000;
/// Metadata entries per target.
pub const METADATA_PER_TARGET_MAX: usize = 100;
/// Name limit of named entities (targets, tags).
pub const NAME_MAX: usize = 128;
/// Target filter query limit.
pub const TARGET_FILTER_QUERY_MAX: usize = 1024;

/// Length as hawkBit (Java) counts it: UTF-16 code units.
pub fn java_len(s: &str) -> usize {
    s.encode_utf16().count()
}

pub use ddi_client::model::is_attribute_text;

/// A metadata entry `{key, value}` (key ≤ [`METADATA_KEY_MAX`], value ≤
/// [`METADATA_VALUE_MAX`] characters): the Management API's and DDI's
/// metadata have one shape, declared once in `ddi-client`.
pub type MetadataEntry = ddi_client::model::Metadata;

/// A target tag (also the shape of distribution set tags).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tag {
    /// Server id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// Name (1–128).
    pub name: String,
    /// Description (≤ 512).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Colour (≤ 16).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colour: Option<String>,
    /// Audit: creator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// Audit: epoch ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
    /// Audit: last modifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified_by: Option<String>,
    /// Audit: epoch ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified_at: Option<i64>,
    /// HAL links, opaque.
    #[serde(default, rename = "_links", skip_serializing_if = "Option::is_none")]
    pub links: Option<Map<String, Value>>,
}

/// `pollStatus` of a target.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PollStatus {
    /// Epoch ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_request_at: Option<i64>,
    /// Epoch ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_expected_request_at: Option<i64>,
    /// Overdue.
    #[serde(default)]
    pub overdue: bool,
}

/// A Management API target.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    /// Controller id.
    pub controller_id: String,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// e.g. `in_sync`, `pending`, `error`, `registered`, `unknown`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_status: Option<String>,
    /// Epoch ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_controller_request_at: Option<i64>,
    /// Epoch ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub installed_at: Option<i64>,
    /// Last IP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    /// Address URI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Poll status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll_status: Option<PollStatus>,
    /// Security token (only with READ_TARGET_SECURITY_TOKEN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_token: Option<crate::iothub::secret::Secret>,
    /// Ask the device to resend attributes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_attributes: Option<bool>,
    /// Target type id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_type: Option<i64>,
    /// Target type name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_type_name: Option<String>,
    /// Auto-confirm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_confirm_active: Option<bool>,
    /// Group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Audit: creator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// Audit: epoch ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
    /// Audit: last modifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified_by: Option<String>,
    /// Audit: epoch ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified_at: Option<i64>,
    /// HAL links, opaque.
    #[serde(default, rename = "_links", skip_serializing_if = "Option::is_none")]
    pub links: Option<Map<String, Value>>,
}

/// A software module as the mappings need it (Management API shape,
/// reduced to what a mapping can fill).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SoftwareModule {
    /// Name (1–128).
    pub name: String,
    /// Version (1–128).
    pub version: String,
    /// Software module type key.
    #[serde(rename = "type")]
    pub module_type: String,
    /// Vendor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Metadata entries (kept in key order).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metadata: Vec<MetadataEntry>,
}
