//! One domain's progress through an activity.

use crate::model::{Action, DesiredState, Envelope, Feedback, Status};

/// Where a domain stands, from the statuses it reported and the commands sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DomainState {
    Identifying,
    Identified,
    IdentificationFailed,
    Downloading,
    DownloadSuccess,
    Updating,
    UpdateSuccess,
    Activating,
    ActivationSuccess,
    RollbackRequested,
    RollingBack,
    RollbackSuccess,
    CleaningUp,
    Done { ok: bool },
}

impl DomainState {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Identifying => "IDENTIFYING",
            Self::Identified => "IDENTIFIED",
            Self::IdentificationFailed => "IDENTIFICATION_FAILED",
            Self::Downloading => "DOWNLOADING",
            Self::DownloadSuccess => "DOWNLOAD_SUCCESS",
            Self::Updating => "UPDATING",
            Self::UpdateSuccess => "UPDATE_SUCCESS",
            Self::Activating => "ACTIVATING",
            Self::ActivationSuccess => "ACTIVATION_SUCCESS",
            Self::RollbackRequested => "ROLLBACK requested",
            Self::RollingBack => "ROLLBACK",
            Self::RollbackSuccess => "ROLLBACK_SUCCESS",
            Self::CleaningUp => "CLEANUP",
            Self::Done { ok: true } => "done",
            Self::Done { ok: false } => "done with failure",
        }
    }
}

/// The result of applying a reported status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transition {
    /// Moved to (or stayed in) a state.
    To(DomainState),
    /// A phase failed: the domain must be cleaned up.
    Failed,
    /// Ignored without a warning (informational statuses, duplicate ends).
    Ignore,
    /// Does not fit the current state.
    OutOfOrder,
}

pub(crate) fn transition(state: DomainState, status: &Status, has_actions: bool) -> Transition {
    use DomainState as D;
    use Status as S;
    match (status, state) {
        (S::Identified, D::Identifying) => Transition::To(if has_actions {
            D::Identified
        } else {
            D::Done { ok: true }
        }),
        (S::IdentificationFailed, D::Identifying) => Transition::To(D::IdentificationFailed),
        (S::Downloading, D::Identified | D::Downloading) => Transition::To(D::Downloading),
        (S::DownloadSuccess, D::Identified | D::Downloading) => Transition::To(D::DownloadSuccess),
        (S::DownloadFailure, D::Identified | D::Downloading) => Transition::Failed,
        (S::Updating, D::DownloadSuccess | D::Updating) => Transition::To(D::Updating),
        (S::UpdateSuccess, D::DownloadSuccess | D::Updating) => Transition::To(D::UpdateSuccess),
        (S::UpdateFailure, D::DownloadSuccess | D::Updating) => Transition::Failed,
        (S::Activating, D::UpdateSuccess | D::Activating) => Transition::To(D::Activating),
        (S::ActivationSuccess, D::UpdateSuccess | D::Activating) => {
            Transition::To(D::ActivationSuccess)
        }
        (S::ActivationFailure, D::UpdateSuccess | D::Activating) => Transition::Failed,
        (S::Rollback, D::RollbackRequested | D::RollingBack) => Transition::To(D::RollingBack),
        (S::RollbackSuccess, D::RollbackRequested | D::RollingBack) => {
            Transition::To(D::RollbackSuccess)
        }
        (S::RollbackFailure, D::RollbackRequested | D::RollingBack) => Transition::Failed,
        (S::Cleanup, D::CleaningUp) => Transition::To(D::CleaningUp),
        (S::CleanupSuccess | S::Completed, D::CleaningUp) => Transition::To(D::Done { ok: true }),
        (S::CleanupFailure | S::Incomplete, D::CleaningUp) => Transition::To(D::Done { ok: false }),
        // An agent sends COMPLETED or INCOMPLETE after its cleanup result, and
        // IDENTIFYING before it identifies; neither needs the manager.
        (S::Completed | S::Incomplete | S::CleanupSuccess | S::CleanupFailure, D::Done { .. })
        | (S::Identifying, _) => Transition::Ignore,
        // Redelivered QoS 1 messages repeat a status already applied.
        (S::IdentificationFailed, D::IdentificationFailed)
        | (S::Identified, D::Identified | D::Done { .. })
        | (S::DownloadSuccess, D::DownloadSuccess)
        | (S::UpdateSuccess, D::UpdateSuccess)
        | (S::ActivationSuccess, D::ActivationSuccess)
        | (S::RollbackSuccess, D::RollbackSuccess) => Transition::Ignore,
        _ => Transition::OutOfOrder,
    }
}

/// One domain within a running activity.
#[derive(Debug, Clone)]
pub(crate) struct DomainRun {
    pub(crate) id: String,
    pub(crate) state: DomainState,
    pub(crate) actions: Vec<Action>,
    pub(crate) has_actions: bool,
    pub(crate) message: String,
    /// The domain's part of the desired state, kept to re-send it.
    pub(crate) part: DesiredState,
    /// The latest progress feedback, not yet decoded (newer than `actions`).
    pub(crate) raw: Option<Vec<u8>>,
}

impl DomainRun {
    pub(crate) fn new(id: String, part: DesiredState) -> Self {
        Self {
            id,
            state: DomainState::Identifying,
            actions: Vec::new(),
            has_actions: false,
            message: String::new(),
            part,
            raw: None,
        }
    }

    /// Decodes the kept progress feedback, if any, into `actions`.
    pub(crate) fn materialize(&mut self) {
        if let Some(raw) = self.raw.take()
            && let Ok(env) = Envelope::<Feedback>::from_slice(&raw)
            && let Some(fb) = env.payload
            && !fb.actions.is_empty()
        {
            self.actions = fb.actions;
        }
    }

    pub(crate) fn is_done(&self) -> bool {
        matches!(self.state, DomainState::Done { .. }) || !self.has_actions
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_only_from_the_preceding_state() {
        assert_eq!(
            transition(DomainState::Identified, &Status::Updating, true),
            Transition::OutOfOrder
        );
        assert_eq!(
            transition(DomainState::DownloadSuccess, &Status::Updating, true),
            Transition::To(DomainState::Updating)
        );
        assert_eq!(
            transition(DomainState::Identifying, &Status::Identified, false),
            Transition::To(DomainState::Done { ok: true })
        );
        assert_eq!(
            transition(DomainState::Downloading, &Status::DownloadFailure, true),
            Transition::Failed
        );
        assert_eq!(
            transition(DomainState::CleaningUp, &Status::Completed, true),
            Transition::To(DomainState::Done { ok: true })
        );
        assert_eq!(
            transition(DomainState::Done { ok: true }, &Status::Completed, true),
            Transition::Ignore
        );
        assert_eq!(
            transition(DomainState::DownloadSuccess, &Status::DownloadSuccess, true),
            Transition::Ignore
        );
        assert_eq!(
            transition(
                DomainState::Identified,
                &Status::Other("COMPLETE".into()),
                true
            ),
            Transition::OutOfOrder
        );
    }
}
