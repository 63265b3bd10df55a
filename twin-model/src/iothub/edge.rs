//! IoT Edge deployment manifests (`modulesContent` with `$edgeAgent` and `$edgeHub`).

use std::collections::BTreeMap;

use serde::de::Error as _;
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::iothub::secret::Secret;
use crate::open_enum::open_enum;

open_enum! {
    /// `status` of a module.
    pub enum ModuleStatus {
        /// Keep running.
        Running = "running",
        /// Keep stopped.
        Stopped = "stopped",
    }
}

open_enum! {
    /// `restartPolicy` (all four values accepted, as edgeAgent does).
    pub enum RestartPolicy {
        /// Never restart.
        Never = "never",
        /// Restart when it crashes.
        OnFailure = "on-failure",
        /// Restart when it crashes or reports unhealthy.
        OnUnhealthy = "on-unhealthy",
        /// Always restart.
        Always = "always",
    }
}

open_enum! {
    /// `imagePullPolicy`.
    pub enum ImagePullPolicy {
        /// Pull when the module is created.
        OnCreate = "on-create",
        /// Never pull.
        Never = "never",
    }
}

/// Docker create options: a *string* holding JSON on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CreateOptions(pub String);

impl CreateOptions {
    /// Serializes `options` compactly into the string form.
    pub fn from_json(options: &Value) -> Self {
        Self(options.to_string())
    }

    /// Parses the string; `""` is an empty object.
    pub fn parse(&self) -> Result<Value, crate::DecodeError> {
        if self.0.trim().is_empty() {
            return Ok(Value::Object(Map::new()));
        }
        crate::decode::from_slice("createOptions", self.0.as_bytes())
    }
}

/// `settings` of a module.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModuleSettings {
    /// Image URI.
    #[serde(default)]
    pub image: String,
    /// Docker create options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_options: Option<CreateOptions>,
}

/// An environment variable `{"value": ...}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct EnvValue {
    /// The value (usually a string).
    pub value: Value,
}

/// A module (system or user) of `$edgeAgent`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EdgeModule {
    /// User version string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Runtime type (`docker`).
    #[serde(default, rename = "type")]
    pub kind: String,
    /// Desired status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ModuleStatus>,
    /// Restart policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<RestartPolicy>,
    /// Start order, 0 first (schema 1.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub startup_order: Option<u32>,
    /// Pull policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_pull_policy: Option<ImagePullPolicy>,
    /// Environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<BTreeMap<String, EnvValue>>,
    /// Image and create options.
    #[serde(default)]
    pub settings: ModuleSettings,
}

/// Credentials of a private registry; `password` is a [`Secret`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RegistryCredential {
    /// User name.
    #[serde(default)]
    pub username: String,
    /// Password.
    #[serde(default)]
    pub password: Secret,
    /// Registry host.
    #[serde(default)]
    pub address: String,
}

/// `runtime.settings`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuntimeSettings {
    /// e.g. `v1.25`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_docker_version: Option<String>,
    /// Stringified JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logging_options: Option<String>,
    /// Private registries by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry_credentials: Option<BTreeMap<String, RegistryCredential>>,
}

/// `runtime`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Runtime {
    /// `docker`.
    #[serde(default, rename = "type")]
    pub kind: String,
    /// Settings.
    #[serde(default)]
    pub settings: RuntimeSettings,
}

/// `systemModules`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SystemModules {
    /// The agent itself.
    pub edge_agent: EdgeModule,
    /// The hub module.
    pub edge_hub: EdgeModule,
}

/// Desired properties of `$edgeAgent`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EdgeAgentDesired {
    /// `1.0` or `1.1`.
    pub schema_version: String,
    /// Container runtime.
    pub runtime: Runtime,
    /// edgeAgent and edgeHub.
    pub system_modules: SystemModules,
    /// User modules by id.
    #[serde(default)]
    pub modules: BTreeMap<String, EdgeModule>,
}

/// A route: a plain string (1.0) or an object (1.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum Route {
    /// `FROM <source> [WHERE <cond>] INTO <sink>`.
    Plain(String),
    /// Schema 1.1 form.
    Detailed {
        /// The route text.
        route: String,
        /// 0 highest .. 9 lowest.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        priority: Option<u8>,
        /// Message time to live.
        #[serde(
            default,
            rename = "timeToLiveSecs",
            skip_serializing_if = "Option::is_none"
        )]
        time_to_live_secs: Option<u64>,
    },
}

impl Route {
    /// The route text of either form.
    pub fn text(&self) -> &str {
        match self {
            Self::Plain(s) | Self::Detailed { route: s, .. } => s,
        }
    }
}

/// `storeAndForwardConfiguration`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreAndForwardConfiguration {
    /// How long messages are kept while offline.
    #[serde(default)]
    pub time_to_live_secs: u64,
}

/// Desired properties of `$edgeHub`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EdgeHubDesired {
    /// Schema version.
    pub schema_version: String,
    /// Routes by name.
    #[serde(default)]
    pub routes: BTreeMap<String, Route>,
    /// Store and forward.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_and_forward_configuration: Option<StoreAndForwardConfiguration>,
}

/// A deployment manifest: `{"modulesContent": {...}}`. The misspelt
/// `moduleContent` of preview docs is accepted on decode.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EdgeDeploymentManifest {
    /// `$edgeAgent` desired properties.
    pub edge_agent: EdgeAgentDesired,
    /// `$edgeHub` desired properties.
    pub edge_hub: EdgeHubDesired,
    /// Desired properties of other module twins, by module id.
    pub module_twins: BTreeMap<String, Map<String, Value>>,
}

const DESIRED: &str = "properties.desired";

impl EdgeDeploymentManifest {
    /// Decodes a manifest from JSON bytes.
    pub fn from_json(bytes: &[u8]) -> Result<Self, crate::DecodeError> {
        crate::decode::from_slice("edge deployment manifest", bytes)
    }

    /// Decodes the `modulesContent` object itself.
    pub fn from_modules_content(content: &Map<String, Value>) -> Result<Self, serde_json::Error> {
        let desired = |id: &str| -> Option<Value> { content.get(id)?.get(DESIRED).cloned() };
        let edge_agent =
            serde_json::from_value(desired("$edgeAgent").ok_or_else(|| {
                serde_json::Error::custom("missing $edgeAgent properties.desired")
            })?)?;
        let edge_hub =
            serde_json::from_value(desired("$edgeHub").ok_or_else(|| {
                serde_json::Error::custom("missing $edgeHub properties.desired")
            })?)?;
        let mut module_twins = BTreeMap::new();
        for (id, v) in content {
            if id == "$edgeAgent" || id == "$edgeHub" {
                continue;
            }
            match v.get(DESIRED) {
                Some(Value::Object(m)) => {
                    module_twins.insert(id.clone(), m.clone());
                }
                _ => {
                    return Err(serde_json::Error::custom(format_args!(
                        "module `{id}` has no properties.desired object"
                    )));
                }
            }
        }
        Ok(Self {
            edge_agent,
            edge_hub,
            module_twins,
        })
    }

    /// The `modulesContent` object.
    pub fn to_modules_content(&self) -> Result<Map<String, Value>, serde_json::Error> {
        let wrap = |v: Value| {
            let mut m = Map::new();
            m.insert(DESIRED.to_owned(), v);
            Value::Object(m)
        };
        let mut out = Map::new();
        out.insert(
            "$edgeAgent".to_owned(),
            wrap(serde_json::to_value(&self.edge_agent)?),
        );
        out.insert(
            "$edgeHub".to_owned(),
            wrap(serde_json::to_value(&self.edge_hub)?),
        );
        for (id, d) in &self.module_twins {
            out.insert(id.clone(), wrap(Value::Object(d.clone())));
        }
        Ok(out)
    }
}

impl Serialize for EdgeDeploymentManifest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let content = self
            .to_modules_content()
            .map_err(serde::ser::Error::custom)?;
        let mut m = s.serialize_map(Some(1))?;
        m.serialize_entry("modulesContent", &content)?;
        m.end()
    }
}

impl<'de> Deserialize<'de> for EdgeDeploymentManifest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let root = Map::<String, Value>::deserialize(d)?;
        let Some(Value::Object(content)) = root
            .get("modulesContent")
            .or_else(|| root.get("moduleContent"))
        else {
            return Err(D::Error::custom("missing modulesContent object"));
        };
        Self::from_modules_content(content).map_err(D::Error::custom)
    }
}
