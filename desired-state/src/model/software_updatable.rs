//! Kanto software-update's `SoftwareUpdatable` feature (hawkBit-compatible).
//!
//! A separate Kanto component from the update manager; the types are here so a
//! Kanto-style software updater can be driven or implemented over the same
//! Ditto transport.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::nullable::{is_empty_str, is_zero, null_default};
use super::open_enum::open_enum;

/// The feature's definition.
pub const SOFTWARE_UPDATABLE_DEFINITION: &str =
    "org.eclipse.hawkbit.swupdatable:SoftwareUpdatable:2.0.0";

/// Value of inbox `install` and `download`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstallRequest {
    /// Echoed in every status of this operation.
    #[serde(rename = "correlationId", default, deserialize_with = "null_default")]
    pub correlation_id: String,
    /// Priority.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "is_zero"
    )]
    pub weight: i64,
    /// Free metadata.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub metadata: BTreeMap<String, String>,
    /// Install even if already installed.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "is_zero"
    )]
    pub forced: bool,
    /// The modules to handle.
    #[serde(rename = "softwareModules", default, deserialize_with = "null_default")]
    pub software_modules: Vec<SoftwareModuleAction>,
}

/// One module of an install or download.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SoftwareModuleAction {
    /// Name and version.
    #[serde(rename = "softwareModule", default, deserialize_with = "null_default")]
    pub software_module: SoftwareModuleId,
    /// The files.
    #[serde(default, deserialize_with = "null_default")]
    pub artifacts: Vec<Artifact>,
    /// Module metadata (the Go struct spells it `metaData`).
    #[serde(
        rename = "metaData",
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub meta_data: BTreeMap<String, String>,
}

/// A module's identity.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SoftwareModuleId {
    /// Name.
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    /// Version.
    #[serde(default, deserialize_with = "null_default")]
    pub version: String,
}

/// One downloadable file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Artifact {
    /// File name.
    #[serde(default, deserialize_with = "null_default")]
    pub filename: String,
    /// Size in bytes.
    #[serde(default, deserialize_with = "null_default")]
    pub size: u64,
    /// Links by protocol (`HTTP`, `HTTPS`, `FTP`, `SFTP`).
    #[serde(default, deserialize_with = "null_default")]
    pub download: BTreeMap<String, Link>,
    /// Checksums.
    #[serde(default, deserialize_with = "null_default")]
    pub checksums: Checksums,
}

impl Artifact {
    /// The HTTPS link, or the HTTP one.
    pub fn url(&self) -> Option<&str> {
        self.download
            .get("HTTPS")
            .or_else(|| self.download.get("HTTP"))
            .map(|l| l.url.as_str())
    }
}

/// A download link.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// The file URL.
    #[serde(default, deserialize_with = "null_default")]
    pub url: String,
    /// A URL of the MD5 sum.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "is_empty_str"
    )]
    pub md5url: String,
}

/// Artifact checksums, lowercase hex.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checksums {
    /// MD5.
    #[serde(
        rename = "MD5",
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "is_empty_str"
    )]
    pub md5: String,
    /// SHA-1.
    #[serde(
        rename = "SHA1",
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "is_empty_str"
    )]
    pub sha1: String,
    /// SHA-256.
    #[serde(
        rename = "SHA256",
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "is_empty_str"
    )]
    pub sha256: String,
}

/// Value of inbox `remove`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoveRequest {
    /// Echoed in every status.
    #[serde(rename = "correlationId", default, deserialize_with = "null_default")]
    pub correlation_id: String,
    /// What to remove.
    #[serde(default, deserialize_with = "null_default")]
    pub software: Vec<Dependency>,
    /// Priority.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "is_zero"
    )]
    pub weight: i64,
    /// Free metadata.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub metadata: BTreeMap<String, String>,
    /// Remove even if in use.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "is_zero"
    )]
    pub forced: bool,
}

/// Value of inbox `cancel` and `cancelRemove`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelRequest {
    /// The operation to cancel.
    #[serde(rename = "correlationId", default, deserialize_with = "null_default")]
    pub correlation_id: String,
    /// The module, if the cancel is for one module.
    #[serde(
        rename = "softwareModule",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub software_module: Option<SoftwareModuleId>,
}

/// An installed piece of software.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dependency {
    /// Group.
    #[serde(default, deserialize_with = "null_default")]
    pub group: String,
    /// Name.
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    /// Version.
    #[serde(default, deserialize_with = "null_default")]
    pub version: String,
    /// Type.
    #[serde(
        rename = "type",
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "is_empty_str"
    )]
    pub kind: String,
}

open_enum! {
    /// `lastOperation.status` values.
    pub enum OperationStatusKind {
        /// Accepted.
        Started = "STARTED",
        /// Downloading.
        Downloading = "DOWNLOADING",
        /// Download waits.
        DownloadingWaiting = "DOWNLOADING_WAITING",
        /// Downloaded.
        Downloaded = "DOWNLOADED",
        /// Downloaded and stored.
        DownloadedFileStored = "DOWNLOADED_FILE_STORED",
        /// Installing.
        Installing = "INSTALLING",
        /// Install waits.
        InstallingWaiting = "INSTALLING_WAITING",
        /// Installed.
        Installed = "INSTALLED",
        /// Removing.
        Removing = "REMOVING",
        /// Remove waits.
        RemovingWaiting = "REMOVING_WAITING",
        /// Removed.
        Removed = "REMOVED",
        /// Cancel waits.
        CancelingWaiting = "CANCELING_WAITING",
        /// Cancel refused.
        CancelRejected = "CANCEL_REJECTED",
        /// Ended: canceled.
        FinishedCanceled = "FINISHED_CANCELED",
        /// Ended: error.
        FinishedError = "FINISHED_ERROR",
        /// Ended: success.
        FinishedSuccess = "FINISHED_SUCCESS",
        /// Ended: success with warnings.
        FinishedWarning = "FINISHED_WARNING",
        /// Ended: rejected.
        FinishedRejected = "FINISHED_REJECTED",
    }
}

impl OperationStatusKind {
    /// Whether the operation is over.
    pub fn is_finished(&self) -> bool {
        self.as_str().starts_with("FINISHED_")
    }
}

/// `lastOperation` / `lastFailedOperation`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperationStatus {
    /// The request's correlation id.
    #[serde(rename = "correlationId", default, deserialize_with = "null_default")]
    pub correlation_id: String,
    /// Status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<OperationStatusKind>,
    /// The module concerned.
    #[serde(
        rename = "softwareModule",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub software_module: Option<SoftwareModuleId>,
    /// Software concerned (remove).
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub software: Vec<Dependency>,
    /// Percent.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "is_zero"
    )]
    pub progress: u8,
    /// Explanation.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "is_empty_str"
    )]
    pub message: String,
    /// A code.
    #[serde(
        rename = "statusCode",
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "is_empty_str"
    )]
    pub status_code: String,
}

/// The feature's `status` property.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SoftwareUpdatableStatus {
    /// The module type this updater handles.
    #[serde(
        rename = "softwareModuleType",
        default,
        deserialize_with = "null_default"
    )]
    pub software_module_type: String,
    /// Installed software.
    #[serde(
        rename = "installedDependencies",
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub installed_dependencies: BTreeMap<String, Dependency>,
    /// Context.
    #[serde(
        rename = "contextDependencies",
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub context_dependencies: BTreeMap<String, Dependency>,
    /// The latest operation.
    #[serde(
        rename = "lastOperation",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub last_operation: Option<OperationStatus>,
    /// The latest failed operation.
    #[serde(
        rename = "lastFailedOperation",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub last_failed_operation: Option<OperationStatus>,
}

/// The feature id.
pub const SOFTWARE_UPDATABLE_FEATURE: &str = "SoftwareUpdatable";

/// Builders for the Ditto messages of the `SoftwareUpdatable` feature, for
/// both sides: the backend sending operations, the updater reporting status.
impl super::ditto::ThingId {
    /// Inbox `install` (or `download`, with `subject = "download"`).
    pub fn software_operation(
        &self,
        subject: &str,
        correlation_id: &str,
        request: InstallRequest,
    ) -> super::ditto::DittoMessage<InstallRequest> {
        super::ditto::DittoMessage {
            topic: self.live_message_topic(subject),
            headers: [
                (
                    "content-type".to_owned(),
                    serde_json::Value::from("application/json"),
                ),
                ("correlation-id".to_owned(), correlation_id.into()),
                ("response-required".to_owned(), true.into()),
            ]
            .into_iter()
            .collect(),
            path: format!("/features/{SOFTWARE_UPDATABLE_FEATURE}/inbox/messages/{subject}"),
            value: Some(request),
            status: 0,
        }
    }

    /// Twin modify of the feature's `lastOperation` status property.
    pub fn software_last_operation(
        &self,
        status: OperationStatus,
    ) -> super::ditto::DittoMessage<OperationStatus> {
        super::ditto::DittoMessage {
            topic: self.twin_modify_topic(),
            headers: [(
                "response-required".to_owned(),
                serde_json::Value::from(false),
            )]
            .into_iter()
            .collect(),
            path: format!("/features/{SOFTWARE_UPDATABLE_FEATURE}/properties/status/lastOperation"),
            value: Some(status),
            status: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ditto::{DittoMessage, ThingId};

    #[test]
    fn operation_and_status_messages() {
        let thing = ThingId::parse("edge:device").unwrap();
        let req = InstallRequest {
            correlation_id: "c".into(),
            ..InstallRequest::default()
        };
        let msg = thing.software_operation("install", "corr-1", req);
        assert_eq!(msg.topic, "edge/device/things/live/messages/install");
        assert_eq!(
            msg.path,
            "/features/SoftwareUpdatable/inbox/messages/install"
        );
        assert!(msg.response_required());
        let back: DittoMessage<InstallRequest> = DittoMessage::from_slice(&msg.to_vec()).unwrap();
        assert_eq!(back, msg);
        let op = OperationStatus {
            correlation_id: "c".into(),
            status: Some(OperationStatusKind::FinishedSuccess),
            progress: 100,
            ..OperationStatus::default()
        };
        assert!(op.status.as_ref().unwrap().is_finished());
        let status = thing.software_last_operation(op);
        assert_eq!(
            String::from_utf8(status.to_vec()).unwrap(),
            r#"{"topic":"edge/device/things/twin/commands/modify","headers":{"response-required":false},"path":"/features/SoftwareUpdatable/properties/status/lastOperation","value":{"correlationId":"c","status":"FINISHED_SUCCESS","progress":100}}"#
        );
    }
}
