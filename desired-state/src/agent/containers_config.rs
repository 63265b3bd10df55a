//! container-management's update-agent settings (the `containers` domain).

use serde::{Deserialize, Serialize};

use crate::model::DecodeError;

/// The parts of container-management's daemon config that concern its update
/// agent: `update_agent` and `connection`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainersAgentConfig {
    /// The `update_agent` section.
    #[serde(default)]
    pub update_agent: UpdateAgentSection,
    /// The `connection` section.
    #[serde(default)]
    pub connection: ConnectionSection,
}

/// container-management's `update_agent` section.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateAgentSection {
    /// Whether the agent runs.
    #[serde(default)]
    pub enable: bool,
    /// The domain, default `containers`.
    #[serde(default)]
    pub domain: String,
    /// Containers the agent never touches.
    #[serde(default)]
    pub system_containers: Vec<String>,
    /// Report every container parameter, not only non-defaults.
    #[serde(default)]
    pub verbose_inventory: bool,
}

/// container-management's `connection` section (Go duration strings).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionSection {
    /// `tcp://host:port`.
    #[serde(default)]
    pub broker_url: String,
    /// Keep-alive.
    #[serde(default)]
    pub keep_alive: String,
    /// Disconnect timeout.
    #[serde(default)]
    pub disconnect_timeout: String,
    /// User name.
    #[serde(default)]
    pub client_username: String,
    /// Password (never logged).
    #[serde(default)]
    pub client_password: String,
    /// Connect timeout.
    #[serde(default)]
    pub connect_timeout: String,
    /// Acknowledge timeout.
    #[serde(default)]
    pub acknowledge_timeout: String,
    /// Subscribe timeout.
    #[serde(default)]
    pub subscribe_timeout: String,
    /// Unsubscribe timeout.
    #[serde(default)]
    pub unsubscribe_timeout: String,
}

impl std::fmt::Debug for ConnectionSection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The password never goes into logs.
        f.debug_struct("ConnectionSection")
            .field("broker_url", &self.broker_url)
            .field("keep_alive", &self.keep_alive)
            .field("client_username", &self.client_username)
            .field("connect_timeout", &self.connect_timeout)
            .finish_non_exhaustive()
    }
}

impl ContainersAgentConfig {
    /// Decodes the JSON config.
    pub fn from_json(bytes: &[u8]) -> Result<Self, DecodeError> {
        crate::model::decode(bytes, "ContainersAgentConfig")
    }
}
