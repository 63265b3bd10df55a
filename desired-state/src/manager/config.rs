//! Update manager settings, readable from Kanto's own config file.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use super::go_duration;
use crate::model::{CommandKind, DecodeError};

/// Per-domain settings (Kanto's `agents.<domain>`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AgentSettings {
    /// Reboot after a COMPLETED activity that changed this domain. Default false.
    pub reboot_required: bool,
    /// How long to wait for this agent's answer to `currentstate/get`. Default 1m.
    pub read_timeout: Duration,
}

impl Default for AgentSettings {
    fn default() -> Self {
        Self {
            reboot_required: false,
            read_timeout: Duration::from_secs(60),
        }
    }
}

/// Update manager settings. Defaults follow Kanto's.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ManagerConfig {
    /// The manager's own domain, giving the northbound prefix. Default `device`.
    pub domain: String,
    /// The agent domains this manager orchestrates. Default: `containers`.
    pub agents: BTreeMap<String, AgentSettings>,
    /// Kanto's `thingsEnabled` (default true); the MQTT binding's mode choice.
    pub things_enabled: bool,
    /// Whether a reboot may be requested. Default true.
    pub reboot_enabled: bool,
    /// Delay before the reboot. Default 30s.
    pub reboot_after: Duration,
    /// Minimum interval between RUNNING reports after the first. Default 1m.
    pub report_feedback_interval: Duration,
    /// Debounce of current-state reports the agents send on their own. Default 30s.
    pub current_state_delay: Duration,
    /// Bound of every wait for the domains. Default 10m.
    pub phase_timeout: Duration,
    /// Commands that need the owner's consent first. Default none.
    pub owner_consent_commands: Vec<CommandKind>,
    /// How long to wait for the owner. Default 30m.
    pub owner_consent_timeout: Duration,
    /// Opt-in: when one domain fails, roll back the domains that succeeded so
    /// far instead of letting them finish (Kanto never does this). Default false.
    pub rollback_on_failure: bool,
    /// Report ACTIVATING/ACTIVATION_* actions to the cloud as UPDATING/UPDATE_*,
    /// as Kanto does. Default true.
    pub kanto_action_status_rewrite: bool,
    /// Desired states with more components are refused. Default 100 000.
    pub max_components: usize,
    /// Version of the manager's own inventory node.
    pub version: String,
}

impl Default for ManagerConfig {
    fn default() -> Self {
        let mut agents = BTreeMap::new();
        agents.insert("containers".to_owned(), AgentSettings::default());
        Self {
            domain: "device".to_owned(),
            agents,
            things_enabled: true,
            reboot_enabled: true,
            reboot_after: Duration::from_secs(30),
            report_feedback_interval: Duration::from_secs(60),
            current_state_delay: Duration::from_secs(30),
            phase_timeout: Duration::from_secs(600),
            owner_consent_commands: Vec::new(),
            owner_consent_timeout: Duration::from_secs(1800),
            rollback_on_failure: false,
            kanto_action_status_rewrite: true,
            max_components: 100_000,
            version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }
}

impl ManagerConfig {
    /// Settings for `domains`, each with default agent settings.
    pub fn with_agents<'a>(domains: impl IntoIterator<Item = &'a str>) -> Self {
        Self {
            agents: domains
                .into_iter()
                .map(|d| (d.to_owned(), AgentSettings::default()))
                .collect(),
            ..Self::default()
        }
    }

    /// Reads Kanto's update-manager config file (`-config-file`); keys it
    /// leaves out keep their defaults. `connection` and `log` are not used here.
    pub fn from_kanto_json(bytes: &[u8]) -> Result<Self, ConfigError> {
        let file: KantoFile = crate::model::decode(bytes, "config").map_err(ConfigError::Decode)?;
        let mut cfg = Self::default();
        if let Some(d) = file.domain {
            cfg.domain = d;
        }
        if let Some(agents) = file.agents {
            cfg.agents = agents
                .into_iter()
                .map(|(k, a)| {
                    let mut s = AgentSettings::default();
                    if let Some(r) = a.reboot_required {
                        s.reboot_required = r;
                    }
                    if let Some(t) = a.read_timeout {
                        s.read_timeout = duration("readTimeout", &t)?;
                    }
                    Ok((k, s))
                })
                .collect::<Result<_, ConfigError>>()?;
        }
        if let Some(v) = file.things_enabled {
            cfg.things_enabled = v;
        }
        if let Some(v) = file.reboot_enabled {
            cfg.reboot_enabled = v;
        }
        for (key, value, target) in [
            ("rebootAfter", file.reboot_after, &mut cfg.reboot_after),
            (
                "reportFeedbackInterval",
                file.report_feedback_interval,
                &mut cfg.report_feedback_interval,
            ),
            (
                "currentStateDelay",
                file.current_state_delay,
                &mut cfg.current_state_delay,
            ),
            ("phaseTimeout", file.phase_timeout, &mut cfg.phase_timeout),
            (
                "ownerConsentTimeout",
                file.owner_consent_timeout,
                &mut cfg.owner_consent_timeout,
            ),
        ] {
            if let Some(v) = value {
                *target = duration(key, &v)?;
            }
        }
        if let Some(cmds) = file.owner_consent_commands {
            cfg.owner_consent_commands = cmds
                .iter()
                .map(|c| CommandKind::from(c.to_ascii_uppercase()))
                .collect();
        }
        Ok(cfg)
    }
}

fn duration(key: &'static str, value: &str) -> Result<Duration, ConfigError> {
    go_duration::parse(value).ok_or_else(|| ConfigError::Duration {
        key,
        value: value.to_owned(),
    })
}

/// A config file that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Not JSON of the expected shape.
    #[error("invalid config file")]
    Decode(#[source] DecodeError),
    /// A duration that is not a Go duration string.
    #[error("{key} is not a duration: {value:?}")]
    Duration {
        /// The key.
        key: &'static str,
        /// The text found.
        value: String,
    },
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct KantoFile {
    domain: Option<String>,
    agents: Option<BTreeMap<String, KantoAgent>>,
    things_enabled: Option<bool>,
    reboot_enabled: Option<bool>,
    reboot_after: Option<String>,
    report_feedback_interval: Option<String>,
    current_state_delay: Option<String>,
    phase_timeout: Option<String>,
    owner_consent_commands: Option<Vec<String>>,
    owner_consent_timeout: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct KantoAgent {
    reboot_required: Option<bool>,
    read_timeout: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kanto_file_overrides_defaults() {
        let cfg = ManagerConfig::from_kanto_json(
            br#"{"domain":"vehicle","phaseTimeout":"2m","ownerConsentCommands":["download","Update"],
                "agents":{"self-update":{"rebootRequired":true,"readTimeout":"20s"}}}"#,
        )
        .unwrap();
        assert_eq!(cfg.domain, "vehicle");
        assert_eq!(cfg.phase_timeout, Duration::from_secs(120));
        assert_eq!(
            cfg.owner_consent_commands,
            [CommandKind::Download, CommandKind::Update]
        );
        let su = &cfg.agents["self-update"];
        assert!(su.reboot_required);
        assert_eq!(su.read_timeout, Duration::from_secs(20));
        assert_eq!(cfg.report_feedback_interval, Duration::from_secs(60));
        assert!(matches!(
            ManagerConfig::from_kanto_json(br#"{"phaseTimeout":"soon"}"#),
            Err(ConfigError::Duration {
                key: "phaseTimeout",
                ..
            })
        ));
    }
}
