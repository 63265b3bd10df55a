//! Management API targets, tags, metadata and DDI config data.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::lenient_enum::lenient_enum;

/// Attribute key limit (characters).
pub const ATTRIBUTE_KEY_MAX: usize = 128;
/// Attribute value limit (characters).
pub const ATTRIBUTE_VALUE_MAX: usize = 128;
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

/// Whether hawkBit's DDI `configData` accepts `s` as an attribute key or
/// value character-wise: ASCII letters, digits, whitespace and
/// `_-!@#$%^&*()+=[]{}|;:'",.<>/\?`; anything else (all non-ASCII) is a
/// `400 invalidTargetAttributes`.
pub fn is_attribute_text(s: &str) -> bool {
    s.chars().all(|c| {
        c.is_ascii_alphanumeric()
            || c.is_ascii_whitespace()
            || "_-!@#$%^&*()+=[]{}|;:'\",.<>/\\?".contains(c)
    })
}

lenient_enum! {
    /// `mode` of a config data upload.
    pub enum ConfigDataMode {
        /// Merge into existing attributes (default).
        Merge = "merge",
        /// Replace all attributes.
        Replace = "replace",
        /// Remove the given keys.
        Remove = "remove",
    }
}

/// DDI `PUT .../configData` body: how a device writes target attributes.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ConfigData {
    /// Merge, replace or remove.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<ConfigDataMode>,
    /// String attributes.
    pub data: BTreeMap<String, String>,
}

/// A metadata entry `{key, value}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetadataEntry {
    /// ≤ 128 characters.
    pub key: String,
    /// ≤ 4000 characters.
    pub value: String,
}

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
