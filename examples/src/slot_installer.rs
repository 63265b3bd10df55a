//! An [`Installer`] that "installs" verified artifacts into a slot folder,
//! as an A/B-updating device would write its inactive bank.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ddi_client::agent::{InstallOutcome, Installer};
use ddi_client::download::DownloadProgress;
use ddi_client::model::DeploymentBase;
use indicatif::ProgressBar;

/// What the installer did, for the demo's summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Installed {
    /// `name version` of each chunk installed.
    pub versions: Vec<String>,
    /// Bytes copied into the slot.
    pub bytes: u64,
}

/// Copies each verified artifact into `slot`, reports download progress to
/// a progress bar, and remembers what it installed.
#[derive(Debug)]
pub struct SlotInstaller {
    slot: PathBuf,
    bar: Option<ProgressBar>,
    installed: Mutex<Option<Installed>>,
}

impl SlotInstaller {
    /// An installer writing into `slot` (created on first install).
    pub fn new(slot: impl AsRef<Path>, bar: Option<ProgressBar>) -> Self {
        Self {
            slot: slot.as_ref().to_owned(),
            bar,
            installed: Mutex::new(None),
        }
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
        if let Some(bar) = &self.bar {
            bar.finish_with_message(format!("installed {}", versions.join(", ")));
        }
        let details = vec![format!("installed {bytes} bytes into the inactive slot")];
        if let Ok(mut slot) = self.installed.lock() {
            *slot = Some(Installed { versions, bytes });
        }
        InstallOutcome {
            success: true,
            code: Some(0),
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
