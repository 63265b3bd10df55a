//! Import/export job properties (`/jobs/create`, `/jobs/{id}`).

use serde::{Deserialize, Serialize};

use crate::iothub::secret::Secret;
use crate::open_enum::open_enum;
use crate::timestamp::Timestamp;

open_enum! {
    /// `type` of a job.
    pub enum JobType {
        /// Export identities (and twins) to a blob.
        Export = "export",
        /// Import identities from a blob.
        Import = "import",
        /// Legacy value.
        Backup = "backup",
        /// Legacy value.
        FirmwareUpdate = "firmwareUpdate",
        /// Scheduled twin update.
        ScheduleUpdateTwin = "scheduleUpdateTwin",
        /// Scheduled direct method.
        ScheduleDeviceMethod = "scheduleDeviceMethod",
        /// The service does not know.
        Unknown = "unknown",
    }
}

open_enum! {
    /// `status` of a job.
    pub enum JobStatus {
        /// Unknown.
        Unknown = "unknown",
        /// Accepted, not yet running.
        Enqueued = "enqueued",
        /// Running.
        Running = "running",
        /// Finished successfully (terminal).
        Completed = "completed",
        /// Finished with an error (terminal).
        Failed = "failed",
        /// Cancelled (terminal).
        Cancelled = "cancelled",
        /// Scheduled.
        Scheduled = "scheduled",
        /// Queued.
        Queued = "queued",
    }
}

impl JobStatus {
    /// Completed, failed and cancelled are final.
    pub fn is_terminal(&self) -> bool {
        matches!(self, Self::Completed | Self::Failed | Self::Cancelled)
    }
}

open_enum! {
    /// How the hub reaches the blob containers.
    pub enum StorageAuthenticationType {
        /// SAS URIs.
        KeyBased = "keyBased",
        /// Managed identity.
        IdentityBased = "identityBased",
    }
}

/// `identity` of a job using a user-assigned managed identity.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagedIdentity {
    /// Resource id of the identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_assigned_identity: Option<String>,
}

/// `JobProperties` of an import or export job. Container URIs usually
/// carry SAS tokens and are kept as [`Secret`]s.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobProperties {
    /// Job id (service-set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    /// Kind of job.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<JobType>,
    /// Status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<JobStatus>,
    /// Percent done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<i64>,
    /// Start time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time_utc: Option<Timestamp>,
    /// End time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time_utc: Option<Timestamp>,
    /// Import source container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_blob_container_uri: Option<Secret>,
    /// Import blob name (default `devices.txt`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_blob_name: Option<String>,
    /// Output container (export data, import error log).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_blob_container_uri: Option<Secret>,
    /// Output blob name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_blob_name: Option<String>,
    /// Null the keys in the export.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclude_keys_in_export: Option<bool>,
    /// Key or identity based storage access.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_authentication_type: Option<StorageAuthenticationType>,
    /// Managed identity for identity-based access.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<ManagedIdentity>,
    /// Why the job failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    /// Also export/import configurations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_configurations: Option<bool>,
    /// Blob for configurations (default `configurations.txt`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configurations_blob_name: Option<String>,
}
