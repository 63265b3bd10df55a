//! Current-state inventory: a graph of hardware and software nodes.

use serde::{Deserialize, Serialize};

use super::config::Config;
use super::nullable::{is_empty_str, is_zero, null_default};
use super::status::SoftwareType;

/// The payload of `…/currentstate`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    /// Devices and boards.
    #[serde(
        rename = "hardwareNodes",
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub hardware_nodes: Vec<HardwareNode>,
    /// Applications, images, containers; agent root nodes have type
    /// `APPLICATION` and a `domain` parameter.
    #[serde(
        rename = "softwareNodes",
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub software_nodes: Vec<SoftwareNode>,
    /// Edges of the graph.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub associations: Vec<Association>,
}

/// A hardware node.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HardwareNode {
    /// Id.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "is_empty_str"
    )]
    pub id: String,
    /// Version or revision.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "is_empty_str"
    )]
    pub version: String,
    /// Display name.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "is_empty_str"
    )]
    pub name: String,
    /// Parameters, keys may repeat.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Config::is_empty"
    )]
    pub parameters: Config,
    /// Whether the node can be addressed directly.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "is_zero"
    )]
    pub addressable: bool,
}

/// A software node.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SoftwareNode {
    /// Id; domain components use `domain:name`.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "is_empty_str"
    )]
    pub id: String,
    /// Version.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "is_empty_str"
    )]
    pub version: String,
    /// Display name.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "is_empty_str"
    )]
    pub name: String,
    /// Parameters, keys may repeat.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Config::is_empty"
    )]
    pub parameters: Config,
    /// Node type.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<SoftwareType>,
}

/// A directed edge from one node to another.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Association {
    /// Source node id.
    #[serde(
        rename = "sourceId",
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "is_empty_str"
    )]
    pub source_id: String,
    /// Target node id.
    #[serde(
        rename = "targetId",
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "is_empty_str"
    )]
    pub target_id: String,
}

impl Association {
    /// An edge.
    pub fn new(source: impl Into<String>, target: impl Into<String>) -> Self {
        Self {
            source_id: source.into(),
            target_id: target.into(),
        }
    }
}

impl SoftwareNode {
    /// An agent's root node: type `APPLICATION` with parameter `domain=<domain>`.
    pub fn agent_root(
        id: impl Into<String>,
        name: impl Into<String>,
        version: impl Into<String>,
        domain: &str,
    ) -> Self {
        Self {
            id: id.into(),
            version: version.into(),
            name: name.into(),
            parameters: Config::new().with("domain", domain),
            kind: Some(SoftwareType::Application),
        }
    }
}

impl Inventory {
    /// The node Kanto's manager treats as `domain`'s root: the APPLICATION node
    /// whose `domain` parameter matches, otherwise the first software node.
    pub fn domain_root(&self, domain: &str) -> Option<&SoftwareNode> {
        self.software_nodes
            .iter()
            .find(|n| {
                n.kind == Some(SoftwareType::Application)
                    && n.parameters.get("domain") == Some(domain)
            })
            .or_else(|| self.software_nodes.first())
    }
}
