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

use std::collections::BTreeMap;

use ddi_client::model::{
    ActionFeedback, ActionId, Artifact, ArtifactLinks, Chunk, Deployment, DeploymentBase,
    Execution, Finished, Handling, Hashes, Link, MaintenanceWindow, Metadata, Progress,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

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
    #[error("execution {execution} with result {finished} has no progress state")]
    NoState {
        /// Execution.
        execution: Execution,
        /// Result.
        finished: Finished,
    },
}

/// hawkBit's two dashed link relations, spelled in camel case in the twin
/// as every other member of the layout is; other relations are written
/// verbatim.
const LINK_RELATIONS: [(&str, &str); 2] = [
    ("download-http", "downloadHttp"),
    ("md5sum-http", "md5sumHttp"),
];

/// Whether IoT Hub accepts `name` as a twin property name (no `.`, `$` or
/// space, no control characters).
fn is_twin_key(name: &str) -> bool {
    !name.is_empty()
        && !name
            .chars()
            .any(|c| matches!(c, '.' | '$' | ' ') || c.is_control())
}

fn links_to_twin(links: &ArtifactLinks) -> Option<BTreeMap<String, String>> {
    let twin: BTreeMap<String, String> = links
        .0
        .iter()
        .filter_map(|(rel, link)| {
            let key = LINK_RELATIONS
                .iter()
                .find(|(wire, _)| wire == rel)
                .map_or(rel.as_str(), |(_, twin)| twin);
            // A relation IoT Hub cannot store as a key would make the whole
            // patch fail; hawkBit's own relations all fit.
            is_twin_key(key).then(|| (key.to_owned(), link.href.clone()))
        })
        .collect();
    (!twin.is_empty()).then_some(twin)
}

fn links_from_twin(twin: Option<BTreeMap<String, String>>) -> ArtifactLinks {
    ArtifactLinks(
        twin.unwrap_or_default()
            .into_iter()
            .map(|(key, href)| {
                let rel = LINK_RELATIONS
                    .iter()
                    .find(|(_, t)| *t == key)
                    .map_or(key, |(wire, _)| (*wire).to_owned());
                (rel, Link::new(href))
            })
            .collect(),
    )
}

#[derive(Serialize, Deserialize)]
struct TwinArtifact {
    filename: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    hashes: Option<Hashes>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    links: Option<BTreeMap<String, String>>,
}

#[derive(Serialize, Deserialize)]
struct TwinChunk {
    part: String,
    name: String,
    version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    encrypted: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    metadata: Vec<Metadata>,
    #[serde(default)]
    artifacts: Vec<TwinArtifact>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TwinDeployment {
    action_id: ActionId,
    // Always written (`null` when the server said nothing) so that a merge
    // patch removes an earlier value.
    download: Option<Handling>,
    update: Option<Handling>,
    maintenance_window: Option<MaintenanceWindow>,
    chunks: Vec<TwinChunk>,
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
                encrypted: c.encrypted,
                metadata: c.metadata.clone(),
                artifacts: c
                    .artifacts
                    .iter()
                    .map(|a| TwinArtifact {
                        filename: a.filename.clone(),
                        size: a.size,
                        hashes: a.hashes.clone(),
                        links: links_to_twin(&a.links),
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
    let chunks = t
        .chunks
        .into_iter()
        .map(|c| {
            let mut chunk = Chunk::new(c.part, c.name, c.version);
            chunk.encrypted = c.encrypted;
            chunk.metadata = c.metadata;
            chunk.artifacts = c
                .artifacts
                .into_iter()
                .map(|a| {
                    let mut artifact = Artifact::new(a.filename);
                    artifact.size = a.size;
                    artifact.hashes = a.hashes;
                    artifact.links = links_from_twin(a.links);
                    artifact
                })
                .collect();
            chunk
        })
        .collect();
    let deployment = Deployment {
        download: t.download,
        update: t.update,
        maintenance_window: t.maintenance_window,
        chunks,
    };
    Ok(DeploymentBase::new(t.action_id, deployment))
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

/// The bijection of the module docs' table.
fn feedback_of(state: ProgressState) -> (Execution, Finished) {
    match state {
        ProgressState::Downloading => (Execution::Download, Finished::None),
        ProgressState::Downloaded => (Execution::Downloaded, Finished::None),
        ProgressState::Installing => (Execution::Proceeding, Finished::None),
        ProgressState::Scheduled => (Execution::Scheduled, Finished::None),
        ProgressState::Resumed => (Execution::Resumed, Finished::None),
        ProgressState::Success => (Execution::Closed, Finished::Success),
        ProgressState::Failure => (Execution::Closed, Finished::Failure),
        ProgressState::Canceled => (Execution::Canceled, Finished::Success),
        ProgressState::Rejected => (Execution::Rejected, Finished::None),
    }
}

const STATES: [ProgressState; 9] = [
    ProgressState::Downloading,
    ProgressState::Downloaded,
    ProgressState::Installing,
    ProgressState::Scheduled,
    ProgressState::Resumed,
    ProgressState::Success,
    ProgressState::Failure,
    ProgressState::Canceled,
    ProgressState::Rejected,
];

/// A progress report under reported `hawkbitDeployment`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentProgress {
    /// The action this report is about.
    pub action_id: ActionId,
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

    /// The DDI feedback for this report (timestamp left to the server;
    /// details verbatim, as the device wrote them).
    pub fn to_feedback(&self) -> ActionFeedback {
        let (execution, finished) = feedback_of(self.state);
        let mut feedback = ActionFeedback::new(execution, finished);
        feedback.status.result.progress = self.progress;
        feedback.status.code = self.code;
        feedback.status.details.clone_from(&self.details);
        feedback
    }

    /// The report a feedback body stands for.
    pub fn from_feedback(
        action_id: &ActionId,
        feedback: &ActionFeedback,
    ) -> Result<Self, DeploymentMappingError> {
        let s = &feedback.status;
        let state = STATES
            .into_iter()
            .find(|state| feedback_of(*state) == (s.execution.clone(), s.result.finished.clone()))
            .ok_or_else(|| DeploymentMappingError::NoState {
                execution: s.execution.clone(),
                finished: s.result.finished.clone(),
            })?;
        Ok(Self {
            action_id: action_id.clone(),
            state,
            progress: s.result.progress,
            code: s.code,
            details: s.details.clone(),
        })
    }
}
