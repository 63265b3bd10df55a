//! Commands and owner consent.

use serde::{Deserialize, Serialize};

use super::nullable::{is_empty_str, null_default};
use super::status::{CommandKind, ConsentStatus};

/// The payload of `…/desiredstate/command`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Command {
    /// The command; `None` when the sender left it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<CommandKind>,
    /// A baseline title, or empty for the whole domain (Kanto's manager never sets it).
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "is_empty_str"
    )]
    pub baseline: String,
}

impl Command {
    /// A whole-domain command, as Kanto's manager sends it.
    pub fn new(kind: CommandKind) -> Self {
        Self {
            command: Some(kind),
            baseline: String::new(),
        }
    }

    /// Whether the command covers every action (`""` or `"*"`).
    pub fn is_whole_domain(&self) -> bool {
        self.baseline.is_empty() || self.baseline == "*"
    }
}

/// The payload of `…/ownerconsent`: asks the owner to allow a command.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerConsent {
    /// The command waiting for approval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<CommandKind>,
}

/// The payload of `…/ownerconsentfeedback`: the owner's answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerConsentFeedback {
    /// `APPROVED` or `DENIED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ConsentStatus>,
}

impl OwnerConsentFeedback {
    /// Whether the owner approved.
    pub fn is_approved(&self) -> bool {
        self.status == Some(ConsentStatus::Approved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_field_order_and_baseline() {
        let c = Command::new(CommandKind::Download);
        assert_eq!(
            serde_json::to_string(&c).unwrap(),
            r#"{"command":"DOWNLOAD"}"#
        );
        let leda: Command = serde_json::from_str(r#"{"baseline":"B","command":"UPDATE"}"#).unwrap();
        assert_eq!(
            serde_json::to_string(&leda).unwrap(),
            r#"{"command":"UPDATE","baseline":"B"}"#
        );
        assert!(!leda.is_whole_domain());
        assert!(
            Command {
                command: None,
                baseline: "*".into()
            }
            .is_whole_domain()
        );
    }
}
