//! The bootloader (`fu_dfu_boot`, once per reset), factory provisioning,
//! and the boot-state types the updater reports too.

use dfu_protocol::boot::{self, Boot, BootInfo, Bootloader, ImageInfo, Phase};
use dfu_protocol::flash::Layout;
use dfu_protocol::wire::{BootOutcome, ResetCause, RevertReason};

use super::codes::*;
use super::errors;
use super::flash::{fu_dfu_flash, fu_dfu_layout};
use crate::ptr;
use crate::result::fu_result;

/// An image as the bootloader records it.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct fu_dfu_image_info {
    /// Size in bytes.
    pub size: u32,
    /// SHA-256 of those bytes.
    pub digest: [u8; 32],
}

/// What happened to the last update, as reported upstream in the status.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct fu_dfu_boot_outcome {
    /// `FU_DFU_OUTCOME_*`; the fields below that it names are set, the others 0.
    pub kind: fu_dfu_outcome_kind,
    /// TRIAL: the boot attempt (1-based).
    pub attempt: u8,
    /// REVERTED: why.
    pub reason: fu_dfu_revert_reason,
    /// REVERTED: the reset cause the bootloader saw.
    pub reset_cause: fu_dfu_reset_cause,
    /// REVERTED: boots the image was given.
    pub attempts: u8,
    /// CONFIRMED, TRIAL, REVERTED, OTHER: the image id.
    pub image_id: u32,
    /// The outcome's wire bytes (all kinds; what OTHER is decoded from).
    pub raw: [u8; 8],
}

/// The bootloader's decision for this reset.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct fu_dfu_boot_decision {
    /// The image to start: always the active bank, this size and digest.
    pub image: fu_dfu_image_info,
    /// `FU_DFU_PHASE_IDLE` or `FU_DFU_PHASE_TRIAL` (the image must confirm itself).
    pub phase: fu_dfu_phase,
    /// What the application will report.
    pub outcome: fu_dfu_boot_outcome,
}

/// The boot state as the application sees it.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct fu_dfu_boot_info {
    /// `FU_DFU_PHASE_*`.
    pub phase: fu_dfu_phase,
    /// The image in the active bank.
    pub active: fu_dfu_image_info,
    /// What to report upstream.
    pub outcome: fu_dfu_boot_outcome,
}

impl From<ImageInfo> for fu_dfu_image_info {
    fn from(i: ImageInfo) -> Self {
        Self {
            size: i.size,
            digest: i.digest,
        }
    }
}

pub(crate) fn phase(p: Phase) -> fu_dfu_phase {
    match p {
        Phase::Idle => FU_DFU_PHASE_IDLE,
        Phase::SwapPending => FU_DFU_PHASE_SWAP_PENDING,
        Phase::Trial => FU_DFU_PHASE_TRIAL,
        Phase::Reverting => FU_DFU_PHASE_REVERTING,
    }
}

impl From<BootOutcome> for fu_dfu_boot_outcome {
    fn from(o: BootOutcome) -> Self {
        let raw = o.to_bytes();
        let none = Self {
            raw,
            ..Self::default()
        };
        match o {
            BootOutcome::None => none,
            BootOutcome::Confirmed { image_id } => Self {
                kind: FU_DFU_OUTCOME_CONFIRMED,
                image_id,
                ..none
            },
            BootOutcome::Trial { image_id, attempt } => Self {
                kind: FU_DFU_OUTCOME_TRIAL,
                image_id,
                attempt,
                ..none
            },
            BootOutcome::Reverted {
                image_id,
                reason,
                reset_cause,
                attempts,
            } => Self {
                kind: FU_DFU_OUTCOME_REVERTED,
                image_id,
                reason: reason.to_u8(),
                reset_cause: reset_cause.to_u8(),
                attempts,
                ..none
            },
            BootOutcome::Other { image_id, .. } => Self {
                kind: FU_DFU_OUTCOME_OTHER,
                image_id,
                ..none
            },
        }
    }
}

impl fu_dfu_boot_outcome {
    /// The outcome these fields describe; an unknown kind is read from `raw`.
    pub(crate) fn to_outcome(self) -> BootOutcome {
        match self.kind {
            FU_DFU_OUTCOME_NONE => BootOutcome::None,
            FU_DFU_OUTCOME_CONFIRMED => BootOutcome::Confirmed {
                image_id: self.image_id,
            },
            FU_DFU_OUTCOME_TRIAL => BootOutcome::Trial {
                image_id: self.image_id,
                attempt: self.attempt,
            },
            FU_DFU_OUTCOME_REVERTED => BootOutcome::Reverted {
                image_id: self.image_id,
                reason: RevertReason::from_u8(self.reason),
                reset_cause: ResetCause::from_u8(self.reset_cause),
                attempts: self.attempts,
            },
            _ => BootOutcome::from_bytes(self.raw),
        }
    }
}

impl From<Boot> for fu_dfu_boot_decision {
    fn from(b: Boot) -> Self {
        Self {
            image: b.image.into(),
            phase: phase(b.phase),
            outcome: b.outcome.into(),
        }
    }
}

impl From<BootInfo> for fu_dfu_boot_info {
    fn from(b: BootInfo) -> Self {
        Self {
            phase: phase(b.phase),
            active: b.active.into(),
            outcome: b.outcome.into(),
        }
    }
}

/// Runs the bootloader's state machine for this reset and says what to start.
///
/// Call it once per reset, before starting the application, with the reset
/// cause the hardware reports. It may swap a pending image in (verified
/// before and after), count a trial boot, or roll back; every flash change
/// it makes is resumable, so a power cut inside this call is finished by
/// the next one. On `FU_OK` start the active bank. On `FU_ERR_DFU_FLASH`
/// start the active bank anyway and let the next reset retry. Any other
/// error is a wrong flash table or layout (a firmware bug).
///
/// # Safety
/// `flash` and `layout` point to valid structs (copied before the call
/// returns); `out` points to writable memory for one
/// `fu_dfu_boot_decision`, written only on success. The flash callbacks
/// must be callable during this call.
#[allow(unsafe_code, reason = "exported C symbol")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fu_dfu_boot(
    flash: *const fu_dfu_flash,
    layout: *const fu_dfu_layout,
    reset_cause: fu_dfu_reset_cause,
    out: *mut fu_dfu_boot_decision,
) -> fu_result {
    crate::boundary::call(|| {
        crate::status(|| {
            let flash = ptr::input(flash)?.to_flash()?;
            let layout = Layout::from(ptr::input(layout)?);
            let out = ptr::out(out)?;
            layout.validate(&flash).map_err(errors::layout)?;
            let mut loader = Bootloader::new(flash, layout).map_err(errors::boot)?;
            let boot = loader
                .boot(ResetCause::from_u8(reset_cause))
                .map_err(errors::boot)?;
            out.write(boot.into());
            Ok(())
        })
    })
}

/// Writes the first boot-state record at the factory: the image of `size`
/// bytes with SHA-256 `digest` (32 bytes) is in the active bank, confirmed.
///
/// Does nothing if a valid record exists already, so it is safe to call at
/// every start. `fu_dfu_image_init` computes the digest of an image in RAM.
///
/// # Safety
/// `flash` and `layout` point to valid structs; `digest` points to 32
/// readable bytes. The flash callbacks must be callable during this call.
#[allow(unsafe_code, reason = "exported C symbol")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fu_dfu_provision(
    flash: *const fu_dfu_flash,
    layout: *const fu_dfu_layout,
    size: u32,
    digest: *const u8,
) -> fu_result {
    crate::boundary::call(|| {
        crate::status(|| {
            let mut flash = ptr::input(flash)?.to_flash()?;
            let layout = Layout::from(ptr::input(layout)?);
            let digest = *ptr::array::<32>(digest)?;
            layout.validate(&flash).map_err(errors::layout)?;
            boot::provision(&mut flash, &layout, ImageInfo { size, digest })
                .map_err(errors::boot)?;
            Ok(())
        })
    })
}
