//! The device-side updater: sans-IO, no allocation, over any [`Flash`].
//!
//! Feed it every decoded command with [`Updater::handle`]; it answers with
//! an [`Action`] for the application and keeps [`Updater::status`] current.
//! Chunks go straight to the update bank; every time a whole erase page is
//! complete, `(image id, next offset)` is appended to the progress log, so
//! after a reboot [`Updater::open`] resumes from the last complete page.
//! Before asking for the swap it hashes the image back from flash and
//! compares it with the SHA-256 of the `Swap` command (and, with the
//! `ed25519` feature and a key configured, checks the signature).

mod config;
mod progress;

use crate::boot::{self, BootError, BootInfo, ImageInfo, Phase};
use crate::flash::layout_sizes::erase_size;
use crate::flash::{Flash, Layout, MAX_WRITE_SIZE, program, sha256_of};
use crate::wire::{
    Abort, Message, ResultCode, RevertReason, Status, Swap, Target, Write, image_id,
};
use progress::{ProgressLog, Resume};

pub use config::UpdaterConfig;

/// Errors that stop the updater: the flash failed or is unusable.
///
/// Protocol-level refusals are not errors; they come back as
/// [`Action::Refused`] and leave the state untouched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum UpdaterError {
    /// A flash operation failed (on the simulator: the power was cut).
    #[error("flash operation failed")]
    Flash,
    /// The layout does not fit the flash.
    #[error("invalid flash layout")]
    InvalidLayout,
    /// The configuration is out of range.
    #[error("invalid updater configuration")]
    InvalidConfig,
}

impl From<BootError> for UpdaterError {
    fn from(e: BootError) -> Self {
        match e {
            BootError::Flash => Self::Flash,
            BootError::BadAttempts => Self::InvalidConfig,
            _ => Self::InvalidLayout,
        }
    }
}

/// What the application should do after a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Send the next status now.
    Continue,
    /// Sleep this long, then send a status.
    Sleep {
        /// Seconds.
        poll_secs: u32,
    },
    /// The server says the device is up to date.
    Synced {
        /// Seconds until the next status.
        poll_secs: u32,
        /// The running image is on trial: run the health check, then call
        /// [`Updater::confirm`] or [`Updater::reject`].
        confirm_pending: bool,
    },
    /// The image is verified and the swap requested: reset the device.
    Reset,
    /// The command was refused; nothing changed. The code is reported in the next status.
    Refused(ResultCode),
}

/// The device-side update state machine.
#[derive(Debug)]
pub struct Updater<F> {
    flash: F,
    layout: Layout,
    config: UpdaterConfig,
    log: ProgressLog,
    boot: BootInfo,
    target: Option<u32>,
    /// Image bytes already programmed (a multiple of the write size).
    flushed: u32,
    /// Bytes after `flushed` waiting for a whole write unit.
    stage: [u8; MAX_WRITE_SIZE],
    staged: usize,
    /// Update-bank bytes from `flushed` up to here are known erased.
    erased_end: u32,
    /// The resume point last written to the log.
    persisted: u32,
    last_result: ResultCode,
    /// The last image that failed verification (digest or signature) since
    /// the device started, and how often. Reported in the status; after
    /// [`MAX_VERIFY_FAILURES`] its writes are refused. RAM only: a reboot
    /// gives the image another chance.
    failed: Option<(u32, u8)>,
}

/// Failed verifications of one image after which the device refuses it
/// (`UnsupportedImage`) instead of receiving it again: twice can be
/// corruption in transit or in flash, a third time it is the image.
pub const MAX_VERIFY_FAILURES: u8 = 3;

impl<F: Flash> Updater<F> {
    /// Reads the boot state and the progress log and resumes any transfer.
    pub fn open(mut flash: F, layout: Layout, config: UpdaterConfig) -> Result<Self, UpdaterError> {
        layout
            .validate(&flash)
            .map_err(|_| UpdaterError::InvalidLayout)?;
        if config.max_attempts == 0 || config.max_chunk == 0 {
            return Err(UpdaterError::InvalidConfig);
        }
        let boot = boot::read_info(&mut flash, &layout)?;
        let (log, resume) = ProgressLog::load(&mut flash, &layout)?;
        let e = erase_size(&flash);
        // While an update is pending or on trial the update bank holds the
        // rollback image; no transfer may touch it.
        let resume = resume.filter(|r| {
            boot.phase == Phase::Idle && r.next % e == 0 && r.next <= layout.active.size
        });
        let next = resume.map_or(0, |r| r.next);
        Ok(Self {
            flash,
            layout,
            config,
            log,
            boot,
            target: resume.map(|r| r.image_id),
            flushed: next,
            stage: [0xFF; MAX_WRITE_SIZE],
            staged: 0,
            erased_end: next,
            persisted: next,
            last_result: ResultCode::Ok,
            failed: None,
        })
    }

    /// Gives the flash back.
    pub fn into_flash(self) -> F {
        self.flash
    }

    /// The flash, for reading.
    pub fn flash(&self) -> &F {
        &self.flash
    }

    /// The flash, for the application's own regions. Writing inside the
    /// layout's regions behind the updater's back voids its guarantees.
    pub fn flash_mut(&mut self) -> &mut F {
        &mut self.flash
    }

    /// The boot state read at open (refreshed by confirm/reject/swap).
    pub fn boot_info(&self) -> BootInfo {
        self.boot
    }

    /// The next offset of the transfer in progress.
    pub fn next_offset(&self) -> u32 {
        self.flushed + self.staged as u32
    }

    /// The status to send; `version` is the running firmware's version string.
    pub fn status<'a>(&self, version: &'a [u8]) -> Status<'a> {
        Status {
            version,
            digest: self.boot.active.digest,
            max_chunk: self.config.max_chunk,
            boot: self.boot.outcome,
            last_result: self.last_result,
            // An image that failed verification shows as its id at offset 0
            // next to the failure code, so a server can tell which image the
            // code is about (see `server::Session`).
            target: self
                .target
                .map(|image_id| Target {
                    image_id,
                    next_offset: self.next_offset(),
                })
                .or(self.failed.map(|(image_id, _)| Target {
                    image_id,
                    next_offset: 0,
                })),
        }
    }

    /// Applies one server command.
    pub fn handle(&mut self, message: &Message<'_>) -> Result<Action, UpdaterError> {
        match message {
            Message::Wait(w) => Ok(Action::Sleep {
                poll_secs: w.poll_secs,
            }),
            Message::Sync(s) => Ok(Action::Synced {
                poll_secs: s.poll_secs,
                confirm_pending: self.boot.phase == Phase::Trial,
            }),
            Message::Write(w) => self.write(w),
            Message::Swap(s) => self.swap(s),
            Message::Abort(a) => self.abort(a),
            Message::Status(_) | Message::Unknown { .. } => Ok(Action::Continue),
        }
    }

    /// Confirms the running image after the health check passed.
    pub fn confirm(&mut self) -> Result<(), UpdaterError> {
        boot::confirm(&mut self.flash, &self.layout)?;
        self.boot = boot::read_info(&mut self.flash, &self.layout)?;
        Ok(())
    }

    /// Rejects the running trial image; reset afterwards to roll back.
    pub fn reject(&mut self, reason: RevertReason) -> Result<(), UpdaterError> {
        boot::reject(&mut self.flash, &self.layout, reason)?;
        self.boot = boot::read_info(&mut self.flash, &self.layout)?;
        Ok(())
    }

    fn refuse(&mut self, code: ResultCode) -> Result<Action, UpdaterError> {
        self.last_result = code;
        Ok(Action::Refused(code))
    }

    fn write(&mut self, w: &Write<'_>) -> Result<Action, UpdaterError> {
        if self.boot.phase != Phase::Idle {
            return self.refuse(ResultCode::Busy);
        }
        let len = u32::try_from(w.data.len()).unwrap_or(u32::MAX);
        let Some(end) = w.offset.checked_add(len) else {
            return self.refuse(ResultCode::BadOffset);
        };
        if end > self.layout.active.size {
            return self.refuse(ResultCode::NoSpace);
        }
        if let Some((failed, n)) = self.failed
            && failed == w.image_id
            && n >= MAX_VERIFY_FAILURES
        {
            return self.refuse(ResultCode::UnsupportedImage);
        }
        if self.target != Some(w.image_id) {
            if w.offset != 0 {
                return self.refuse(ResultCode::BadOffset);
            }
            // Record the new target before any page of the old one is erased.
            self.log.append(
                &mut self.flash,
                &self.layout,
                Some(Resume {
                    image_id: w.image_id,
                    next: 0,
                }),
            )?;
            self.target = Some(w.image_id);
            self.flushed = 0;
            self.staged = 0;
            self.erased_end = 0;
            self.persisted = 0;
        }
        let next = self.next_offset();
        if end <= next {
            // A duplicate: already written.
            return Ok(Action::Continue);
        }
        if w.offset > next {
            return self.refuse(ResultCode::BadOffset);
        }
        let skip = (next - w.offset) as usize;
        let fresh = w.data.get(skip..).unwrap_or_default();
        self.append(fresh)?;
        self.last_result = ResultCode::Ok;
        let e = erase_size(&self.flash);
        let complete = self.flushed / e * e;
        if complete > self.persisted {
            let image_id = w.image_id;
            self.log.append(
                &mut self.flash,
                &self.layout,
                Some(Resume {
                    image_id,
                    next: complete,
                }),
            )?;
            self.persisted = complete;
        }
        Ok(Action::Continue)
    }

    fn append(&mut self, mut data: &[u8]) -> Result<(), UpdaterError> {
        let w = self.flash.write_size();
        if self.staged > 0 {
            let n = (w - self.staged).min(data.len());
            let (now, rest) = data.split_at(n);
            if let Some(dst) = self.stage.get_mut(self.staged..self.staged + n) {
                dst.copy_from_slice(now);
            }
            self.staged += n;
            data = rest;
            if self.staged == w {
                let unit = self.stage;
                self.program_unit(unit.get(..w).unwrap_or_default())?;
                self.staged = 0;
            }
        }
        let whole = data.len() / w * w;
        if whole > 0 {
            let (now, rest) = data.split_at(whole);
            self.program_unit(now)?;
            data = rest;
        }
        if !data.is_empty() {
            self.stage = [0xFF; MAX_WRITE_SIZE];
            if let Some(dst) = self.stage.get_mut(..data.len()) {
                dst.copy_from_slice(data);
            }
            self.staged = data.len();
        }
        Ok(())
    }

    /// Programs whole write units at `flushed`, erasing pages on first touch.
    fn program_unit(&mut self, bytes: &[u8]) -> Result<(), UpdaterError> {
        let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
        let end = self.flushed + len;
        let e = erase_size(&self.flash);
        let base = self.layout.update.offset;
        while self.erased_end < end {
            let page = base + self.erased_end;
            self.flash
                .erase(page, page + e)
                .map_err(|_| UpdaterError::Flash)?;
            self.erased_end += e;
        }
        program(&mut self.flash, base + self.flushed, bytes).map_err(|_| UpdaterError::Flash)?;
        self.flushed = end;
        Ok(())
    }

    fn clear_target(&mut self) -> Result<(), UpdaterError> {
        self.log.append(&mut self.flash, &self.layout, None)?;
        self.target = None;
        self.flushed = 0;
        self.staged = 0;
        self.erased_end = 0;
        self.persisted = 0;
        Ok(())
    }

    fn swap(&mut self, s: &Swap<'_>) -> Result<Action, UpdaterError> {
        match self.boot.phase {
            Phase::SwapPending => return Ok(Action::Reset),
            Phase::Idle => {}
            Phase::Trial | Phase::Reverting => return self.refuse(ResultCode::Busy),
        }
        if self.target != Some(s.image_id) || self.next_offset() != s.size || s.size == 0 {
            return self.refuse(ResultCode::BadOffset);
        }
        if image_id(&s.digest) != s.image_id {
            return self.refuse(ResultCode::IntegrityFailure);
        }
        if self.staged > 0 {
            // Pad the last unit with erased bytes; the hash covers only `size`.
            let unit = self.stage;
            self.staged = 0;
            self.program_unit(unit.get(..self.flash.write_size()).unwrap_or_default())?;
        }
        let digest = sha256_of(&mut self.flash, self.layout.update.offset, s.size)
            .map_err(|_| UpdaterError::Flash)?;
        if digest != s.digest {
            return self.verification_failed(s.image_id, ResultCode::IntegrityFailure);
        }
        if !self.signature_ok(s) {
            return self.verification_failed(s.image_id, ResultCode::SignatureInvalid);
        }
        let image = ImageInfo {
            size: s.size,
            digest,
        };
        boot::request_swap(
            &mut self.flash,
            &self.layout,
            image,
            self.config.max_attempts,
        )?;
        self.clear_target()?;
        self.boot = boot::read_info(&mut self.flash, &self.layout)?;
        self.last_result = ResultCode::Ok;
        self.failed = None;
        Ok(Action::Reset)
    }

    /// Drops a complete image that failed verification and counts the
    /// failure; the third one for the same image makes it refused.
    fn verification_failed(
        &mut self,
        image_id: u32,
        code: ResultCode,
    ) -> Result<Action, UpdaterError> {
        self.clear_target()?;
        let n = match self.failed {
            Some((id, n)) if id == image_id => n.saturating_add(1),
            _ => 1,
        };
        self.failed = Some((image_id, n));
        if n >= MAX_VERIFY_FAILURES {
            return self.refuse(ResultCode::UnsupportedImage);
        }
        self.refuse(code)
    }

    #[cfg(feature = "ed25519")]
    fn signature_ok(&self, s: &Swap<'_>) -> bool {
        use ed25519_dalek::{Signature, VerifyingKey};
        let Some(key) = self.config.verifying_key else {
            return true;
        };
        let (Some(sig), Ok(key)) = (s.signature, VerifyingKey::from_bytes(&key)) else {
            return false;
        };
        key.verify_strict(&s.digest, &Signature::from_bytes(sig))
            .is_ok()
    }

    #[cfg(not(feature = "ed25519"))]
    fn signature_ok(&self, _s: &Swap<'_>) -> bool {
        true
    }

    fn abort(&mut self, a: &Abort) -> Result<Action, UpdaterError> {
        if self.target == Some(a.image_id) {
            self.clear_target()?;
            self.last_result = a.code;
        }
        Ok(Action::Continue)
    }
}
