//! The consent flow: `confirmationBase`, confirmation feedback and
//! auto-confirm.

use serde::{Deserialize, Serialize};

use super::deployment::{ActionHistory, Deployment};
use super::id::ActionId;
use super::link::Link;
use super::open_enum::open_enum;

/// `GET …/confirmationBase`: the auto-confirm state and the action waiting
/// for consent, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmationBase {
    /// Whether the device confirms automatically.
    #[serde(rename = "autoConfirm")]
    pub auto_confirm: AutoConfirmState,
    /// The links.
    #[serde(
        rename = "_links",
        default,
        skip_serializing_if = "ConfirmationLinks::is_empty"
    )]
    pub links: ConfirmationLinks,
}

/// `autoConfirm`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoConfirmState {
    /// Whether auto-confirm is on.
    pub active: bool,
    /// Who turned it on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initiator: Option<String>,
    /// Why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    /// When, in ms since the Unix epoch.
    #[serde(
        rename = "activatedAt",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub activated_at: Option<i64>,
}

/// `_links` of `confirmationBase`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmationLinks {
    /// Present when auto-confirm is off.
    #[serde(
        rename = "activateAutoConfirm",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub activate_auto_confirm: Option<Link>,
    /// Present when auto-confirm is on.
    #[serde(
        rename = "deactivateAutoConfirm",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub deactivate_auto_confirm: Option<Link>,
    /// The action waiting for confirmation.
    #[serde(
        rename = "confirmationBase",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub confirmation_base: Option<Link>,
}

/// `GET …/confirmationBase/{actionId}`: the deployment awaiting consent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmationBaseAction {
    /// The action id.
    pub id: ActionId,
    /// What would be deployed.
    pub confirmation: Deployment,
    /// Earlier device messages, when asked for.
    #[serde(
        rename = "actionHistory",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub action_history: Option<ActionHistory>,
}

open_enum! {
    /// The device's answer to a confirmation request.
    pub enum Confirmation {
        /// Go ahead: the action becomes a normal deployment.
        Confirmed = "confirmed",
        /// Not now: the action keeps waiting.
        Denied = "denied",
    }
}

/// `POST …/confirmationBase/{actionId}/feedback`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmationFeedback {
    /// The answer.
    pub confirmation: Confirmation,
    /// A device status code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<i32>,
    /// Messages.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
}

/// `POST …/confirmationBase/activateAutoConfirm` (the body is optional).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivateAutoConfirm {
    /// Who turns it on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initiator: Option<String>,
    /// Why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
}

impl ConfirmationLinks {
    /// Whether no link is present.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}
