//! The update loop's decisions, without I/O: documents and persisted state
//! in, one [`Decision`] out.

use serde::{Deserialize, Serialize};

use crate::model::{
    ActionId, CancelAction, ConfirmationBaseAction, DeploymentBase, Handling, Link,
    MaintenanceWindow,
};

/// What the server currently offers (the poll's action link, fetched).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Offer {
    /// No open action.
    Nothing,
    /// A deployment (`deploymentBase`).
    Deployment {
        /// Its link, `c=` included.
        link: Link,
        /// The fetched document.
        base: DeploymentBase,
    },
    /// An action waiting for consent (`confirmationBase`).
    Confirmation {
        /// Its link.
        link: Link,
        /// The fetched document.
        action: ConfirmationBaseAction,
    },
    /// A cancellation request (`cancelAction`).
    Cancel {
        /// Its link.
        link: Link,
        /// The fetched document.
        cancel: CancelAction,
    },
}

/// Where the device is with its current action; persisted so that a restart
/// resumes instead of starting over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Phase {
    /// Artifacts are being downloaded (partial files may exist).
    Downloading,
    /// Every artifact is downloaded and verified.
    Downloaded,
    /// `downloaded` was reported for a download-only action or a closed
    /// maintenance window; waiting for the server.
    DownloadReported,
    /// The installer was started.
    Installing,
    /// The installer finished; its result is not yet reported.
    Installed {
        /// Whether it succeeded.
        success: bool,
        /// The installer's status code.
        code: Option<i32>,
    },
}

/// The persisted state of the action in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionState {
    /// The action.
    pub id: ActionId,
    /// How far it got.
    pub phase: Phase,
}

/// How to answer confirmation requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ConsentPolicy {
    /// Ask the [`Installer`](super::Installer). The default.
    #[default]
    AskInstaller,
    /// Confirm everything.
    Confirm,
    /// Deny everything.
    Deny,
}

/// What to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Decision {
    /// Nothing to do until the next poll.
    Idle,
    /// The server says not to download yet (`download: skip`).
    WaitForDownload,
    /// Downloaded; the maintenance window is closed or `update: skip`; wait.
    WaitForWindow,
    /// Report `downloaded` (download-only action, or window closed).
    ReportDownloaded,
    /// Download every artifact, then install if `install`.
    Download {
        /// Whether to install afterwards.
        install: bool,
    },
    /// Install the already downloaded artifacts.
    Install,
    /// An earlier run started installing and recorded no result (crash,
    /// power loss, or a reboot by the installer): let the installer find
    /// out where it got to ([`Installer::resume_install`](super::Installer::resume_install)).
    ResumeInstall,
    /// Report the persisted installer result.
    ReportResult {
        /// Whether it succeeded.
        success: bool,
        /// Its code.
        code: Option<i32>,
    },
    /// Ask the installer whether to confirm the pending action.
    AskConsent,
    /// Answer the pending confirmation.
    AnswerConsent {
        /// `true` confirms, `false` denies.
        confirm: bool,
    },
    /// Accept the cancellation (nothing irreversible has started).
    AcceptCancel,
    /// Reject it: installation has already started.
    RejectCancel,
    /// The persisted state belongs to an action the server no longer
    /// offers: forget it (and its partial files).
    ForgetState,
}

/// What the device wants, asked before deciding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct DeviceWishes {
    /// How to answer confirmation requests.
    pub consent: ConsentPolicy,
    /// Postpone installing a soft (`update: attempt`) action; forced actions
    /// are installed regardless.
    pub defer_soft_install: bool,
}

impl From<ConsentPolicy> for DeviceWishes {
    fn from(consent: ConsentPolicy) -> Self {
        Self {
            consent,
            defer_soft_install: false,
        }
    }
}

/// Decides the next step. Pure: the same inputs always give the same answer.
pub fn decide(
    offer: &Offer,
    state: Option<&ActionState>,
    wishes: impl Into<DeviceWishes>,
) -> Decision {
    let wishes = wishes.into();
    let consent = wishes.consent;
    match offer {
        Offer::Nothing => match state {
            Some(_) => Decision::ForgetState,
            None => Decision::Idle,
        },
        Offer::Confirmation { .. } => match consent {
            ConsentPolicy::AskInstaller => Decision::AskConsent,
            ConsentPolicy::Confirm => Decision::AnswerConsent { confirm: true },
            ConsentPolicy::Deny => Decision::AnswerConsent { confirm: false },
        },
        Offer::Cancel { cancel, .. } => {
            let installing = state.is_some_and(|s| {
                s.id == cancel.cancel_action.stop_id
                    && matches!(s.phase, Phase::Installing | Phase::Installed { .. })
            });
            if installing {
                Decision::RejectCancel
            } else {
                Decision::AcceptCancel
            }
        }
        Offer::Deployment { base, .. } => {
            let state = state.filter(|s| s.id == base.id);
            let d = &base.deployment;
            let update_skipped = matches!(d.update, Some(Handling::Skip));
            let window_closed =
                matches!(d.maintenance_window, Some(MaintenanceWindow::Unavailable));
            let soft_deferred =
                wishes.defer_soft_install && matches!(d.update, Some(Handling::Attempt));
            let may_install = !(update_skipped || window_closed || soft_deferred);
            match state.map(|s| s.phase) {
                Some(Phase::Installed { success, code }) => {
                    Decision::ReportResult { success, code }
                }
                Some(Phase::Installing) => Decision::ResumeInstall,
                Some(Phase::Downloaded) if may_install => Decision::Install,
                Some(Phase::Downloaded) => Decision::ReportDownloaded,
                Some(Phase::DownloadReported) if may_install => Decision::Install,
                Some(Phase::DownloadReported) => Decision::WaitForWindow,
                Some(Phase::Downloading) | None => {
                    if matches!(d.download, Some(Handling::Skip)) {
                        Decision::WaitForDownload
                    } else {
                        Decision::Download {
                            install: may_install,
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CancelActionStop, Deployment};

    fn deployment(
        download: Handling,
        update: Handling,
        window: Option<MaintenanceWindow>,
    ) -> Offer {
        Offer::Deployment {
            link: Link::new("deploymentBase/1"),
            base: DeploymentBase {
                id: ActionId::new("1"),
                deployment: Deployment {
                    download: Some(download),
                    update: Some(update),
                    maintenance_window: window,
                    chunks: Vec::new(),
                },
                action_history: None,
            },
        }
    }

    fn state(phase: Phase) -> ActionState {
        ActionState {
            id: ActionId::new("1"),
            phase,
        }
    }

    #[test]
    fn handling_and_windows() {
        use Handling::*;
        let p = ConsentPolicy::default();
        assert_eq!(
            decide(&deployment(Forced, Forced, None), None, p),
            Decision::Download { install: true }
        );
        assert_eq!(
            decide(&deployment(Attempt, Attempt, None), None, p),
            Decision::Download { install: true }
        );
        // Download-only.
        assert_eq!(
            decide(&deployment(Forced, Skip, None), None, p),
            Decision::Download { install: false }
        );
        assert_eq!(
            decide(
                &deployment(Forced, Skip, None),
                Some(&state(Phase::Downloaded)),
                p
            ),
            Decision::ReportDownloaded
        );
        assert_eq!(
            decide(
                &deployment(Forced, Skip, None),
                Some(&state(Phase::DownloadReported)),
                p
            ),
            Decision::WaitForWindow
        );
        // Window closed, then open.
        let closed = deployment(Forced, Skip, Some(MaintenanceWindow::Unavailable));
        assert_eq!(
            decide(&closed, None, p),
            Decision::Download { install: false }
        );
        let open = deployment(Forced, Forced, Some(MaintenanceWindow::Available));
        assert_eq!(
            decide(&open, Some(&state(Phase::DownloadReported)), p),
            Decision::Install
        );
        assert_eq!(
            decide(&deployment(Skip, Skip, None), None, p),
            Decision::WaitForDownload
        );
    }

    #[test]
    fn restart_resumes_from_persisted_phase() {
        let p = ConsentPolicy::default();
        let offer = deployment(Handling::Forced, Handling::Forced, None);
        assert_eq!(
            decide(&offer, Some(&state(Phase::Downloading)), p),
            Decision::Download { install: true }
        );
        assert_eq!(
            decide(&offer, Some(&state(Phase::Installing)), p),
            Decision::ResumeInstall
        );
        assert_eq!(
            decide(
                &offer,
                Some(&state(Phase::Installed {
                    success: false,
                    code: Some(3)
                })),
                p
            ),
            Decision::ReportResult {
                success: false,
                code: Some(3)
            }
        );
        // State of another action is not applied to this one.
        let other = ActionState {
            id: ActionId::new("2"),
            phase: Phase::Installing,
        };
        assert_eq!(
            decide(&offer, Some(&other), p),
            Decision::Download { install: true }
        );
        assert_eq!(
            decide(&Offer::Nothing, Some(&other), p),
            Decision::ForgetState
        );
    }

    #[test]
    fn cancels_and_consent() {
        let cancel = Offer::Cancel {
            link: Link::new("cancelAction/1"),
            cancel: CancelAction {
                id: ActionId::new("1"),
                cancel_action: CancelActionStop {
                    stop_id: ActionId::new("1"),
                },
            },
        };
        let p = ConsentPolicy::default();
        assert_eq!(decide(&cancel, None, p), Decision::AcceptCancel);
        assert_eq!(
            decide(&cancel, Some(&state(Phase::Downloaded)), p),
            Decision::AcceptCancel
        );
        assert_eq!(
            decide(&cancel, Some(&state(Phase::Installing)), p),
            Decision::RejectCancel
        );
        let conf = Offer::Confirmation {
            link: Link::new("confirmationBase/1"),
            action: ConfirmationBaseAction {
                id: ActionId::new("1"),
                confirmation: Deployment::default(),
                action_history: None,
            },
        };
        assert_eq!(decide(&conf, None, p), Decision::AskConsent);
        assert_eq!(
            decide(&conf, None, ConsentPolicy::Deny),
            Decision::AnswerConsent { confirm: false }
        );
    }
}
