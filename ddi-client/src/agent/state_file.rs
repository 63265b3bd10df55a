//! The persisted [`ActionState`](super::ActionState), written atomically.

use std::path::{Path, PathBuf};

use super::decide::ActionState;
use crate::error::{Error, Result};

/// A JSON file holding the state of the action in progress.
#[derive(Debug, Clone)]
pub(crate) struct StateFile {
    path: PathBuf,
}

impl StateFile {
    pub(crate) fn new(path: PathBuf) -> Self {
        Self { path }
    }

    /// The stored state; an unreadable file counts as none (and is logged),
    /// because starting an action over is always safe.
    pub(crate) async fn load(&self) -> Option<ActionState> {
        let bytes = tokio::fs::read(&self.path).await.ok()?;
        match serde_json::from_slice(&bytes) {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::warn!(error = %e, "ignoring unreadable agent state file");
                None
            }
        }
    }

    /// Writes to a temporary name and renames, so a crash never leaves a
    /// half-written state.
    pub(crate) async fn store(&self, state: Option<&ActionState>) -> Result<()> {
        let Some(state) = state else {
            return match tokio::fs::remove_file(&self.path).await {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io(e)),
                _ => Ok(()),
            };
        };
        // The agent's work folder may not exist yet on a fresh device.
        if let Some(dir) = self.path.parent() {
            tokio::fs::create_dir_all(dir).await.map_err(Error::io)?;
        }
        let tmp = tmp_path(&self.path);
        let bytes = serde_json::to_vec(state).map_err(|e| Error::io(std::io::Error::other(e)))?;
        let mut file = tokio::fs::File::create(&tmp).await.map_err(Error::io)?;
        tokio::io::AsyncWriteExt::write_all(&mut file, &bytes)
            .await
            .map_err(Error::io)?;
        // Without the sync a power cut after the rename can leave an empty
        // file under the final name on some file systems.
        file.sync_all().await.map_err(Error::io)?;
        drop(file);
        tokio::fs::rename(&tmp, &self.path).await.map_err(Error::io)
    }
}

fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".tmp");
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::Phase;

    #[tokio::test]
    async fn stores_into_a_work_folder_that_does_not_exist_yet() {
        let tmp = tempfile::tempdir().unwrap();
        let file = StateFile::new(tmp.path().join("fresh/agent/agent-state.json"));
        assert_eq!(file.load().await, None);
        let state = ActionState {
            id: serde_json::from_str("\"17\"").unwrap(),
            phase: Phase::Downloaded,
        };
        file.store(Some(&state)).await.unwrap();
        assert_eq!(file.load().await, Some(state));
        // No temporary file is left next to the state.
        let names: Vec<_> = std::fs::read_dir(tmp.path().join("fresh/agent"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["agent-state.json"]);
        file.store(None).await.unwrap();
        assert_eq!(file.load().await, None);
    }
}
