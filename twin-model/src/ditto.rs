//! A minimal Eclipse Ditto (and Kanto) thing model and protocol envelope.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A feature: `properties` (≈ reported) and `desiredProperties` (≈ desired).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Feature {
    /// Definition ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition: Option<Vec<String>>,
    /// Current state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<Map<String, Value>>,
    /// Desired state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired_properties: Option<Map<String, Value>>,
}

/// A thing: `attributes` (≈ tags) and features.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Thing {
    /// `namespace:name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thing_id: Option<String>,
    /// Policy id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_id: Option<String>,
    /// Definition `namespace:name:version`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition: Option<String>,
    /// Static metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Map<String, Value>>,
    /// Features by id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub features: Option<BTreeMap<String, Feature>>,
    /// Server revision (field selector `_revision`).
    #[serde(default, rename = "_revision", skip_serializing_if = "Option::is_none")]
    pub revision: Option<i64>,
    /// Creation time (`_created`).
    #[serde(default, rename = "_created", skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Modification time (`_modified`).
    #[serde(default, rename = "_modified", skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
}

/// A Ditto protocol message `{topic, headers, path, value}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ProtocolMessage {
    /// `{namespace}/{name}/things/{channel}/{criterion}/{action}`.
    pub topic: String,
    /// Headers (`correlation-id`, ...).
    #[serde(default)]
    pub headers: Map<String, Value>,
    /// JSON pointer into the thing (`/`, `/features/x/properties`).
    pub path: String,
    /// Payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    /// Status of responses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
}

/// A parsed protocol topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DittoTopic {
    /// Namespace.
    pub namespace: String,
    /// Thing name.
    pub name: String,
    /// `twin` or `live`.
    pub channel: String,
    /// `commands`, `events`, `messages`, ...
    pub criterion: String,
    /// `modify`, `create`, `delete`, `retrieve`, ...
    pub action: String,
}

impl DittoTopic {
    /// Parses a `things` topic; `None` for other groups or shapes.
    pub fn parse(topic: &str) -> Option<Self> {
        let mut parts = topic.split('/');
        let namespace = parts.next()?.to_owned();
        let name = parts.next()?.to_owned();
        if parts.next()? != "things" {
            return None;
        }
        let channel = parts.next()?.to_owned();
        let criterion = parts.next()?.to_owned();
        let action = parts.next()?.to_owned();
        if parts.next().is_some() {
            return None;
        }
        Some(Self {
            namespace,
            name,
            channel,
            criterion,
            action,
        })
    }

    /// The thing id `namespace:name`.
    pub fn thing_id(&self) -> String {
        format!("{}:{}", self.namespace, self.name)
    }
}

impl ProtocolMessage {
    /// Decodes a message from JSON bytes.
    pub fn from_json(bytes: &[u8]) -> Result<Self, crate::DecodeError> {
        crate::decode::from_slice("ditto protocol message", bytes)
    }

    /// The parsed topic.
    pub fn parsed_topic(&self) -> Option<DittoTopic> {
        DittoTopic::parse(&self.topic)
    }
}
