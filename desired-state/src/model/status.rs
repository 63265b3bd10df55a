//! Feedback and action statuses.

use super::open_enum::open_enum;

open_enum! {
    /// The `status` of a desired-state feedback.
    ///
    /// One type serves both audiences, as in Kanto: agents report the
    /// domain statuses ([`Status::is_agent_facing`]) to the update manager, and the
    /// manager reports the overall statuses ([`Status::is_cloud_facing`]) to the
    /// cloud. Unknown values (Leda's `COMPLETE`) are kept in [`Status::Other`].
    pub enum Status {
        /// Identification has started.
        Identifying = "IDENTIFYING",
        /// Every action is known.
        Identified = "IDENTIFIED",
        /// The desired state cannot be applied.
        IdentificationFailed = "IDENTIFICATION_FAILED",
        /// The manager is running the phases (cloud-facing only).
        Running = "RUNNING",
        /// Download phase in progress.
        Downloading = "DOWNLOADING",
        /// Download phase succeeded.
        DownloadSuccess = "DOWNLOAD_SUCCESS",
        /// Download phase failed.
        DownloadFailure = "DOWNLOAD_FAILURE",
        /// Update phase in progress.
        Updating = "UPDATING",
        /// Update phase succeeded.
        UpdateSuccess = "UPDATE_SUCCESS",
        /// Update phase failed.
        UpdateFailure = "UPDATE_FAILURE",
        /// Activation phase in progress.
        Activating = "ACTIVATING",
        /// Activation phase succeeded.
        ActivationSuccess = "ACTIVATION_SUCCESS",
        /// Activation phase failed.
        ActivationFailure = "ACTIVATION_FAILURE",
        /// Cleanup in progress.
        Cleanup = "CLEANUP",
        /// Cleanup succeeded.
        CleanupSuccess = "CLEANUP_SUCCESS",
        /// Cleanup failed.
        CleanupFailure = "CLEANUP_FAILURE",
        /// Rollback in progress.
        Rollback = "ROLLBACK",
        /// Rollback succeeded.
        RollbackSuccess = "ROLLBACK_SUCCESS",
        /// Rollback failed.
        RollbackFailure = "ROLLBACK_FAILURE",
        /// The operation ended successfully.
        Completed = "COMPLETED",
        /// The operation ended with failures.
        Incomplete = "INCOMPLETE",
        /// Defined by Kanto but never sent.
        IncompleteInconsistent = "INCOMPLETE_INCONSISTENT",
        /// Defined by Kanto but never sent.
        Superseded = "SUPERSEDED",
    }
}

impl Status {
    /// The statuses Kanto's update manager sends to the cloud.
    pub fn is_cloud_facing(&self) -> bool {
        matches!(
            self,
            Self::Identifying
                | Self::Identified
                | Self::IdentificationFailed
                | Self::Running
                | Self::Completed
                | Self::Incomplete
        )
    }

    /// The statuses an agent sends to the update manager.
    pub fn is_agent_facing(&self) -> bool {
        !matches!(
            self,
            Self::Running | Self::IncompleteInconsistent | Self::Superseded | Self::Other(_)
        )
    }

    /// Whether this is an agent's progress report within a phase
    /// (`DOWNLOADING`, `UPDATING`, `ACTIVATING`, `CLEANUP`, `ROLLBACK`),
    /// superseded by the next one of the same status.
    pub fn is_progress(&self) -> bool {
        matches!(
            self,
            Self::Downloading | Self::Updating | Self::Activating | Self::Cleanup | Self::Rollback
        )
    }

    /// Whether this status ends an operation for the cloud.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            Self::Completed | Self::Incomplete | Self::IdentificationFailed
        )
    }
}

open_enum! {
    /// The status of one action (one component) in a feedback.
    ///
    /// Unknown values (Leda's `UPDATED`) are kept in [`ActionStatus::Other`].
    pub enum ActionStatus {
        /// The action is planned.
        Identified = "IDENTIFIED",
        /// Downloading.
        Downloading = "DOWNLOADING",
        /// Downloaded.
        DownloadSuccess = "DOWNLOAD_SUCCESS",
        /// Download failed.
        DownloadFailure = "DOWNLOAD_FAILURE",
        /// Updating.
        Updating = "UPDATING",
        /// Updated.
        UpdateSuccess = "UPDATE_SUCCESS",
        /// Update failed.
        UpdateFailure = "UPDATE_FAILURE",
        /// Activating.
        Activating = "ACTIVATING",
        /// Activated.
        ActivationSuccess = "ACTIVATION_SUCCESS",
        /// Activation failed.
        ActivationFailure = "ACTIVATION_FAILURE",
        /// Removing.
        Removing = "REMOVING",
        /// Removed.
        RemovalSuccess = "REMOVAL_SUCCESS",
        /// Removal failed.
        RemovalFailure = "REMOVAL_FAILURE",
    }
}

impl ActionStatus {
    /// Kanto's update manager reports activation statuses to the cloud as
    /// update statuses (a workaround in its code, visible in the captures).
    #[must_use]
    pub fn kanto_cloud_rewrite(self) -> Self {
        match self {
            Self::Activating => Self::Updating,
            Self::ActivationSuccess => Self::UpdateSuccess,
            Self::ActivationFailure => Self::UpdateFailure,
            other => other,
        }
    }
}

open_enum! {
    /// A command from the update manager to an agent, or the subject of an
    /// owner-consent request. There is no `COMMIT`.
    pub enum CommandKind {
        /// Fetch what the update needs.
        Download = "DOWNLOAD",
        /// Install.
        Update = "UPDATE",
        /// Switch to the new version.
        Activate = "ACTIVATE",
        /// Return to the previous version.
        Rollback = "ROLLBACK",
        /// Remove leftovers and finish.
        Cleanup = "CLEANUP",
    }
}

open_enum! {
    /// The owner's answer to a consent request.
    pub enum ConsentStatus {
        /// The owner agrees.
        Approved = "APPROVED",
        /// The owner refuses.
        Denied = "DENIED",
    }
}

open_enum! {
    /// The `type` of a software node in a current-state inventory.
    pub enum SoftwareType {
        /// A system image.
        Image = "IMAGE",
        /// Raw data.
        Raw = "RAW",
        /// Data.
        Data = "DATA",
        /// An application (agents and the manager use this type).
        Application = "APPLICATION",
        /// A container.
        Container = "CONTAINER",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_values_round_trip() {
        let s: Status = serde_json::from_str(r#""COMPLETE""#).unwrap();
        assert_eq!(s, Status::Other("COMPLETE".into()));
        assert_eq!(serde_json::to_string(&s).unwrap(), r#""COMPLETE""#);
        for known in Status::KNOWN {
            assert_eq!(&Status::from(known.as_str()), known);
        }
        assert_eq!(ActionStatus::from("UPDATED").as_str(), "UPDATED");
    }

    #[test]
    fn cloud_rewrite_maps_only_activation() {
        assert_eq!(
            ActionStatus::ActivationSuccess.kanto_cloud_rewrite(),
            ActionStatus::UpdateSuccess
        );
        assert_eq!(
            ActionStatus::Activating.kanto_cloud_rewrite(),
            ActionStatus::Updating
        );
        assert_eq!(
            ActionStatus::ActivationFailure.kanto_cloud_rewrite(),
            ActionStatus::UpdateFailure
        );
        assert_eq!(
            ActionStatus::DownloadSuccess.kanto_cloud_rewrite(),
            ActionStatus::DownloadSuccess
        );
    }

    #[test]
    fn audiences() {
        assert!(Status::Running.is_cloud_facing());
        assert!(!Status::Running.is_agent_facing());
        assert!(Status::DownloadSuccess.is_agent_facing());
        assert!(!Status::DownloadSuccess.is_cloud_facing());
    }
}
