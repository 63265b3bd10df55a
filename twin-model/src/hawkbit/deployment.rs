//! A deployment as the DDI `deploymentBase/{actionId}` resource describes
//! it, decoded leniently.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::hawkbit::target::MetadataEntry;
use crate::lenient_enum::lenient_enum;

lenient_enum! {
    /// `download` / `update` handling.
    pub enum HandlingType {
        /// Skip this step.
        Skip = "skip",
        /// Ask the user first.
        Attempt = "attempt",
        /// Do it now.
        Forced = "forced",
    }
}

lenient_enum! {
    /// `maintenanceWindow`.
    pub enum MaintenanceWindow {
        /// Installing is allowed now.
        Available = "available",
        /// Wait for the window.
        Unavailable = "unavailable",
    }
}

/// A HAL link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// Target URL.
    pub href: String,
}

/// `_links` of an artifact.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ArtifactLinks {
    /// HTTPS download.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub download: Option<Link>,
    /// HTTP download.
    #[serde(
        default,
        rename = "download-http",
        skip_serializing_if = "Option::is_none"
    )]
    pub download_http: Option<Link>,
    /// HTTPS `.MD5SUM`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub md5sum: Option<Link>,
    /// HTTP `.MD5SUM`.
    #[serde(
        default,
        rename = "md5sum-http",
        skip_serializing_if = "Option::is_none"
    )]
    pub md5sum_http: Option<Link>,
}

/// Artifact hashes (hex).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Hashes {
    /// SHA-1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha1: Option<String>,
    /// MD5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub md5: Option<String>,
    /// SHA-256.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// One artifact of a chunk.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Artifact {
    /// File name.
    pub filename: String,
    /// Hashes.
    #[serde(default)]
    pub hashes: Hashes,
    /// Size in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Download links.
    #[serde(default, rename = "_links", skip_serializing_if = "Option::is_none")]
    pub links: Option<ArtifactLinks>,
}

/// A chunk: one software module of the assigned distribution set.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Chunk {
    /// Software module type (`os`, `jvm`, `bApp`, ...).
    #[serde(default)]
    pub part: String,
    /// Module version.
    #[serde(default)]
    pub version: String,
    /// Module name.
    #[serde(default)]
    pub name: String,
    /// Artifacts.
    #[serde(default)]
    pub artifacts: Vec<Artifact>,
    /// Module metadata visible to the target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Vec<MetadataEntry>>,
}

/// `deployment`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deployment {
    /// Download handling.
    pub download: HandlingType,
    /// Update handling.
    pub update: HandlingType,
    /// Maintenance window state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maintenance_window: Option<MaintenanceWindow>,
    /// Chunks.
    #[serde(default)]
    pub chunks: Vec<Chunk>,
}

/// `actionHistory` (status is kept as text: test fixtures use non-enum values).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ActionHistory {
    /// Action status.
    #[serde(default)]
    pub status: String,
    /// Messages, newest first.
    #[serde(default)]
    pub messages: Vec<String>,
}

/// `GET .../deploymentBase/{actionId}` (unknown members ignored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentBase {
    /// Action id (a string on the wire; numbers accepted).
    #[serde(deserialize_with = "string_or_number")]
    pub id: String,
    /// The deployment.
    pub deployment: Deployment,
    /// Recent action history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_history: Option<ActionHistory>,
}

impl DeploymentBase {
    /// Decodes the resource from JSON bytes.
    pub fn from_json(bytes: &[u8]) -> Result<Self, crate::DecodeError> {
        crate::decode::from_slice("ddi deployment base", bytes)
    }
}

fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format_args!(
            "expected an action id string, found {}",
            crate::json_kind(&other)
        ))),
    }
}
