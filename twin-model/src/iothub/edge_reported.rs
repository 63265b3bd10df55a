//! What `$edgeAgent` and `$edgeHub` report in their module twins.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::iothub::edge::{ModuleSettings, ModuleStatus, RestartPolicy};
use crate::open_enum::open_enum;
use crate::timestamp::Timestamp;

open_enum! {
    /// `runtimeStatus` of a module.
    pub enum RuntimeStatus {
        /// Running.
        Running = "running",
        /// Stopped.
        Stopped = "stopped",
        /// Exited with an error and will not be restarted.
        Failed = "failed",
        /// Waiting before the next restart.
        Backoff = "backoff",
        /// Running but reporting unhealthy.
        Unhealthy = "unhealthy",
        /// Not known yet.
        Unknown = "unknown",
    }
}

/// `lastDesiredStatus`: 200 ok, 400 invalid configuration, 412 unsupported
/// schema version, 417 empty desired properties, 500 failed.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DesiredStatus {
    /// Status code.
    pub code: u16,
    /// Explanation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// One module as `$edgeAgent` reports it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportedModule {
    /// Runtime status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_status: Option<RuntimeStatus>,
    /// Why (for failed or backoff).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_description: Option<String>,
    /// Last exit code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i64>,
    /// Start time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time_utc: Option<Timestamp>,
    /// Last exit time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_exit_time_utc: Option<Timestamp>,
    /// Last restart time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_restart_time_utc: Option<Timestamp>,
    /// Restarts so far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_count: Option<u64>,
    /// Applied version (copy of the desired value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Runtime type.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Applied desired status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ModuleStatus>,
    /// Applied restart policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<RestartPolicy>,
    /// Applied image and create options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<ModuleSettings>,
}

/// `runtime.platform`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Platform {
    /// Operating system.
    #[serde(
        default,
        rename = "OS",
        alias = "os",
        skip_serializing_if = "Option::is_none"
    )]
    pub os: Option<String>,
    /// CPU architecture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub architecture: Option<String>,
}

/// `runtime` in reported properties.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReportedRuntime {
    /// Platform.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
}

/// Reported properties of `$edgeAgent` (unknown members ignored).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EdgeAgentReported {
    /// Schema version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_version: Option<String>,
    /// Desired `$version` last processed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_desired_version: Option<i64>,
    /// Outcome of the last desired properties.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_desired_status: Option<DesiredStatus>,
    /// `healthy` or `unhealthy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_health: Option<String>,
    /// Health per deployment id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration_health: Option<Map<String, Value>>,
    /// Platform.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<ReportedRuntime>,
    /// `edgeAgent` and `edgeHub`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_modules: Option<BTreeMap<String, ReportedModule>>,
    /// User modules by id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modules: Option<BTreeMap<String, ReportedModule>>,
}

/// A client as `$edgeHub` reports it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EdgeHubClient {
    /// `Connected` / `Disconnected`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<crate::iothub::status::ConnectionState>,
    /// Last connect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_connect_time: Option<Timestamp>,
    /// Last disconnect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_disconnect_time: Option<Timestamp>,
}

/// Reported properties of `$edgeHub`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EdgeHubReported {
    /// Schema version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_version: Option<String>,
    /// Desired `$version` last processed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_desired_version: Option<i64>,
    /// Outcome of the last desired properties.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_desired_status: Option<DesiredStatus>,
    /// Connected clients by id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clients: Option<BTreeMap<String, EdgeHubClient>>,
}

impl EdgeAgentReported {
    /// Reads the typed view from a `$edgeAgent` twin's reported values.
    pub fn from_reported(reported: &Map<String, Value>) -> Result<Self, serde_json::Error> {
        Self::deserialize(Value::Object(reported.clone()))
    }

    /// True when the last desired properties were applied (code 200) and
    /// every user module runs.
    pub fn is_converged(&self) -> bool {
        self.last_desired_status
            .as_ref()
            .is_some_and(|s| s.code == 200)
            && self
                .modules
                .iter()
                .flatten()
                .all(|(_, m)| m.runtime_status == Some(RuntimeStatus::Running))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_documented_reported_shape() {
        let reported = json!({
            "schemaVersion": "1.1", "lastDesiredVersion": 4,
            "lastDesiredStatus": {"code": 200, "description": ""},
            "runtime": {"platform": {"OS": "linux", "architecture": "x86_64"}},
            "systemModules": {"edgeHub": {"runtimeStatus": "running", "restartCount": 0, "type": "docker"}},
            "modules": {"filtermodule": {"runtimeStatus": "Running", "version": "1.0", "exitCode": 0,
                "startTimeUtc": "2023-01-17T17:56:24.1626056Z", "restartPolicy": "always",
                "settings": {"image": "myacr.azurecr.io/filtermodule:latest", "createOptions": "{}"}}}
        });
        let r = EdgeAgentReported::from_reported(reported.as_object().unwrap()).unwrap();
        assert!(r.is_converged());
        assert_eq!(
            r.runtime
                .as_ref()
                .unwrap()
                .platform
                .as_ref()
                .unwrap()
                .os
                .as_deref(),
            Some("linux")
        );
        let m = &r.modules.as_ref().unwrap()["filtermodule"];
        assert_eq!(
            m.settings.as_ref().unwrap().image,
            "myacr.azurecr.io/filtermodule:latest"
        );
        let out = serde_json::to_value(&r).unwrap();
        assert_eq!(out["runtime"]["platform"]["OS"], "linux");
        let back: EdgeAgentReported = serde_json::from_value(out).unwrap();
        assert_eq!(back, r);
    }
}
