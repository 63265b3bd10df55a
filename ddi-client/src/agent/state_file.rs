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
        let tmp = tmp_path(&self.path);
        let bytes = serde_json::to_vec(state).map_err(|e| Error::io(std::io::Error::other(e)))?;
        tokio::fs::write(&tmp, bytes).await.map_err(Error::io)?;
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
