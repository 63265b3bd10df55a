//! An [`Installer`] that "installs" verified artifacts into a slot folder,
//! as an A/B-updating device would write its inactive bank, and optionally
//! flashes the firmware on to the device's microcontroller over
//! `dfu-protocol` (see [`crate::mcu`]).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ddi_client::agent::{InstallOutcome, Installer};
use ddi_client::download::DownloadProgress;
use ddi_client::model::DeploymentBase;
use indicatif::ProgressBar;

use crate::mcu::{self, Health, McuReport};

/// What the installer did, for the demo's summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Installed {
    /// `name version` of each chunk installed.
    pub versions: Vec<String>,
    /// Bytes copied into the slot.
    pub bytes: u64,
    /// What the microcontroller did with the firmware, when there is one.
    pub mcu: Option<McuReport>,
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

    /// Also delivers the first artifact to a simulated microcontroller whose
    /// application health check behaves as `health`; the update succeeds only
    /// if the microcontroller confirms the image.
    pub fn with_mcu(mut self, health: Health) -> Self {
        self.mcu = Some(health);
        self
    }

    /// What was installed so far, if anything.
    pub fn installed(&self) -> Option<Installed> {
        self.installed.lock().map(|g| g.clone()).unwrap_or(None)
    }
}

#[async_trait::async_trait]
impl Installer for SlotInstaller {
    async fn install(&self, deployment: &DeploymentBase, files: &[PathBuf]) -> InstallOutcome {
        if let Err(e) = tokio::fs::create_dir_all(&self.slot).await {
            return InstallOutcome {
                success: false,
                code: Some(1),
                details: vec![format!(
                    "cannot create the slot {}: {e}",
                    self.slot.display()
                )],
            };
        }
        let mut bytes = 0;
        for file in files {
            let Some(name) = file.file_name() else {
                continue;
            };
            match tokio::fs::copy(file, self.slot.join(name)).await {
                Ok(n) => bytes += n,
                Err(e) => {
                    return InstallOutcome {
                        success: false,
                        code: Some(2),
                        details: vec![format!(
                            "cannot write {} into the slot: {e}",
                            file.display()
                        )],
                    };
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
        let mcu = match (self.mcu, files.first()) {
            (Some(health), Some(firmware)) => {
                if let Some(bar) = &self.bar {
                    bar.set_message("flashing the mcu over dfu-protocol");
                }
                Some(flash_mcu(firmware.clone(), health).await)
            }
            _ => None,
        };
        let success = mcu.as_ref().is_none_or(|m| m.confirmed);
        if let Some(m) = &mcu {
            details.push(m.summary.clone());
        }
        if let Some(bar) = &self.bar {
            let done = if success { "installed" } else { "failed" };
            bar.finish_with_message(format!("{done} {}", versions.join(", ")));
        }
        if let Ok(mut slot) = self.installed.lock() {
            *slot = Some(Installed {
                versions,
                bytes,
                mcu,
            });
        }
        InstallOutcome {
            success,
            code: Some(if success { 0 } else { 3 }),
            details,
        }
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

/// Reads the firmware and runs the CPU-bound simulation off the runtime.
async fn flash_mcu(firmware: PathBuf, health: Health) -> McuReport {
    let image = match tokio::fs::read(&firmware).await {
        Ok(image) => image,
        Err(e) => {
            return McuReport {
                confirmed: false,
                summary: format!("cannot read {}: {e}", firmware.display()),
                round_trips: 0,
                bytes_to_mcu: 0,
                reboots: 0,
            };
        }
    };
    let run = tokio::task::spawn_blocking(move || {
        let factory = mcu::factory_image(image.len());
        mcu::deliver(&factory, &image, health)
    });
    run.await.unwrap_or_else(|e| McuReport {
        confirmed: false,
        summary: format!("mcu simulation stopped: {e}"),
        round_trips: 0,
        bytes_to_mcu: 0,
        reboots: 0,
    })
}
