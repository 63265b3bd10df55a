//! An [`Installer`] that "installs" verified artifacts into a slot folder,
//! as an A/B-updating device would write its inactive bank, and optionally
//! hands the deployment to the device's update manager, which orchestrates
//! it across the firmware domain (flashed on to the microcontroller over
//! `dfu-protocol`) and the containers domain (see [`crate::orchestration`]).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ddi_client::agent::{InstallOutcome, Installer};
use ddi_client::download::DownloadProgress;
use ddi_client::model::DeploymentBase;
use indicatif::ProgressBar;

use std::time::Duration;

use crate::mcu::Health;
use crate::orchestration::{self, ActivityReport};

/// What the installer did, for the demo's summary.
#[derive(Debug, Clone, Default)]
pub struct Installed {
    /// `name version` of each chunk installed.
    pub versions: Vec<String>,
    /// Bytes copied into the slot.
    pub bytes: u64,
    /// How the update manager's activity ended, when there is one.
    pub activity: Option<ActivityReport>,
}

/// Copies each verified artifact into `slot`, reports download progress to
/// a progress bar, and remembers what it installed.
#[derive(Debug)]
pub struct SlotInstaller {
    slot: PathBuf,
    bar: Option<ProgressBar>,
    mcu: Option<Health>,
    installed: Mutex<Option<Installed>>,
}

impl SlotInstaller {
    /// An installer writing into `slot` (created on first install).
    pub fn new(slot: impl AsRef<Path>, bar: Option<ProgressBar>) -> Self {
        Self {
            slot: slot.as_ref().to_owned(),
            bar,
            mcu: None,
            installed: Mutex::new(None),
        }
    }

    /// Also runs the deployment as a desired state through the device's
    /// update manager; the microcontroller's health check behaves as
    /// `health`. The update succeeds only if the activity completes.
    pub fn with_update_manager(mut self, health: Health) -> Self {
        self.mcu = Some(health);
        self
    }

    /// What was installed so far, if anything.
    pub fn installed(&self) -> Option<Installed> {
        self.installed.lock().map(|g| g.clone()).unwrap_or(None)
    }
}

impl Installer for SlotInstaller {
    async fn install(&self, deployment: &DeploymentBase, files: &[PathBuf]) -> InstallOutcome {
        if let Err(e) = tokio::fs::create_dir_all(&self.slot).await {
            return InstallOutcome::failure().with_code(1).with_detail(format!(
                "cannot create the slot {}: {e}",
                self.slot.display()
            ));
        }
        let mut bytes = 0;
        for file in files {
            let Some(name) = file.file_name() else {
                continue;
            };
            match tokio::fs::copy(file, self.slot.join(name)).await {
                Ok(n) => bytes += n,
                Err(e) => {
                    return InstallOutcome::failure().with_code(2).with_detail(format!(
                        "cannot write {} into the slot: {e}",
                        file.display()
                    ));
                }
            }
        }
        let versions = deployment
            .deployment
            .chunks
            .iter()
            .map(|c| format!("{} {}", c.name, c.version))
            .collect::<Vec<_>>();
        let mut details = vec![format!("installed {bytes} bytes into the inactive slot")];
        let activity = match self.mcu {
            Some(health) => {
                if let Some(bar) = &self.bar {
                    bar.set_message("update manager: firmware over dfu-protocol, containers");
                }
                let desired = orchestration::desired_state(deployment, files);
                let id = format!("ddi-{}", deployment.id);
                match orchestration::run_activity(&id, desired, health, Duration::from_secs(60))
                    .await
                {
                    Ok(report) => Some(report),
                    Err(e) => {
                        details.push(format!("update manager: {e}"));
                        None
                    }
                }
            }
            None => None,
        };
        let success = match (&self.mcu, &activity) {
            (None, _) => true,
            (Some(_), Some(a)) => a.status == desired_state::model::Status::Completed,
            (Some(_), None) => false,
        };
        if let Some(a) = &activity {
            details.push(format!(
                "desired state {:?}: {}",
                a.status,
                a.components.join(", ")
            ));
            if let Some(m) = &a.mcu {
                details.push(m.summary.clone());
            }
        }
        if let Some(bar) = &self.bar {
            let done = if success { "installed" } else { "failed" };
            bar.finish_with_message(format!("{done} {}", versions.join(", ")));
        }
        if let Ok(mut slot) = self.installed.lock() {
            *slot = Some(Installed {
                versions,
                bytes,
                activity,
            });
        }
        let outcome = if success {
            InstallOutcome::success().with_code(0)
        } else {
            InstallOutcome::failure().with_code(3)
        };
        details
            .into_iter()
            .fold(outcome, InstallOutcome::with_detail)
    }

    fn on_progress(&self, file: &str, progress: DownloadProgress) {
        if let Some(bar) = &self.bar {
            if let Some(total) = progress.total {
                bar.set_length(total);
            }
            bar.set_position(progress.downloaded);
            bar.set_message(format!("downloading {file}"));
        }
    }
}
