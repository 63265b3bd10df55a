//! Server side: serve one image to any number of devices from their statuses.
//!
//! [`Session::respond`] is a pure function of the session's image and one
//! device status. Because every decision comes from what the device says
//! about itself (running digest, target, next offset, boot outcome), lost,
//! duplicated or reordered messages and device restarts need no server
//! state: the worst a stale status causes is a chunk the device ignores as
//! a duplicate or refuses as out of place, after which its next status puts
//! things right. Replacing the image ([`Session::replace_image`]) makes
//! devices that were receiving the old one restart at offset 0.

mod image;

use crate::wire::{
    self, Abort, BootOutcome, Frame, Message, ResetCause, ResultCode, RevertReason, Status, Swap,
    Sync, Wait, Write,
};

pub use image::ServedImage;

/// Session settings. Defaults: 4096-byte chunks, frames up to 65 539 bytes,
/// CRC-32 on every write, poll 3600 s when synced, 60 s when waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionConfig {
    max_chunk: u32,
    max_frame: usize,
    crc: bool,
    sync_poll_secs: u32,
    wait_poll_secs: u32,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl SessionConfig {
    /// The defaults.
    pub const fn new() -> Self {
        Self {
            max_chunk: 4096,
            max_frame: wire::MAX_FRAME_LEN,
            crc: true,
            sync_poll_secs: 3600,
            wait_poll_secs: 60,
        }
    }

    /// Largest chunk the server sends (the device's limit also applies).
    pub fn max_chunk(&mut self, bytes: u32) -> &mut Self {
        self.max_chunk = bytes;
        self
    }

    /// Largest frame the transport carries (header included).
    pub fn max_frame(&mut self, bytes: usize) -> &mut Self {
        self.max_frame = bytes;
        self
    }

    /// Whether writes carry a CRC-32 trailer (default true).
    pub fn crc(&mut self, on: bool) -> &mut Self {
        self.crc = on;
        self
    }

    /// Poll interval sent with `Sync` (default 3600 s).
    pub fn sync_poll_secs(&mut self, secs: u32) -> &mut Self {
        self.sync_poll_secs = secs;
        self
    }

    /// Poll interval sent with `Wait` (default 60 s).
    pub fn wait_poll_secs(&mut self, secs: u32) -> &mut Self {
        self.wait_poll_secs = secs;
        self
    }
}

/// Where one device stands, as seen from its status (for dashboards and demos).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Progress {
    /// No image is being served.
    NoImage,
    /// The device runs the served image and it is confirmed.
    UpToDate,
    /// The device runs an image on trial; it was told to confirm it.
    Confirming {
        /// The boot attempt the device is on.
        attempt: u8,
    },
    /// Chunks are flowing.
    Transferring {
        /// The offset just sent.
        offset: u32,
        /// Image size.
        total: u32,
        /// The device's last result (not `Ok` after a refusal or failed verification).
        last_result: ResultCode,
    },
    /// The image is complete on the device; it was told to verify and swap.
    Installing,
    /// The device rolled the served image back; it is not offered again.
    RolledBack {
        /// Why.
        reason: RevertReason,
        /// Reset cause the bootloader saw.
        reset_cause: ResetCause,
        /// Boots the image was given.
        attempts: u8,
    },
    /// The device will not take the served image: it failed verification
    /// there [`MAX_VERIFY_FAILURES`](crate::updater::MAX_VERIFY_FAILURES)
    /// times (`UnsupportedImage`), or its signature did not verify and this
    /// session has none to offer (`SignatureInvalid`). It is not sent again
    /// until the device reboots or another image is served.
    Refused {
        /// The device's code.
        code: ResultCode,
    },
    /// The device's advertised chunk limit leaves no room in a frame.
    ChunkTooSmall,
}

/// The command for one status, with the device's progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reply<'s> {
    /// The frame to send back (the correlation id is echoed).
    pub frame: Frame<'s>,
    /// What the status said about the device.
    pub progress: Progress,
}

/// Serves one image to many devices.
#[derive(Debug, Clone)]
pub struct Session<'a> {
    image: Option<ServedImage<'a>>,
    config: SessionConfig,
}

impl<'a> Session<'a> {
    /// A session serving `image` (or nothing).
    pub fn new(image: Option<ServedImage<'a>>, config: SessionConfig) -> Self {
        Self { image, config }
    }

    /// The image being served.
    pub fn image(&self) -> Option<&ServedImage<'a>> {
        self.image.as_ref()
    }

    /// Serves another image from now on; devices part-way through the old
    /// one start the new one at offset 0.
    pub fn replace_image(&mut self, image: Option<ServedImage<'a>>) {
        self.image = image;
    }

    /// Answers a device frame. Frames other than a status get a `Wait`.
    pub fn respond_to_frame(&self, frame: &Frame<'_>) -> Reply<'_> {
        match &frame.message {
            Message::Status(s) => self.respond(frame.correlation_id, s),
            _ => Reply {
                frame: Frame {
                    correlation_id: frame.correlation_id,
                    message: Message::Wait(Wait {
                        poll_secs: self.config.wait_poll_secs,
                    }),
                },
                progress: Progress::NoImage,
            },
        }
    }

    /// Answers one device status.
    pub fn respond(&self, correlation_id: Option<u32>, status: &Status<'_>) -> Reply<'_> {
        let (message, progress) = self.decide(status, correlation_id.is_some());
        Reply {
            frame: Frame {
                correlation_id,
                message,
            },
            progress,
        }
    }

    fn decide(&self, s: &Status<'_>, correlated: bool) -> (Message<'_>, Progress) {
        let wait = Message::Wait(Wait {
            poll_secs: self.config.wait_poll_secs,
        });
        let sync = Message::Sync(Sync {
            poll_secs: self.config.sync_poll_secs,
        });
        let Some(img) = &self.image else {
            return (wait, Progress::NoImage);
        };
        let id = img.id();
        if s.digest == *img.digest() {
            return match s.boot {
                BootOutcome::Trial { attempt, .. } => (sync, Progress::Confirming { attempt }),
                _ => (sync, Progress::UpToDate),
            };
        }
        match s.boot {
            BootOutcome::Reverted {
                image_id,
                reason,
                reset_cause,
                attempts,
            } if image_id == id => {
                return (
                    wait,
                    Progress::RolledBack {
                        reason,
                        reset_cause,
                        attempts,
                    },
                );
            }
            // Another image on trial: let it confirm first, the update follows.
            BootOutcome::Trial { attempt, .. } => return (sync, Progress::Confirming { attempt }),
            _ => {}
        }
        let total = img.size();
        // The device names the image its failure code is about (at offset
        // 0). Re-sending the same bytes cannot help when it refuses the image
        // for good, or when the signature failed and there is none to send.
        if let Some(t) = s.target
            && t.image_id == id
            && t.next_offset == 0
        {
            let hopeless = match s.last_result {
                ResultCode::UnsupportedImage => true,
                ResultCode::SignatureInvalid => img.signature().is_none(),
                _ => false,
            };
            if hopeless {
                return (
                    wait,
                    Progress::Refused {
                        code: s.last_result,
                    },
                );
            }
        }
        let next = match s.target {
            Some(t) if t.image_id == id && t.next_offset == total => {
                let swap = Swap {
                    image_id: id,
                    size: total,
                    digest: *img.digest(),
                    signature: img.signature(),
                };
                return (Message::Swap(swap), Progress::Installing);
            }
            Some(t) if t.image_id == id && t.next_offset > total => {
                let abort = Abort {
                    image_id: id,
                    code: ResultCode::BadOffset,
                };
                return (
                    Message::Abort(abort),
                    Progress::Transferring {
                        offset: 0,
                        total,
                        last_result: s.last_result,
                    },
                );
            }
            Some(t) if t.image_id == id => t.next_offset,
            // No transfer, or one of a replaced image: start over.
            _ => 0,
        };
        let Some(chunk) = wire::chunk_size(
            s.max_chunk,
            self.config.max_chunk,
            self.config.max_frame,
            self.config.crc,
            correlated,
        ) else {
            return (wait, Progress::ChunkTooSmall);
        };
        let end = next.saturating_add(chunk).min(total);
        let data = img
            .data()
            .get(next as usize..end as usize)
            .unwrap_or_default();
        let write = Write {
            image_id: id,
            offset: next,
            data,
            crc: self.config.crc,
        };
        (
            Message::Write(write),
            Progress::Transferring {
                offset: next,
                total,
                last_result: s.last_result,
            },
        )
    }
}
