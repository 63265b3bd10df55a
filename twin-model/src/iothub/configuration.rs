//! Automatic device management configurations and Edge deployments.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::etag::ETag;
use crate::timestamp::Timestamp;

/// `content` of a configuration.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigurationContent {
    /// `{"properties.desired.<path>": json}`; `null` removes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_content: Option<Map<String, Value>>,
    /// Edge deployments: `{moduleId: {"properties.desired[.<path>]": json}}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modules_content: Option<Map<String, Value>>,
    /// Module configurations (target `FROM devices.modules`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module_content: Option<Map<String, Value>>,
}

/// `metrics` / `systemMetrics`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ConfigurationMetrics {
    /// Metric name to `SELECT deviceId FROM devices WHERE ...`.
    #[serde(default)]
    pub queries: BTreeMap<String, String>,
    /// Metric name to device count.
    #[serde(default)]
    pub results: BTreeMap<String, i64>,
}

/// An automatic device management configuration (`/configurations/{id}`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Configuration {
    /// Up to 128 lowercase characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `1.0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_version: Option<String>,
    /// Informational labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    /// What to apply.
    #[serde(default)]
    pub content: ConfigurationContent,
    /// Query condition selecting devices, or `*`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_condition: Option<String>,
    /// Higher wins; ties go to the newest creation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i64>,
    /// Creation time (service-set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_time_utc: Option<Timestamp>,
    /// Last update (service-set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_updated_time_utc: Option<Timestamp>,
    /// ETag (service-set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<ETag>,
    /// Custom metrics (up to 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<ConfigurationMetrics>,
    /// Metrics IoT Hub defines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_metrics: Option<ConfigurationMetrics>,
}

impl Configuration {
    /// Decodes a configuration from JSON bytes.
    pub fn from_json(bytes: &[u8]) -> Result<Self, crate::DecodeError> {
        crate::decode::from_slice("configuration", bytes)
    }
}
