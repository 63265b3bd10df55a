//! The device-side updater in caller-owned storage.

use core::ffi::c_int;

use dfu_protocol::flash::Layout;
use dfu_protocol::updater::{Action, Updater, UpdaterConfig};
use dfu_protocol::wire::{Frame, Message, RevertReason};

use dfu_protocol::wire::Feed;

use super::boot::fu_dfu_boot_info;
use super::codes::*;
use super::decoder::{self, fu_dfu_decoder};
use super::errors;
use super::flash::{fu_dfu_flash, fu_dfu_layout};
use super::frame::{encode_into, fu_dfu_frame};
use crate::callback::CFlash;
use crate::ptr;
use crate::result::fu_result;

/// Bytes of `fu_dfu_updater`. Part of the ABI: growing it is a breaking change.
pub const FU_DFU_UPDATER_SIZE: usize = 384;

/// Storage for one updater, owned by the caller (usually a `static`).
///
/// Opaque: only `fu_dfu_updater_*` functions touch it. Zeroed storage (as
/// every `static` is) reads as "not open"; open it with
/// `fu_dfu_updater_open` and close it with `fu_dfu_updater_close`. It must
/// not move or be copied while open.
#[repr(C)]
#[derive(Debug)]
pub struct fu_dfu_updater {
    _opaque: [u64; 48],
}

/// Updater settings; `fu_dfu_updater_config_default` fills the defaults.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct fu_dfu_updater_config {
    /// Largest chunk to advertise (default 4096); the receive buffer must
    /// hold it plus the write overhead (16 bytes, 20 through a gateway).
    pub max_chunk: u32,
    /// Boots a new image gets before it is rolled back (default 3, at least 1).
    pub max_attempts: u8,
}

/// What the application should do after a command.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct fu_dfu_action {
    /// `FU_DFU_ACTION_*`.
    pub kind: fu_dfu_action_kind,
    /// SYNCED: the running image is on trial; run the health check, then
    /// confirm or reject.
    pub confirm_pending: bool,
    /// REFUSED: the wire code, also reported in the next status.
    pub code: fu_dfu_result_code,
    /// SLEEP, SYNCED: seconds until the next status.
    pub poll_secs: u32,
}

type Inner = Updater<CFlash>;
const MAGIC: u32 = u32::from_be_bytes(*b"FUup");
const _: () = assert!(ptr::fits::<fu_dfu_updater, Inner>());
const _: () = assert!(size_of::<fu_dfu_updater>() == FU_DFU_UPDATER_SIZE);

/// Bytes of `fu_dfu_updater` this build uses on this target (the rest is
/// headroom); `ffi/firmware` reports it. Not API, not in the header.
#[doc(hidden)]
pub const UPDATER_STORAGE_USED: usize = size_of::<ptr::Slot<Inner>>();

impl From<Action> for fu_dfu_action {
    fn from(a: Action) -> Self {
        match a {
            Action::Continue => Self::default(),
            Action::Sleep { poll_secs } => Self {
                kind: FU_DFU_ACTION_SLEEP,
                poll_secs,
                ..Self::default()
            },
            Action::Synced {
                poll_secs,
                confirm_pending,
            } => Self {
                kind: FU_DFU_ACTION_SYNCED,
                poll_secs,
                confirm_pending,
                ..Self::default()
            },
            Action::Reset => Self {
                kind: FU_DFU_ACTION_RESET,
                ..Self::default()
            },
            Action::Refused(code) => Self {
                kind: FU_DFU_ACTION_REFUSED,
                code: code.to_u8(),
                ..Self::default()
            },
        }
    }
}

/// Fills `*out` with the defaults: 4096-byte chunks, three boot attempts.
///
/// # Safety
/// `out` is NULL (nothing happens) or points to writable memory.
#[allow(unsafe_code, reason = "exported C symbol")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fu_dfu_updater_config_default(out: *mut fu_dfu_updater_config) {
    crate::boundary::call(|| {
        if let Ok(out) = ptr::out(out) {
            // `UpdaterConfig::new()`'s values (its fields are private); a
            // test checks that a status advertises this chunk size.
            let c = fu_dfu_updater_config {
                max_chunk: 4096,
                max_attempts: dfu_protocol::boot::DEFAULT_MAX_ATTEMPTS,
            };
            out.write(c);
        }
    });
}

/// Opens an updater in `*updater`: reads the boot state and the progress
/// log through the flash callbacks and resumes a transfer in progress.
///
/// The flash table and layout are copied; `flash->ctx` must stay valid
/// until the updater is closed. `config` may be NULL for the defaults.
/// Errors: the layout and geometry codes, `FU_ERR_DFU_INVALID_CONFIG`,
/// `FU_ERR_DFU_FLASH`. Opening an open updater discards its state (it owns
/// nothing), except from inside one of its own callbacks (`FU_ERR_BUSY`).
///
/// # Safety
/// `updater` points to `fu_dfu_updater` storage that stays in place and is
/// used only through this API until closed; `flash` and `layout` point to
/// valid structs; `config` is NULL or points to a valid struct.
#[allow(unsafe_code, reason = "exported C symbol")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fu_dfu_updater_open(
    updater: *mut fu_dfu_updater,
    flash: *const fu_dfu_flash,
    layout: *const fu_dfu_layout,
    config: *const fu_dfu_updater_config,
) -> fu_result {
    crate::boundary::call(|| {
        crate::status(|| {
            let flash = ptr::input(flash)?.to_flash()?;
            let layout = Layout::from(ptr::input(layout)?);
            let mut c = UpdaterConfig::new();
            if !config.is_null() {
                let given = ptr::input(config)?;
                c.max_chunk(given.max_chunk)
                    .max_attempts(given.max_attempts);
            }
            layout.validate(&flash).map_err(errors::layout)?;
            let inner = Inner::open(flash, layout, c).map_err(errors::updater)?;
            ptr::open(updater, MAGIC, inner)
        })
    })
}

/// Applies one server command and says what to do next.
///
/// A refused command is not an error: it returns `FU_OK` with
/// `FU_DFU_ACTION_REFUSED` and the wire code. `FU_ERR_DFU_FLASH` means a
/// flash callback failed (see `fu_dfu_updater_last_flash_error`); the
/// updater stays usable, and after a reset it resumes from the last
/// complete page.
///
/// # Safety
/// `updater` is open storage; `command` points to a valid frame whose
/// pointers are valid for the call; `out` points to writable memory,
/// written only on success.
#[allow(unsafe_code, reason = "exported C symbol")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fu_dfu_updater_handle(
    updater: *mut fu_dfu_updater,
    command: *const fu_dfu_frame,
    out: *mut fu_dfu_action,
) -> fu_result {
    crate::boundary::call(|| {
        crate::status(|| {
            let mut up = ptr::enter::<_, Inner>(updater, MAGIC)?;
            let frame = ptr::input(command)?.to_frame()?;
            let out = ptr::out(out)?;
            let action = up.handle(&frame.message).map_err(errors::updater)?;
            out.write(action.into());
            Ok(())
        })
    })
}

/// What one `fu_dfu_updater_receive` did.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct fu_dfu_receive {
    /// Input bytes used; pass the rest (`len - consumed`) next.
    pub consumed: usize,
    /// `FU_OK`, or the `FU_ERR_DFU_*` decoding code of bytes the decoder
    /// rejected and skipped (the updater saw nothing).
    pub decode_error: fu_result,
    /// What to do: `FU_DFU_ACTION_NONE` when no frame completed.
    pub action: fu_dfu_action,
}

/// The firmware's receive path in one call: feeds `input` to `decoder` up
/// to the end of the next frame and, if one completes, applies it to
/// `updater`.
///
/// The same as `fu_dfu_decoder_feed` followed by `fu_dfu_updater_handle`,
/// without the `fu_dfu_frame` in between, which keeps about 1 KB of
/// conversions out of firmware that has no use for them. Loop until all
/// input is consumed. Errors are those of `fu_dfu_updater_handle`; on an
/// error nothing is written to `out`, the frame's bytes are consumed, and a
/// flash error is best answered with a reset (the transfer resumes).
///
/// # Safety
/// `updater` is open and `decoder` initialised storage; `input` points to
/// `len` readable bytes (or is NULL with 0); `out` is writable, written only
/// on success.
#[allow(unsafe_code, reason = "exported C symbol")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fu_dfu_updater_receive(
    updater: *mut fu_dfu_updater,
    decoder: *mut fu_dfu_decoder,
    input: *const u8,
    len: usize,
    out: *mut fu_dfu_receive,
) -> fu_result {
    crate::boundary::call(|| {
        crate::status(|| {
            let mut up = ptr::enter::<_, Inner>(updater, MAGIC)?;
            let mut dec = ptr::enter::<_, decoder::Inner>(decoder, decoder::MAGIC)?;
            let input = ptr::bytes(input, len)?;
            let out = ptr::out(out)?;
            let mut r = fu_dfu_receive {
                consumed: input.len(),
                decode_error: crate::result::FU_OK,
                action: fu_dfu_action {
                    kind: FU_DFU_ACTION_NONE,
                    ..fu_dfu_action::default()
                },
            };
            match dec.feed(input) {
                Feed::Consumed => {}
                Feed::Frame { frame, remaining } => {
                    r.consumed = input.len() - remaining.len();
                    r.action = up.handle(&frame.message).map_err(errors::updater)?.into();
                }
                Feed::Error { error, remaining } => {
                    r.consumed = input.len() - remaining.len();
                    r.decode_error = errors::decode(error);
                }
            }
            out.write(r);
            Ok(())
        })
    })
}

/// Encodes the device's status frame into `out`.
///
/// `version` is the running firmware's version string (`version_len` bytes,
/// at most 255, need not be NUL-terminated); `correlation_id` is NULL or
/// the id a gateway asked for. `*out_n` is the frame length on success, the
/// length needed on `FU_ERR_BUFFER_TOO_SMALL` (then nothing is written to
/// `out`). A status is at most 4 + 4 + 255 + 59 bytes.
///
/// # Safety
/// `updater` is open storage; `version` points to `version_len` readable
/// bytes (or is NULL with 0); `correlation_id` is NULL or readable; `out`
/// points to `out_len` writable bytes; `out_n` is writable.
#[allow(unsafe_code, reason = "exported C symbol")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fu_dfu_updater_encode_status(
    updater: *const fu_dfu_updater,
    version: *const u8,
    version_len: usize,
    correlation_id: *const u32,
    out: *mut u8,
    out_len: usize,
    out_n: *mut usize,
) -> fu_result {
    crate::boundary::call(|| {
        crate::status(|| {
            let up = ptr::peek::<_, Inner>(updater, MAGIC)?;
            let version = ptr::bytes(version, version_len)?;
            let correlation_id = if correlation_id.is_null() {
                None
            } else {
                Some(ptr::input(correlation_id)?)
            };
            let frame = Frame {
                correlation_id,
                message: Message::Status(up.status(version)),
            };
            encode_into(&frame, out, out_len, out_n)
        })
    })
}

/// Confirms the running image after the application's health check passed
/// (a no-op when nothing is on trial).
///
/// # Safety
/// `updater` is open storage.
#[allow(unsafe_code, reason = "exported C symbol")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fu_dfu_updater_confirm(updater: *mut fu_dfu_updater) -> fu_result {
    crate::boundary::call(|| {
        crate::status(|| {
            let mut up = ptr::enter::<_, Inner>(updater, MAGIC)?;
            up.confirm().map_err(errors::updater)
        })
    })
}

/// Rejects the running trial image (`FU_DFU_REVERT_*` reason); reset
/// afterwards and the bootloader rolls back. A no-op when nothing is on trial.
///
/// # Safety
/// `updater` is open storage.
#[allow(unsafe_code, reason = "exported C symbol")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fu_dfu_updater_reject(
    updater: *mut fu_dfu_updater,
    reason: fu_dfu_revert_reason,
) -> fu_result {
    crate::boundary::call(|| {
        crate::status(|| {
            let mut up = ptr::enter::<_, Inner>(updater, MAGIC)?;
            up.reject(RevertReason::from_u8(reason))
                .map_err(errors::updater)
        })
    })
}

/// The boot state read at open (refreshed by confirm, reject and swap).
///
/// # Safety
/// `updater` is open storage; `out` is writable, written only on success.
#[allow(unsafe_code, reason = "exported C symbol")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fu_dfu_updater_boot_info(
    updater: *const fu_dfu_updater,
    out: *mut fu_dfu_boot_info,
) -> fu_result {
    crate::boundary::call(|| {
        crate::status(|| {
            let up = ptr::peek::<_, Inner>(updater, MAGIC)?;
            ptr::out(out)?.write(up.boot_info().into());
            Ok(())
        })
    })
}

/// The next image offset the updater expects (0 without a transfer).
///
/// # Safety
/// `updater` is open storage; `out` is writable, written only on success.
#[allow(unsafe_code, reason = "exported C symbol")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fu_dfu_updater_next_offset(
    updater: *const fu_dfu_updater,
    out: *mut u32,
) -> fu_result {
    crate::boundary::call(|| {
        crate::status(|| {
            let up = ptr::peek::<_, Inner>(updater, MAGIC)?;
            ptr::out(out)?.write(up.next_offset());
            Ok(())
        })
    })
}

/// The last non-zero return code of a flash callback of this updater (0 if
/// none failed since open).
///
/// # Safety
/// `updater` is open storage; `out` is writable, written only on success.
#[allow(unsafe_code, reason = "exported C symbol")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fu_dfu_updater_last_flash_error(
    updater: *const fu_dfu_updater,
    out: *mut c_int,
) -> fu_result {
    crate::boundary::call(|| {
        crate::status(|| {
            let up = ptr::peek::<_, Inner>(updater, MAGIC)?;
            ptr::out(out)?.write(up.flash().last_error());
            Ok(())
        })
    })
}

/// Closes the updater; its storage may then be reused or opened again.
///
/// NULL, never-opened and closed storage are ignored, and so is a call from
/// inside one of the updater's own callbacks. A poisoned updater is closed.
///
/// # Safety
/// `updater` is NULL or points to `fu_dfu_updater` storage.
#[allow(unsafe_code, reason = "exported C symbol")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fu_dfu_updater_close(updater: *mut fu_dfu_updater) {
    crate::boundary::call(|| ptr::close::<_, Inner>(updater, MAGIC));
}

/// Panics inside an entered updater, to test the panic boundary.
///
/// # Safety
/// As `fu_dfu_updater_confirm`.
#[cfg(feature = "__test-hooks")]
#[allow(unsafe_code, reason = "exported C symbol")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fu_test_panic_in_updater(updater: *mut fu_dfu_updater) -> fu_result {
    crate::boundary::call(|| {
        crate::status(|| {
            let _up = ptr::enter::<_, Inner>(updater, MAGIC)?;
            panic!("forced by fu_test_panic_in_updater");
        })
    })
}
