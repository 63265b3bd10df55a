//! hawkBit deployments through twins: a DDI deployment becomes a desired
//! properties patch, and the device's reported progress becomes DDI
//! feedback. This lets hawkBit orchestrate updates of IoT Hub devices.
//!
//! # Desired layout (property [`DEPLOYMENT_PROPERTY`])
//!
//! ```json
//! {"hawkbitDeployment": {
//!   "actionId": "8", "download": "forced", "update": "forced",
//!   "maintenanceWindow": "available",
//!   "chunks": [{"part": "os", "name": "one Firmware", "version": "1.0.79",
//!     "metadata": [{"key": "k", "value": "v"}],
//!     "artifacts": [{"filename": "binary.tgz", "size": 13,
//!       "hashes": {"sha1": "…", "md5": "…", "sha256": "…"},
//!       "links": {"download": "https://…", "downloadHttp": "http://…",
//!                 "md5sum": "https://…", "md5sumHttp": "http://…"}}]}]}}
//! ```
//!
//! Chunks and artifacts are arrays because file names contain `.`, which
//! twin keys may not. Every top-level member is always written (`null`
//! when absent) so one merge patch replaces any earlier deployment
//! exactly. `actionHistory` is server history and is not carried.
//!
//! # Reported layout
//!
//! ```json
//! {"hawkbitDeployment": {"actionId": "8", "state": "downloading",
//!   "progress": {"cnt": 2, "of": 5}, "code": 12, "details": ["…"]}}
//! ```
//!
//! | `state` | DDI `execution` | `finished` |
//! | --- | --- | --- |
//! | `downloading` | `download` | `none` |
//! | `downloaded` | `downloaded` | `none` |
//! | `installing` | `proceeding` | `none` |
//! | `scheduled` | `scheduled` | `none` |
//! | `resumed` | `resumed` | `none` |
//! | `success` | `closed` | `success` |
//! | `failure` | `closed` | `failure` |
//! | `canceled` | `canceled` | `success` |
//! | `rejected` | `rejected` | `none` |
//!
//! The table is a bijection, so feedback maps back to the same state.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::hawkbit::deployment::{
    Artifact, ArtifactLinks, Chunk, Deployment, DeploymentBase, HandlingType, Hashes, Link,
    MaintenanceWindow,
};
use crate::hawkbit::feedback::{
    ActionFeedback, ActionResult, ActionStatus, Execution, Finished, Progress,
};
use crate::hawkbit::target::MetadataEntry;
use crate::iothub::twin::TwinPatch;

/// The desired and reported property that carries deployments.
pub const DEPLOYMENT_PROPERTY: &str = "hawkbitDeployment";

/// Why a twin property does not hold a deployment or progress report.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeploymentMappingError {
    /// The property is missing.
    #[error("no {DEPLOYMENT_PROPERTY} property")]
    Missing,
    /// The property does not have the documented shape.
    #[error("{DEPLOYMENT_PROPERTY} does not have the documented shape")]
    Shape(#[source] serde_json::Error),
    /// No DDI feedback corresponds to this execution/result pair.
    #[error("execution {execution:?} with result {finished:?} has no progress state")]
    NoState {
        /// Execution.
        execution: Execution,
        /// Result.
        finished: Finished,
    },
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TwinLinks {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    download: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    download_http: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    md5sum: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    md5sum_http: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct TwinArtifact {
    filename: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    size: Option<u64>,
    #[serde(default)]
    hashes: Hashes,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    links: Option<TwinLinks>,
}

#[derive(Serialize, Deserialize)]
struct TwinChunk {
    part: String,
    name: String,
    version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    metadata: Option<Vec<MetadataEntry>>,
    #[serde(default)]
    artifacts: Vec<TwinArtifact>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TwinDeployment {
    action_id: String,
    download: HandlingType,
    update: HandlingType,
    // Always written so that a merge patch removes an earlier value.
    maintenance_window: Option<MaintenanceWindow>,
    chunks: Vec<TwinChunk>,
}

fn href(l: Option<&Link>) -> Option<String> {
    l.map(|l| l.href.clone())
}

fn link(h: Option<String>) -> Option<Link> {
    h.map(|href| Link { href })
}

/// The desired-properties patch carrying `deployment`.
pub fn deployment_to_patch(deployment: &DeploymentBase) -> Result<TwinPatch, serde_json::Error> {
    let d = &deployment.deployment;
    let twin = TwinDeployment {
        action_id: deployment.id.clone(),
        download: d.download.clone(),
        update: d.update.clone(),
        maintenance_window: d.maintenance_window.clone(),
        chunks: d
            .chunks
            .iter()
            .map(|c| TwinChunk {
                part: c.part.clone(),
                name: c.name.clone(),
                version: c.version.clone(),
                metadata: c.metadata.clone(),
                artifacts: c
                    .artifacts
                    .iter()
                    .map(|a| TwinArtifact {
                        filename: a.filename.clone(),
                        size: a.size,
                        hashes: a.hashes.clone(),
                        links: a.links.as_ref().map(|l| TwinLinks {
                            download: href(l.download.as_ref()),
                            download_http: href(l.download_http.as_ref()),
                            md5sum: href(l.md5sum.as_ref()),
                            md5sum_http: href(l.md5sum_http.as_ref()),
                        }),
                    })
                    .collect(),
            })
            .collect(),
    };
    let mut desired = Map::new();
    desired.insert(DEPLOYMENT_PROPERTY.to_owned(), serde_json::to_value(twin)?);
    Ok(TwinPatch::desired(desired))
}

/// The deployment held in desired properties (without `actionHistory`).
pub fn deployment_from_desired(
    desired: &Map<String, Value>,
) -> Result<DeploymentBase, DeploymentMappingError> {
    let v = desired
        .get(DEPLOYMENT_PROPERTY)
        .ok_or(DeploymentMappingError::Missing)?;
    let t = TwinDeployment::deserialize(v).map_err(DeploymentMappingError::Shape)?;
    Ok(DeploymentBase {
        id: t.action_id,
        deployment: Deployment {
            download: t.download,
            update: t.update,
            maintenance_window: t.maintenance_window,
            chunks: t
                .chunks
                .into_iter()
                .map(|c| Chunk {
                    part: c.part,
                    version: c.version,
                    name: c.name,
                    metadata: c.metadata,
                    artifacts: c
                        .artifacts
                        .into_iter()
                        .map(|a| Artifact {
                            filename: a.filename,
                            hashes: a.hashes,
                            size: a.size,
                            links: a.links.map(|l| ArtifactLinks {
                                download: link(l.download),
                                download_http: link(l.download_http),
                                md5sum: link(l.md5sum),
                                md5sum_http: link(l.md5sum_http),
                            }),
                        })
                        .collect(),
                })
                .collect(),
        },
        action_history: None,
    })
}

/// Update state a device reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ProgressState {
    /// Downloading artifacts.
    Downloading,
    /// Artifacts downloaded.
    Downloaded,
    /// Installing.
    Installing,
    /// Scheduled for later.
    Scheduled,
    /// Resumed.
    Resumed,
    /// Installed.
    Success,
    /// Failed.
    Failure,
    /// Cancel done.
    Canceled,
    /// Refused by the device.
    Rejected,
}

const TABLE: [(ProgressState, Execution, Finished); 9] = [
    (
        ProgressState::Downloading,
        Execution::Download,
        Finished::None,
    ),
    (
        ProgressState::Downloaded,
        Execution::Downloaded,
        Finished::None,
    ),
    (
        ProgressState::Installing,
        Execution::Proceeding,
        Finished::None,
    ),
    (
        ProgressState::Scheduled,
        Execution::Scheduled,
        Finished::None,
    ),
    (ProgressState::Resumed, Execution::Resumed, Finished::None),
    (ProgressState::Success, Execution::Closed, Finished::Success),
    (ProgressState::Failure, Execution::Closed, Finished::Failure),
    (
        ProgressState::Canceled,
        Execution::Canceled,
        Finished::Success,
    ),
    (ProgressState::Rejected, Execution::Rejected, Finished::None),
];

/// A progress report under reported `hawkbitDeployment`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentProgress {
    /// The action this report is about.
    pub action_id: String,
    /// Where the device is.
    pub state: ProgressState,
    /// Step counter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<Progress>,
    /// Device-specific code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<i32>,
    /// Messages.
    #[serde(default)]
    pub details: Vec<String>,
}

impl DeploymentProgress {
    /// Reads the report from reported properties.
    pub fn from_reported(reported: &Map<String, Value>) -> Result<Self, DeploymentMappingError> {
        let v = reported
            .get(DEPLOYMENT_PROPERTY)
            .ok_or(DeploymentMappingError::Missing)?;
        Self::deserialize(v).map_err(DeploymentMappingError::Shape)
    }

    /// The reported patch a device sends.
    pub fn to_reported_patch(&self) -> Result<Map<String, Value>, serde_json::Error> {
        let mut m = Map::new();
        m.insert(DEPLOYMENT_PROPERTY.to_owned(), serde_json::to_value(self)?);
        Ok(m)
    }

    /// The DDI feedback for this report (timestamp left to the server).
    pub fn to_feedback(&self) -> ActionFeedback {
        let (execution, finished) = TABLE
            .iter()
            .find(|(s, _, _)| *s == self.state)
            .map_or((Execution::Proceeding, Finished::None), |(_, e, f)| {
                (*e, *f)
            });
        ActionFeedback {
            timestamp: None,
            status: ActionStatus {
                execution,
                result: ActionResult {
                    finished,
                    progress: self.progress,
                },
                code: self.code,
                details: self.details.clone(),
            },
        }
    }

    /// The report a feedback body stands for.
    pub fn from_feedback(
        action_id: &str,
        feedback: &ActionFeedback,
    ) -> Result<Self, DeploymentMappingError> {
        let s = &feedback.status;
        let state = TABLE
            .iter()
            .find(|(_, e, f)| *e == s.execution && *f == s.result.finished)
            .map(|(st, _, _)| *st)
            .ok_or(DeploymentMappingError::NoState {
                execution: s.execution,
                finished: s.result.finished,
            })?;
        Ok(Self {
            action_id: action_id.to_owned(),
            state,
            progress: s.result.progress,
            code: s.code,
            details: s.details.clone(),
        })
    }
}
