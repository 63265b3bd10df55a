//! tokio-util `Decoder`/`Encoder` for dfu frames (feature `tokio-codec`).
//!
//! Follows tokio's contract: `Ok(None)` asks for more bytes (capacity for
//! the rest of the frame is reserved), `Err` means the stream is corrupt.
//! Received frames keep their bytes in a [`bytes::Bytes`] and are viewed
//! zero-copy with [`ReceivedFrame::frame`].

use std::io;

use bytes::{Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use crate::wire::{self, DecodeError, EncodeError, Frame, HEADER_LEN};

/// Frame codec with a hard maximum frame size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DfuCodec {
    max_frame: usize,
}

impl Default for DfuCodec {
    fn default() -> Self {
        Self::new()
    }
}

impl DfuCodec {
    /// Accepts frames up to the format's maximum (65 539 bytes).
    pub const fn new() -> Self {
        Self {
            max_frame: wire::MAX_FRAME_LEN,
        }
    }

    /// Rejects frames longer than `max_frame` bytes (header included).
    pub fn with_max_frame(max_frame: usize) -> Self {
        Self {
            max_frame: max_frame.min(wire::MAX_FRAME_LEN),
        }
    }
}

/// One received, validated frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedFrame(Bytes);

impl ReceivedFrame {
    /// The frame, borrowing its payload from the received bytes.
    pub fn frame(&self) -> Result<Frame<'_>, DecodeError> {
        wire::decode(&self.0).map(|(f, _)| f)
    }

    /// The raw frame bytes.
    pub fn bytes(&self) -> &Bytes {
        &self.0
    }
}

/// What went wrong, without the I/O detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CodecErrorKind {
    /// The bytes did not decode (the wrapped code says why).
    Decode(DecodeError),
    /// A frame did not encode.
    Encode(EncodeError),
    /// The underlying transport failed.
    Io,
}

/// Error of [`DfuCodec`]: a kind plus the I/O error, if that was the cause.
#[derive(Debug, thiserror::Error)]
#[error("{}", match .kind {
    CodecErrorKind::Decode(_) => "dfu frame did not decode",
    CodecErrorKind::Encode(_) => "dfu frame did not encode",
    CodecErrorKind::Io => "transport failed",
})]
pub struct CodecError {
    kind: CodecErrorKind,
    #[source]
    source: Option<io::Error>,
}

impl CodecError {
    /// The kind.
    pub fn kind(&self) -> CodecErrorKind {
        self.kind
    }
}

impl From<io::Error> for CodecError {
    fn from(e: io::Error) -> Self {
        Self {
            kind: CodecErrorKind::Io,
            source: Some(e),
        }
    }
}

impl From<DecodeError> for CodecError {
    fn from(e: DecodeError) -> Self {
        Self {
            kind: CodecErrorKind::Decode(e),
            source: None,
        }
    }
}

impl Decoder for DfuCodec {
    type Item = ReceivedFrame;
    type Error = CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<ReceivedFrame>, CodecError> {
        let Some(head) = src.get(..HEADER_LEN) else {
            src.reserve(HEADER_LEN - src.len());
            return Ok(None);
        };
        if head.first().is_some_and(|b| b & 0xF0 != 0xD0) {
            return Err(DecodeError::BadSync.into());
        }
        if head.first() != Some(&wire::SYNC) {
            return Err(DecodeError::UnsupportedVersion.into());
        }
        let body = head
            .get(2..4)
            .map_or(0, |l| usize::from(u16::from_le_bytes([l[0], l[1]])));
        let len = HEADER_LEN + body;
        if len > self.max_frame {
            return Err(DecodeError::FrameTooLarge.into());
        }
        if src.len() < len {
            src.reserve(len - src.len());
            return Ok(None);
        }
        let bytes = src.split_to(len).freeze();
        wire::decode(&bytes)?;
        Ok(Some(ReceivedFrame(bytes)))
    }
}

impl Encoder<&Frame<'_>> for DfuCodec {
    type Error = CodecError;

    fn encode(&mut self, frame: &Frame<'_>, dst: &mut BytesMut) -> Result<(), CodecError> {
        let len = wire::encoded_len(frame);
        if len > self.max_frame {
            return Err(CodecError {
                kind: CodecErrorKind::Encode(EncodeError::FieldTooLong),
                source: None,
            });
        }
        let start = dst.len();
        dst.resize(start + len, 0);
        let out = dst.get_mut(start..).unwrap_or_default();
        if let Err(e) = wire::encode(frame, out) {
            dst.truncate(start);
            return Err(CodecError {
                kind: CodecErrorKind::Encode(e),
                source: None,
            });
        }
        Ok(())
    }
}
