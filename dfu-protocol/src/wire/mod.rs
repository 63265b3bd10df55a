//! The binary wire format: frames, messages, the encoder and decoders.
//!
//! The byte layout is specified in [`crate::spec`]. [`encode`] writes one
//! frame into a caller buffer; [`decode`] reads one complete frame from a
//! slice; [`FrameDecoder`] accumulates frames from a stream split at any
//! byte. Decoded payloads borrow from the input or the decoder buffer.

mod codes;
mod decode;
mod encode;
mod error;
mod layout;
mod message;
mod negotiate;
mod stream;

pub use codes::{BootOutcome, ResetCause, ResultCode, RevertReason};
pub use decode::decode;
#[cfg(feature = "alloc")]
pub use encode::encode_to_vec;
pub use encode::{encode, encoded_len};
pub use error::{DecodeError, EncodeError};
pub use layout::{HEADER_LEN, MAX_BODY_LEN, MAX_FRAME_LEN, SYNC, write_overhead};
pub use message::{
    Abort, Digest, Frame, Message, Status, Swap, Sync, Target, Wait, Write, image_id,
};
pub use negotiate::chunk_size;
pub use stream::{Feed, FrameDecoder};
