//! The messages: one status from the device, five commands from the server.

use super::codes::{BootOutcome, ResultCode};

/// SHA-256 digest bytes.
pub type Digest = [u8; 32];

/// One decoded (or to-be-encoded) frame: an optional correlation id and a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    /// Set by gateways that multiplex several devices over one link; echoed by the server.
    pub correlation_id: Option<u32>,
    /// The message.
    pub message: Message<'a>,
}

impl<'a> Frame<'a> {
    /// A frame without correlation id.
    pub const fn new(message: Message<'a>) -> Self {
        Self {
            correlation_id: None,
            message,
        }
    }
}

/// Every message of wire version 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message<'a> {
    /// Device to server: where the device stands.
    Status(Status<'a>),
    /// Server to device: nothing to do, ask again later.
    Wait(Wait),
    /// Server to device: you run the desired image; confirm it if it is on trial.
    Sync(Sync),
    /// Server to device: one chunk of an image.
    Write(Write<'a>),
    /// Server to device: the image is complete; verify it and install it.
    Swap(Swap<'a>),
    /// Server to device: stop the transfer of an image.
    Abort(Abort),
    /// A kind this version does not know, kept with its raw body (lenient decoding).
    Unknown {
        /// The kind byte without the correlation flag (kind number and option flag).
        kind: u8,
        /// The body after the correlation id.
        body: &'a [u8],
    },
}

/// The transfer a device has in progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Target {
    /// The image being received.
    pub image_id: u32,
    /// The next offset the device expects.
    pub next_offset: u32,
}

/// Device-to-server status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status<'a> {
    /// Opaque version of the running firmware (at most 255 bytes).
    pub version: &'a [u8],
    /// SHA-256 of the running image.
    pub digest: Digest,
    /// The largest `Write` payload the device accepts, in bytes.
    pub max_chunk: u32,
    /// What happened to the last update.
    pub boot: BootOutcome,
    /// Result of the device's last update operation.
    pub last_result: ResultCode,
    /// The transfer in progress, if any.
    pub target: Option<Target>,
}

/// Server-to-device: nothing to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Wait {
    /// Seconds until the next status.
    pub poll_secs: u32,
}

/// Server-to-device: up to date (the device confirms a trial image on this).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sync {
    /// Seconds until the next status.
    pub poll_secs: u32,
}

/// Server-to-device: one chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Write<'a> {
    /// The image the chunk belongs to (first four bytes of its SHA-256, big endian).
    pub image_id: u32,
    /// Where the chunk goes in the image.
    pub offset: u32,
    /// The chunk, borrowed from the frame buffer.
    pub data: &'a [u8],
    /// Whether a CRC-32 trailer is (to be) present. A decoded frame with this
    /// flag set has had its CRC checked.
    pub crc: bool,
}

/// Server-to-device: verify and install.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Swap<'a> {
    /// The image to install.
    pub image_id: u32,
    /// Total image size in bytes.
    pub size: u32,
    /// SHA-256 of the whole image.
    pub digest: Digest,
    /// ed25519 signature over the 32 digest bytes.
    pub signature: Option<&'a [u8; 64]>,
}

/// Server-to-device: stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Abort {
    /// The image whose transfer stops.
    pub image_id: u32,
    /// Why.
    pub code: ResultCode,
}

/// The image id the protocol uses for an image with this SHA-256 digest.
pub const fn image_id(digest: &Digest) -> u32 {
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}
