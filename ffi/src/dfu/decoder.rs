//! The streaming frame decoder in caller-owned storage, over a
//! caller-owned receive buffer.

use dfu_protocol::wire::{self, Feed, FrameDecoder};

use super::codes::*;
use super::errors;
use super::frame::fu_dfu_frame;
use crate::ptr;
use crate::result::{FU_ERR_INVALID_PARAMETER, FU_OK, fu_result};

/// Bytes of `fu_dfu_decoder`. Part of the ABI: growing it is a breaking change.
pub const FU_DFU_DECODER_SIZE: usize = 96;

/// Storage for one decoder, owned by the caller (usually a `static`).
///
/// Opaque; zeroed storage reads as "not initialised". It must not move or
/// be copied while initialised.
#[repr(C)]
#[derive(Debug)]
pub struct fu_dfu_decoder {
    _opaque: [u64; 12],
}

/// What one `fu_dfu_decoder_feed` produced.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct fu_dfu_feed {
    /// `FU_DFU_FEED_*`.
    pub kind: fu_dfu_feed_kind,
    /// Input bytes used; feed the rest (`len - consumed`) next.
    pub consumed: usize,
    /// ERROR: the `FU_ERR_DFU_*` decoding code (the bytes were skipped).
    pub error: fu_result,
    /// FRAME: the frame, borrowing the decoder's buffer until the next
    /// feed, reset or close.
    pub frame: fu_dfu_frame,
}

pub(crate) type Inner = FrameDecoder<'static>;
pub(crate) const MAGIC: u32 = u32::from_be_bytes(*b"FUdc");
const _: () = assert!(ptr::fits::<fu_dfu_decoder, Inner>());
const _: () = assert!(size_of::<fu_dfu_decoder>() == FU_DFU_DECODER_SIZE);

/// Bytes of `fu_dfu_decoder` this build uses on this target (the rest is
/// headroom); `ffi/firmware` reports it. Not API, not in the header.
#[doc(hidden)]
pub const DECODER_STORAGE_USED: usize = size_of::<ptr::Slot<Inner>>();

/// Initialises a decoder over the receive buffer `buf`: frames up to
/// `buf_len` bytes are accepted (larger ones are skipped and reported).
///
/// Size the buffer for the largest chunk the updater advertises plus 16
/// bytes (20 through a gateway). `buf_len` must be at least 4.
///
/// # Safety
/// `decoder` points to `fu_dfu_decoder` storage that stays in place until
/// closed; `buf` points to `buf_len` writable bytes that outlive the
/// decoder and that nothing else touches while it is initialised.
#[allow(unsafe_code, reason = "exported C symbol")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fu_dfu_decoder_init(
    decoder: *mut fu_dfu_decoder,
    buf: *mut u8,
    buf_len: usize,
) -> fu_result {
    crate::boundary::call(|| {
        crate::status(|| {
            if buf_len < wire::HEADER_LEN {
                return Err(FU_ERR_INVALID_PARAMETER);
            }
            let buf = ptr::bytes_mut(buf, buf_len)?;
            ptr::open(decoder, MAGIC, FrameDecoder::new(buf))
        })
    })
}

/// Feeds received bytes; consumes them up to the end of the next frame (or
/// error) at most.
///
/// Loop until all input is consumed: on `FU_DFU_FEED_FRAME` handle
/// `out->frame` before the next feed, on `FU_DFU_FEED_ERROR` just go on
/// (the bad bytes were skipped and the decoder resynchronised).
///
/// # Safety
/// `decoder` is initialised storage; `input` points to `len` readable
/// bytes (or is NULL with 0); `out` is writable, written only on success.
#[allow(unsafe_code, reason = "exported C symbol")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fu_dfu_decoder_feed(
    decoder: *mut fu_dfu_decoder,
    input: *const u8,
    len: usize,
    out: *mut fu_dfu_feed,
) -> fu_result {
    crate::boundary::call(|| {
        crate::status(|| {
            let mut dec = ptr::enter::<_, Inner>(decoder, MAGIC)?;
            let input = ptr::bytes(input, len)?;
            let out = ptr::out(out)?;
            let mut feed = fu_dfu_feed {
                kind: FU_DFU_FEED_CONSUMED,
                consumed: input.len(),
                error: FU_OK,
                frame: fu_dfu_frame::default(),
            };
            match dec.feed(input) {
                Feed::Consumed => {}
                Feed::Frame { frame, remaining } => {
                    feed.kind = FU_DFU_FEED_FRAME;
                    feed.consumed = input.len() - remaining.len();
                    feed.frame = (&frame).into();
                }
                Feed::Error { error, remaining } => {
                    feed.kind = FU_DFU_FEED_ERROR;
                    feed.consumed = input.len() - remaining.len();
                    feed.error = errors::decode(error);
                }
            }
            out.write(feed);
            Ok(())
        })
    })
}

/// Forgets any partial frame (after a link reset, say).
///
/// # Safety
/// `decoder` is initialised storage.
#[allow(unsafe_code, reason = "exported C symbol")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fu_dfu_decoder_reset(decoder: *mut fu_dfu_decoder) -> fu_result {
    crate::boundary::call(|| {
        crate::status(|| {
            ptr::enter::<_, Inner>(decoder, MAGIC)?.reset();
            Ok(())
        })
    })
}

/// Closes the decoder; its buffer is the caller's again. NULL,
/// never-initialised and closed storage are ignored.
///
/// # Safety
/// `decoder` is NULL or points to `fu_dfu_decoder` storage.
#[allow(unsafe_code, reason = "exported C symbol")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fu_dfu_decoder_close(decoder: *mut fu_dfu_decoder) {
    crate::boundary::call(|| ptr::close::<_, Inner>(decoder, MAGIC));
}
