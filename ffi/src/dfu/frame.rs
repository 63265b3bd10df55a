//! `fu_dfu_frame`: one decoded frame as a flat C struct, both ways.

use dfu_protocol::wire::{
    self, Abort, Frame, Message, ResultCode, Status, Swap, Sync, Target, Wait, Write,
};

use super::boot::fu_dfu_boot_outcome;
use super::codes::*;
use super::errors;
use crate::ptr;
use crate::result::{FU_ERR_INVALID_PARAMETER, fu_result};

/// One frame: a correlation id and a message, flattened.
///
/// `kind` says which fields hold the message; the others are 0. Pointers
/// borrow: from the decoder's buffer for a frame from `fu_dfu_decoder_feed`
/// (valid until the next feed, reset or close of that decoder), from the
/// input for `fu_dfu_decode`. A frame built by C code for
/// `fu_dfu_updater_handle` or `fu_dfu_session_respond` only has to fill the
/// fields of its kind.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct fu_dfu_frame {
    /// `FU_DFU_MESSAGE_*`.
    pub kind: fu_dfu_message_kind,
    /// Whether `correlation_id` is set (gateways multiplexing devices).
    pub has_correlation_id: bool,
    /// WRITE: whether the chunk carried (and passed) a CRC-32.
    pub crc: bool,
    /// STATUS: whether `image_id` and `offset` describe a transfer in progress.
    pub has_target: bool,
    /// ABORT: why; STATUS: the device's last result (`FU_DFU_CODE_*`).
    pub code: fu_dfu_result_code,
    /// UNKNOWN: the kind byte.
    pub unknown_kind: u8,
    /// Echoed by the server.
    pub correlation_id: u32,
    /// WRITE, SWAP, ABORT: the image; STATUS with `has_target`: the image being received.
    pub image_id: u32,
    /// WRITE: where the chunk goes; STATUS with `has_target`: the next offset expected.
    pub offset: u32,
    /// SWAP: the image size.
    pub size: u32,
    /// STATUS: the largest chunk the device accepts.
    pub max_chunk: u32,
    /// WAIT, SYNC: seconds until the next status.
    pub poll_secs: u32,
    /// WRITE: the chunk; STATUS: the firmware version; UNKNOWN: the body.
    pub data: *const u8,
    /// Bytes at `data`.
    pub data_len: usize,
    /// SWAP: the ed25519 signature (64 bytes), or NULL.
    pub signature: *const u8,
    /// SWAP: SHA-256 of the image; STATUS: SHA-256 of the running image.
    pub digest: [u8; 32],
    /// STATUS: what happened to the last update.
    pub boot: fu_dfu_boot_outcome,
}

impl Default for fu_dfu_frame {
    fn default() -> Self {
        Self {
            kind: 0,
            has_correlation_id: false,
            crc: false,
            has_target: false,
            code: 0,
            unknown_kind: 0,
            correlation_id: 0,
            image_id: 0,
            offset: 0,
            size: 0,
            max_chunk: 0,
            poll_secs: 0,
            data: core::ptr::null(),
            data_len: 0,
            signature: core::ptr::null(),
            digest: [0; 32],
            boot: fu_dfu_boot_outcome::default(),
        }
    }
}

impl From<&Frame<'_>> for fu_dfu_frame {
    fn from(f: &Frame<'_>) -> Self {
        let base = Self {
            has_correlation_id: f.correlation_id.is_some(),
            correlation_id: f.correlation_id.unwrap_or(0),
            ..Self::default()
        };
        match &f.message {
            Message::Status(s) => Self {
                kind: FU_DFU_MESSAGE_STATUS,
                data: s.version.as_ptr(),
                data_len: s.version.len(),
                digest: s.digest,
                max_chunk: s.max_chunk,
                boot: s.boot.into(),
                code: s.last_result.to_u8(),
                has_target: s.target.is_some(),
                image_id: s.target.map_or(0, |t| t.image_id),
                offset: s.target.map_or(0, |t| t.next_offset),
                ..base
            },
            Message::Wait(w) => Self {
                kind: FU_DFU_MESSAGE_WAIT,
                poll_secs: w.poll_secs,
                ..base
            },
            Message::Sync(s) => Self {
                kind: FU_DFU_MESSAGE_SYNC,
                poll_secs: s.poll_secs,
                ..base
            },
            Message::Write(w) => Self {
                kind: FU_DFU_MESSAGE_WRITE,
                image_id: w.image_id,
                offset: w.offset,
                data: w.data.as_ptr(),
                data_len: w.data.len(),
                crc: w.crc,
                ..base
            },
            Message::Swap(s) => Self {
                kind: FU_DFU_MESSAGE_SWAP,
                image_id: s.image_id,
                size: s.size,
                digest: s.digest,
                signature: s.signature.map_or(core::ptr::null(), |s| s.as_ptr()),
                ..base
            },
            Message::Abort(a) => Self {
                kind: FU_DFU_MESSAGE_ABORT,
                image_id: a.image_id,
                code: a.code.to_u8(),
                ..base
            },
            Message::Unknown { kind, body } => Self {
                kind: FU_DFU_MESSAGE_UNKNOWN,
                unknown_kind: *kind,
                data: body.as_ptr(),
                data_len: body.len(),
                ..base
            },
        }
    }
}

impl fu_dfu_frame {
    /// The frame these fields describe, borrowing what the pointers point to
    /// (the C caller's contract on the export that passed the frame).
    pub(crate) fn to_frame<'a>(self) -> Result<Frame<'a>, fu_result> {
        let data = ptr::bytes(self.data, self.data_len)?;
        let message = match self.kind {
            FU_DFU_MESSAGE_STATUS => Message::Status(Status {
                version: data,
                digest: self.digest,
                max_chunk: self.max_chunk,
                boot: self.boot.to_outcome(),
                last_result: ResultCode::from_u8(self.code),
                target: self.has_target.then_some(Target {
                    image_id: self.image_id,
                    next_offset: self.offset,
                }),
            }),
            FU_DFU_MESSAGE_WAIT => Message::Wait(Wait {
                poll_secs: self.poll_secs,
            }),
            FU_DFU_MESSAGE_SYNC => Message::Sync(Sync {
                poll_secs: self.poll_secs,
            }),
            FU_DFU_MESSAGE_WRITE => Message::Write(Write {
                image_id: self.image_id,
                offset: self.offset,
                data,
                crc: self.crc,
            }),
            FU_DFU_MESSAGE_SWAP => Message::Swap(Swap {
                image_id: self.image_id,
                size: self.size,
                digest: self.digest,
                signature: if self.signature.is_null() {
                    None
                } else {
                    Some(ptr::array::<64>(self.signature)?)
                },
            }),
            FU_DFU_MESSAGE_ABORT => Message::Abort(Abort {
                image_id: self.image_id,
                code: ResultCode::from_u8(self.code),
            }),
            FU_DFU_MESSAGE_UNKNOWN => Message::Unknown {
                kind: self.unknown_kind,
                body: data,
            },
            _ => return Err(FU_ERR_INVALID_PARAMETER),
        };
        Ok(Frame {
            correlation_id: self.has_correlation_id.then_some(self.correlation_id),
            message,
        })
    }
}

/// Decodes one whole frame from `input` (a datagram, a request body).
///
/// On success `*out` is the frame, borrowing `input` (keep it unchanged
/// while you use the frame) and `*consumed` the bytes it took (the frame
/// length; bytes after it are not looked at). Errors are the
/// `FU_ERR_DFU_*` decoding codes; for byte streams use a decoder instead.
///
/// # Safety
/// `input` points to `len` readable bytes (or is NULL with `len` 0); `out`
/// and `consumed` point to writable memory, written only on success.
#[allow(unsafe_code, reason = "exported C symbol")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fu_dfu_decode(
    input: *const u8,
    len: usize,
    out: *mut fu_dfu_frame,
    consumed: *mut usize,
) -> fu_result {
    crate::boundary::call(|| {
        crate::status(|| {
            let input = ptr::bytes(input, len)?;
            let out = ptr::out(out)?;
            let consumed = ptr::out(consumed)?;
            let (frame, n) = wire::decode(input).map_err(errors::decode)?;
            out.write((&frame).into());
            consumed.write(n);
            Ok(())
        })
    })
}

/// Encodes `frame` into the caller's buffer: `*out_n` is the length on
/// success, the length needed on `FU_ERR_BUFFER_TOO_SMALL` (and `out` is
/// left untouched then).
pub(crate) fn encode_into(
    frame: &Frame<'_>,
    out: *mut u8,
    out_len: usize,
    out_n: *mut usize,
) -> Result<(), fu_result> {
    let out_n = ptr::out(out_n)?;
    if let Message::Status(s) = &frame.message
        && s.version.len() > usize::from(u8::MAX)
    {
        return Err(crate::result::FU_ERR_DFU_FIELD_TOO_LONG);
    }
    let need = wire::encoded_len(frame);
    if out_len < need {
        out_n.write(need);
        return Err(crate::result::FU_ERR_BUFFER_TOO_SMALL);
    }
    let buf = ptr::bytes_mut(out, out_len)?;
    let n = wire::encode(frame, buf).map_err(errors::encode)?;
    out_n.write(n);
    Ok(())
}
