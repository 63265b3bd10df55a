//! Deployment documents: `deploymentBase`, `installedBase` and the payload of
//! `confirmationBase/{actionId}`.

use serde::{Deserialize, Serialize};

use super::artifact::Artifact;
use super::id::ActionId;
use super::open_enum::open_enum;

open_enum! {
    /// How the server wants the download or the update handled.
    pub enum Handling {
        /// Do not do it yet.
        Skip = "skip",
        /// The server asks; the device may defer (soft action).
        Attempt = "attempt",
        /// Do it now (forced action).
        Forced = "forced",
    }
}

open_enum! {
    /// Whether the maintenance window is open.
    pub enum MaintenanceWindow {
        /// The window is open: the update may be installed.
        Available = "available",
        /// The window is closed: download only, install later.
        Unavailable = "unavailable",
    }
}

open_enum! {
    /// The server-side action status in `actionHistory` (an open set).
    pub enum ActionStatus {
        /// Finished successfully.
        Finished = "FINISHED",
        /// Finished with an error.
        Error = "ERROR",
        /// A warning was reported.
        Warning = "WARNING",
        /// Running.
        Running = "RUNNING",
        /// Cancelled.
        Canceled = "CANCELED",
        /// Being cancelled.
        Canceling = "CANCELING",
        /// Retrieved by the device.
        Retrieved = "RETRIEVED",
        /// Downloading.
        Download = "DOWNLOAD",
        /// Scheduled.
        Scheduled = "SCHEDULED",
        /// The device rejected the cancellation.
        CancelRejected = "CANCEL_REJECTED",
        /// Downloaded.
        Downloaded = "DOWNLOADED",
        /// Waiting for the device's confirmation.
        WaitForConfirmation = "WAIT_FOR_CONFIRMATION",
    }
}

/// `GET …/deploymentBase/{actionId}` and `GET …/installedBase/{actionId}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentBase {
    /// The action id.
    pub id: ActionId,
    /// What to download and install, and how.
    pub deployment: Deployment,
    /// Earlier device messages, when asked for with `actionHistory`.
    #[serde(
        rename = "actionHistory",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub action_history: Option<ActionHistory>,
}

/// `DdiDeployment`: handling, maintenance window and chunks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deployment {
    /// Download handling; absent means the server did not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub download: Option<Handling>,
    /// Update (install) handling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update: Option<Handling>,
    /// The maintenance window state; absent means there is no schedule.
    #[serde(
        rename = "maintenanceWindow",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub maintenance_window: Option<MaintenanceWindow>,
    /// The software modules.
    #[serde(default)]
    pub chunks: Vec<Chunk>,
}

/// One software module of a deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chunk {
    /// The software-module type key (`os`, `bApp`, `jvm`, …).
    pub part: String,
    /// The module version.
    pub version: String,
    /// The module name.
    pub name: String,
    /// Present (and `true`) when the module's artifacts are encrypted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted: Option<bool>,
    /// The files.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub artifacts: Vec<Artifact>,
    /// Module metadata the operator marked visible to targets.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metadata: Vec<Metadata>,
}

/// A metadata entry of a chunk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    /// The key.
    pub key: String,
    /// The value.
    pub value: String,
}

/// `actionHistory`: the server status and the device's earlier messages,
/// newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionHistory {
    /// The server-side action status.
    pub status: ActionStatus,
    /// Earlier feedback messages, newest first.
    #[serde(default)]
    pub messages: Vec<String>,
}

impl DeploymentBase {
    /// A deployment base without action history.
    pub fn new(id: impl Into<ActionId>, deployment: Deployment) -> Self {
        Self {
            id: id.into(),
            deployment,
            action_history: None,
        }
    }
}

impl Chunk {
    /// A chunk of software module `name` `version` of type `part`, not
    /// encrypted, without artifacts or metadata yet.
    pub fn new(
        part: impl Into<String>,
        name: impl Into<String>,
        version: impl Into<String>,
    ) -> Self {
        Self {
            part: part.into(),
            version: version.into(),
            name: name.into(),
            encrypted: None,
            artifacts: Vec::new(),
            metadata: Vec::new(),
        }
    }
}

impl Deployment {
    /// Whether the server asks for download only (download-only actions, or
    /// a closed maintenance window).
    pub fn is_download_only(&self) -> bool {
        matches!(self.update, Some(Handling::Skip))
            || matches!(
                self.maintenance_window,
                Some(MaintenanceWindow::Unavailable)
            )
    }

    /// The sum of the declared artifact sizes.
    pub fn total_size(&self) -> u64 {
        self.chunks
            .iter()
            .flat_map(|c| &c.artifacts)
            .filter_map(|a| a.size)
            .fold(0u64, u64::saturating_add)
    }
}
