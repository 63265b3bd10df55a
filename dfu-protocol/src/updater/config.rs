//! Updater settings.

use crate::boot::DEFAULT_MAX_ATTEMPTS;

/// Settings of an [`Updater`](super::Updater). Defaults: 4096-byte chunks,
/// three boot attempts, and (with the `ed25519` feature) no signature key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpdaterConfig {
    pub(crate) max_chunk: u32,
    pub(crate) max_attempts: u8,
    #[cfg(feature = "ed25519")]
    pub(crate) verifying_key: Option<[u8; 32]>,
}

impl Default for UpdaterConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl UpdaterConfig {
    /// The defaults.
    pub const fn new() -> Self {
        Self {
            max_chunk: 4096,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            #[cfg(feature = "ed25519")]
            verifying_key: None,
        }
    }

    /// Largest `Write` payload to advertise (default 4096). It should not
    /// exceed what the receive buffer holds minus the write overhead.
    pub fn max_chunk(&mut self, bytes: u32) -> &mut Self {
        self.max_chunk = bytes;
        self
    }

    /// Boots a new image gets before rollback (default 3, at least 1).
    pub fn max_attempts(&mut self, attempts: u8) -> &mut Self {
        self.max_attempts = attempts;
        self
    }

    /// Requires every `Swap` to carry an ed25519 signature over the image
    /// digest that verifies with this public key.
    #[cfg(feature = "ed25519")]
    pub fn verifying_key(&mut self, key: [u8; 32]) -> &mut Self {
        self.verifying_key = Some(key);
        self
    }
}
