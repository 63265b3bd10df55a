//! MCUmgr SMP image-management adapter (feature `smp`).
//!
//! Decodes and encodes the group-1 messages a client and a device exchange
//! for an image upload: upload requests and responses, image state
//! (test/confirm/list) and error responses, in SMP v1 and v2 headers. The
//! encoder writes CBOR maps in canonical key order (shortest key first), as
//! the reference client does; the decoder accepts any order and skips
//! unknown keys. [`UploadBridge`] turns upload requests into this crate's
//! `Write`/`Swap` messages, so an SMP client can feed the [`Updater`](crate::updater::Updater).

mod body;
mod bridge;
mod header;

pub use body::{
    ImageState, ImageStates, Message, StateWrite, UploadRequest, UploadResponse, decode, encode,
};
pub use bridge::UploadBridge;
pub use header::{HEADER_LEN, Header, Op};

/// Image management group number.
pub const GROUP_IMAGE: u16 = 1;
/// Image state command (group 1).
pub const CMD_STATE: u8 = 0;
/// Image upload command (group 1).
pub const CMD_UPLOAD: u8 = 1;

/// Errors of the SMP adapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum SmpError {
    /// The frame is shorter than its header says.
    #[error("smp frame truncated")]
    Truncated,
    /// The body is not CBOR of the expected shape.
    #[error("malformed smp body")]
    Malformed,
    /// A required field is missing.
    #[error("required smp field missing")]
    MissingField,
    /// Not an image-group message this adapter knows.
    #[error("unsupported smp group or command")]
    Unsupported,
    /// The output buffer is too small.
    #[error("output buffer too small")]
    BufferTooSmall,
}
