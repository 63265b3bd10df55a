//! The root poll document (`GET /{tenant}/controller/v1/{controllerId}`).

use serde::{Deserialize, Serialize};

use super::link::Link;

/// What the server has for the device: its suggested polling interval and
/// links to the action (if any) and to the other resources.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControllerBase {
    /// Server-side configuration for this device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<ControllerConfig>,
    /// The links; see [`ControllerLinks`].
    #[serde(
        rename = "_links",
        default,
        skip_serializing_if = "ControllerLinks::is_empty"
    )]
    pub links: ControllerLinks,
}

/// `config` in the root document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControllerConfig {
    /// The polling configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub polling: Option<Polling>,
}

/// `config.polling` in the root document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Polling {
    /// The suggested time until the next poll, as sent: `HH:mm:ss`, bare
    /// seconds or an ISO-8601 duration. Parse it with
    /// [`PollingBounds::interval`](crate::model::PollingBounds::interval).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sleep: Option<String>,
}

/// `_links` of the root document.
///
/// At most one of `deployment_base`, `confirmation_base` and `cancel_action`
/// is present: the server exposes only its highest-priority open action.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControllerLinks {
    /// The deployment to download and install.
    #[serde(
        rename = "deploymentBase",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub deployment_base: Option<Link>,
    /// An action waiting for the device's consent.
    #[serde(
        rename = "confirmationBase",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub confirmation_base: Option<Link>,
    /// An action the server wants cancelled.
    #[serde(
        rename = "cancelAction",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub cancel_action: Option<Link>,
    /// The last successfully finished action.
    #[serde(
        rename = "installedBase",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub installed_base: Option<Link>,
    /// The server asks for the device's attributes.
    #[serde(
        rename = "configData",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub config_data: Option<Link>,
}

impl ControllerBase {
    /// The raw `sleep` value, if the server sent one.
    pub fn sleep(&self) -> Option<&str> {
        self.config.as_ref()?.polling.as_ref()?.sleep.as_deref()
    }
}

impl ControllerLinks {
    /// Whether no link is present.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}
