//! The server side for C gateways: serve one image to many devices from
//! their statuses (stateless; see `dfu_protocol::server`).

use dfu_protocol::server::{Progress, ServedImage, Session, SessionConfig};

use super::codes::*;
use super::frame::{encode_into, fu_dfu_frame};
use crate::ptr;
use crate::result::{FU_ERR_INVALID_PARAMETER, fu_result};

/// An image to serve, with its SHA-256.
///
/// `fu_dfu_image_init` fills it (hashing the bytes once); a gateway that
/// already knows the digest may fill the fields itself. `data` is borrowed
/// and must stay valid and unchanged while the image is served.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct fu_dfu_image {
    /// The image bytes.
    pub data: *const u8,
    /// Their length (at most 4 GiB - 1).
    pub len: usize,
    /// SHA-256 of the bytes.
    pub digest: [u8; 32],
    /// Whether `signature` holds an ed25519 signature over `digest`, sent with the swap.
    pub has_signature: bool,
    /// The signature.
    pub signature: [u8; 64],
}

/// Session settings; `fu_dfu_session_config_default` fills the defaults.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct fu_dfu_session_config {
    /// Largest chunk to send (default 4096; the device's limit also applies).
    pub max_chunk: u32,
    /// Largest frame the link carries, header included (default 65539).
    pub max_frame: u32,
    /// Seconds to the next status after a sync (default 3600).
    pub sync_poll_secs: u32,
    /// Seconds to the next status after a wait (default 60).
    pub wait_poll_secs: u32,
    /// Whether chunks carry a CRC-32 (default true).
    pub crc: bool,
}

/// Where a device stands, from its status.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct fu_dfu_progress {
    /// `FU_DFU_PROGRESS_*`.
    pub kind: fu_dfu_progress_kind,
    /// TRANSFERRING: the device's last result; REFUSED: its refusal code.
    pub code: fu_dfu_result_code,
    /// CONFIRMING: the boot attempt.
    pub attempt: u8,
    /// ROLLED_BACK: why.
    pub reason: fu_dfu_revert_reason,
    /// ROLLED_BACK: the reset cause the bootloader saw.
    pub reset_cause: fu_dfu_reset_cause,
    /// ROLLED_BACK: boots the image was given.
    pub attempts: u8,
    /// TRANSFERRING: the offset just sent.
    pub offset: u32,
    /// TRANSFERRING: the image size.
    pub total: u32,
}

impl From<Progress> for fu_dfu_progress {
    fn from(p: Progress) -> Self {
        let d = Self::default();
        match p {
            Progress::NoImage => d,
            Progress::UpToDate => Self {
                kind: FU_DFU_PROGRESS_UP_TO_DATE,
                ..d
            },
            Progress::Confirming { attempt } => Self {
                kind: FU_DFU_PROGRESS_CONFIRMING,
                attempt,
                ..d
            },
            Progress::Transferring {
                offset,
                total,
                last_result,
            } => Self {
                kind: FU_DFU_PROGRESS_TRANSFERRING,
                offset,
                total,
                code: last_result.to_u8(),
                ..d
            },
            Progress::Installing => Self {
                kind: FU_DFU_PROGRESS_INSTALLING,
                ..d
            },
            Progress::RolledBack {
                reason,
                reset_cause,
                attempts,
            } => Self {
                kind: FU_DFU_PROGRESS_ROLLED_BACK,
                reason: reason.to_u8(),
                reset_cause: reset_cause.to_u8(),
                attempts,
                ..d
            },
            Progress::Refused { code } => Self {
                kind: FU_DFU_PROGRESS_REFUSED,
                code: code.to_u8(),
                ..d
            },
            Progress::ChunkTooSmall => Self {
                kind: FU_DFU_PROGRESS_CHUNK_TOO_SMALL,
                ..d
            },
        }
    }
}

/// Fills `*out` with `len` bytes at `data` and their SHA-256.
///
/// Also what firmware uses to compute the digest `fu_dfu_provision` needs.
///
/// # Safety
/// `data` points to `len` readable bytes (or is NULL with 0); `out` is
/// writable, written only on success.
#[allow(unsafe_code, reason = "exported C symbol")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fu_dfu_image_init(
    out: *mut fu_dfu_image,
    data: *const u8,
    len: usize,
) -> fu_result {
    crate::boundary::call(|| {
        crate::status(|| {
            let bytes = ptr::bytes(data, len)?;
            let out = ptr::out(out)?;
            if u32::try_from(len).is_err() {
                return Err(FU_ERR_INVALID_PARAMETER);
            }
            out.write(fu_dfu_image {
                data,
                len,
                digest: *ServedImage::new(bytes).digest(),
                has_signature: false,
                signature: [0; 64],
            });
            Ok(())
        })
    })
}

/// Fills `*out` with the session defaults.
///
/// # Safety
/// `out` is NULL (nothing happens) or writable.
#[allow(unsafe_code, reason = "exported C symbol")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fu_dfu_session_config_default(out: *mut fu_dfu_session_config) {
    crate::boundary::call(|| {
        if let Ok(out) = ptr::out(out) {
            // `SessionConfig::new()`'s values; a test checks the chunk size
            // a default session sends.
            out.write(fu_dfu_session_config {
                max_chunk: 4096,
                max_frame: dfu_protocol::wire::MAX_FRAME_LEN as u32,
                sync_poll_secs: 3600,
                wait_poll_secs: 60,
                crc: true,
            });
        }
    });
}

/// Answers one device frame (normally a status) with one command.
///
/// `image` is the image to serve, or NULL to serve none; `config` NULL
/// means the defaults. The command is encoded into `out`: `*out_n` is its
/// length on success, the length needed on `FU_ERR_BUFFER_TOO_SMALL` (a
/// write needs the chunk size plus 20 bytes). `progress`, if not NULL,
/// says where the device stands. Stateless: any number of devices, any
/// order, lost or repeated messages are fine.
///
/// # Safety
/// `image` and `config` are NULL or point to valid structs (the image's
/// bytes readable); `device` points to a valid frame whose pointers are
/// valid for the call; `out` points to `out_len` writable bytes; `out_n`
/// is writable; `progress` is NULL or writable.
#[allow(unsafe_code, reason = "exported C symbol")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fu_dfu_session_respond(
    image: *const fu_dfu_image,
    config: *const fu_dfu_session_config,
    device: *const fu_dfu_frame,
    out: *mut u8,
    out_len: usize,
    out_n: *mut usize,
    progress: *mut fu_dfu_progress,
) -> fu_result {
    crate::boundary::call(|| {
        crate::status(|| {
            let served = if image.is_null() {
                None
            } else {
                let img = ptr::input(image)?;
                let data = ptr::bytes(img.data, img.len)?;
                let served = ServedImage::with_known_digest(data, img.digest);
                Some(if img.has_signature {
                    served.with_signature(img.signature)
                } else {
                    served
                })
            };
            let mut c = SessionConfig::new();
            if !config.is_null() {
                let given = ptr::input(config)?;
                c.max_chunk(given.max_chunk)
                    .max_frame(given.max_frame as usize)
                    .sync_poll_secs(given.sync_poll_secs)
                    .wait_poll_secs(given.wait_poll_secs)
                    .crc(given.crc);
            }
            let frame = ptr::input(device)?.to_frame()?;
            let progress = if progress.is_null() {
                None
            } else {
                Some(ptr::out(progress)?)
            };
            let session = Session::new(served, c);
            let reply = session.respond_to_frame(&frame);
            encode_into(&reply.frame, out, out_len, out_n)?;
            if let Some(p) = progress {
                p.write(reply.progress.into());
            }
            Ok(())
        })
    })
}
