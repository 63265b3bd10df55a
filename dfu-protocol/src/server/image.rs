//! The image a session serves.

use sha2::{Digest as _, Sha256};

use crate::wire::{self, Digest};

/// An image with its digest, id and optional signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedImage<'a> {
    data: &'a [u8],
    digest: Digest,
    signature: Option<[u8; 64]>,
}

impl<'a> ServedImage<'a> {
    /// Hashes `data`. Images larger than 4 GiB − 1 are cut at `u32::MAX` bytes.
    pub fn new(data: &'a [u8]) -> Self {
        let data = data
            .get(..data.len().min(u32::MAX as usize))
            .unwrap_or_default();
        Self {
            data,
            digest: Sha256::digest(data).into(),
            signature: None,
        }
    }

    /// An image whose SHA-256 is already known (from the build pipeline or
    /// the update server's metadata), so it is not hashed again. A digest
    /// that does not match the bytes makes devices refuse the image after
    /// receiving it: [`MAX_VERIFY_FAILURES`](crate::updater::MAX_VERIFY_FAILURES)
    /// times, then for good.
    pub fn with_known_digest(data: &'a [u8], digest: Digest) -> Self {
        let data = data
            .get(..data.len().min(u32::MAX as usize))
            .unwrap_or_default();
        Self {
            data,
            digest,
            signature: None,
        }
    }

    /// Attaches an ed25519 signature over the digest, sent with `Swap`.
    pub fn with_signature(mut self, signature: [u8; 64]) -> Self {
        self.signature = Some(signature);
        self
    }

    /// The bytes.
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    /// Size in bytes.
    pub fn size(&self) -> u32 {
        u32::try_from(self.data.len()).unwrap_or(u32::MAX)
    }

    /// SHA-256.
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// The wire image id.
    pub fn id(&self) -> u32 {
        wire::image_id(&self.digest)
    }

    /// The signature, if any.
    pub fn signature(&self) -> Option<&[u8; 64]> {
        self.signature.as_ref()
    }
}
