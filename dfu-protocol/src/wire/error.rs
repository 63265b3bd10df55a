//! Errors of the frame codec: small, `Copy`, no payload.

/// Why bytes could not be decoded into a frame.
///
/// The decoder has already skipped past the offending bytes when it reports
/// one of these, so the caller can keep feeding the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Bytes that cannot start a frame were skipped while looking for the sync nibble.
    #[error("bytes skipped while looking for a frame start")]
    BadSync,
    /// The frame carries a wire version this crate does not speak.
    #[error("unsupported wire version")]
    UnsupportedVersion,
    /// The frame is longer than the configured maximum; it was skipped.
    #[error("frame exceeds the maximum frame size")]
    FrameTooLarge,
    /// The input ends before the frame does.
    #[error("frame is truncated")]
    Truncated,
    /// The body is too short for the fields its kind requires.
    #[error("frame body is shorter than its fields")]
    BodyTooShort,
    /// The CRC-32 trailer does not match the frame.
    #[error("crc-32 mismatch")]
    BadCrc,
    /// A field holds a value the format forbids.
    #[error("invalid field value")]
    InvalidField,
}

/// Why a frame could not be encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The output buffer is too small for the frame.
    #[error("output buffer too small")]
    BufferTooSmall,
    /// A field is longer than the format allows (version > 255 bytes, body > 65535 bytes).
    #[error("field too long for the wire format")]
    FieldTooLong,
}
