//! From SMP upload requests to this crate's commands.

use super::body::{StateWrite, UploadRequest, UploadResponse};
use crate::wire::{self, Digest, Message, Swap, Write};

/// Remembers what the first upload chunk announced (length, SHA-256) and
/// turns SMP requests into `Write` and `Swap` messages for the updater.
///
/// The image id is derived from `sha`, so the client must send it (the
/// SMP spec makes it optional; without it this bridge refuses the upload).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UploadBridge {
    upload: Option<(u32, Digest)>,
}

impl UploadBridge {
    /// A bridge with no upload in progress.
    pub const fn new() -> Self {
        Self { upload: None }
    }

    /// The `Write` for an upload request, or `None` if the request cannot
    /// be placed (a later chunk without a first one, or no usable `sha`).
    pub fn write<'a>(&mut self, req: &UploadRequest<'a>) -> Option<Message<'a>> {
        if req.off == 0 {
            let sha: Digest = req.sha?.try_into().ok()?;
            self.upload = Some((req.len?, sha));
        }
        let (_, sha) = self.upload?;
        Some(Message::Write(Write {
            image_id: wire::image_id(&sha),
            offset: req.off,
            data: req.data,
            crc: false,
        }))
    }

    /// The response to send after the updater handled the write.
    pub fn response(&self, next_offset: u32) -> UploadResponse {
        UploadResponse {
            off: next_offset,
            matched: None,
        }
    }

    /// The `Swap` for a "mark for test" state write naming the uploaded image.
    pub fn swap(&self, state: &StateWrite<'_>) -> Option<Message<'static>> {
        let (len, sha) = self.upload?;
        if state.confirm || state.hash? != sha.as_slice() {
            return None;
        }
        Some(Message::Swap(Swap {
            image_id: wire::image_id(&sha),
            size: len,
            digest: sha,
            signature: None,
        }))
    }
}
