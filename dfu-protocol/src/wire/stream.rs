//! Streaming decoder: input split at any byte, caller buffer, hard size limit.

use super::decode::{header, parse};
use super::error::DecodeError;
use super::layout::{HEADER_LEN, MAX_FRAME_LEN, SYNC_NIBBLE};
use super::message::Frame;

/// What one call to [`FrameDecoder::feed`] produced.
#[derive(Debug)]
pub enum Feed<'f, 'i> {
    /// All input was consumed without completing a frame; feed more.
    Consumed,
    /// A frame is complete. It borrows the decoder's buffer; `remaining` is
    /// the input after it, to feed next.
    Frame {
        /// The decoded frame.
        frame: Frame<'f>,
        /// Input not consumed yet.
        remaining: &'i [u8],
    },
    /// Bytes were rejected; the decoder has skipped them and resynchronised.
    Error {
        /// What was wrong.
        error: DecodeError,
        /// Input not consumed yet.
        remaining: &'i [u8],
    },
}

/// Accumulates frames from a byte stream into a caller-provided buffer.
///
/// Modelled on postcard's `CobsAccumulator`: the caller drives the loop,
/// nothing allocates, and a frame larger than the limit is skipped (by its
/// length field) and reported rather than overflowing anything.
///
/// ```
/// use dfu_protocol::wire::{self, Feed, Frame, FrameDecoder, Message, Wait};
/// let mut bytes = [0u8; 16];
/// let n = wire::encode(&Frame::new(Message::Wait(Wait { poll_secs: 30 })), &mut bytes).unwrap();
/// let mut buf = [0u8; 64];
/// let mut dec = FrameDecoder::new(&mut buf);
/// // Feed one byte at a time.
/// let mut frames = 0;
/// for b in &bytes[..n] {
///     if let Feed::Frame { frame, .. } = dec.feed(core::slice::from_ref(b)) {
///         assert_eq!(frame.message, Message::Wait(Wait { poll_secs: 30 }));
///         frames += 1;
///     }
/// }
/// assert_eq!(frames, 1);
/// ```
#[derive(Debug)]
pub struct FrameDecoder<'b> {
    buf: &'b mut [u8],
    max_frame: usize,
    head: [u8; HEADER_LEN],
    head_len: usize,
    /// Total length of the frame being filled, once its header is known.
    expected: usize,
    filled: usize,
    discard: usize,
    delivered: bool,
}

impl<'b> FrameDecoder<'b> {
    /// A decoder whose maximum frame size is the buffer length (capped at
    /// the 65 539 bytes the format allows).
    pub fn new(buf: &'b mut [u8]) -> Self {
        let max = buf.len();
        Self::with_max_frame(buf, max)
    }

    /// A decoder that rejects frames longer than `max_frame` (header
    /// included), further capped at the buffer length.
    pub fn with_max_frame(buf: &'b mut [u8], max_frame: usize) -> Self {
        let max_frame = max_frame.min(buf.len()).min(MAX_FRAME_LEN);
        Self {
            buf,
            max_frame,
            head: [0; HEADER_LEN],
            head_len: 0,
            expected: 0,
            filled: 0,
            discard: 0,
            delivered: false,
        }
    }

    /// The largest frame this decoder accepts.
    pub fn max_frame(&self) -> usize {
        self.max_frame
    }

    /// Forgets any partial frame.
    pub fn reset(&mut self) {
        self.head_len = 0;
        self.expected = 0;
        self.filled = 0;
        self.discard = 0;
        self.delivered = false;
    }

    /// Consumes `input` up to the end of the next frame (or error) at most.
    pub fn feed<'f, 'i>(&'f mut self, mut input: &'i [u8]) -> Feed<'f, 'i> {
        if self.delivered {
            self.reset();
        }
        if self.discard > 0 {
            let n = self.discard.min(input.len());
            input = input.get(n..).unwrap_or_default();
            self.discard -= n;
            if self.discard > 0 || input.is_empty() {
                return Feed::Consumed;
            }
        }
        if self.expected == 0 {
            if self.head_len == 0 {
                // Hunt for a byte that can start a frame.
                let start = input
                    .iter()
                    .position(|b| b & 0xF0 == SYNC_NIBBLE)
                    .unwrap_or(input.len());
                if start > 0 {
                    return Feed::Error {
                        error: DecodeError::BadSync,
                        remaining: input.get(start..).unwrap_or_default(),
                    };
                }
            }
            let n = (HEADER_LEN - self.head_len).min(input.len());
            let (now, rest) = input.split_at(n);
            if let Some(dst) = self.head.get_mut(self.head_len..self.head_len + n) {
                dst.copy_from_slice(now);
            }
            self.head_len += n;
            input = rest;
            if self.head_len < HEADER_LEN {
                return Feed::Consumed;
            }
            let frame_len = match header(self.head) {
                Ok(h) => h.frame_len,
                Err(error) => {
                    self.reset();
                    return Feed::Error {
                        error,
                        remaining: input,
                    };
                }
            };
            if frame_len > self.max_frame {
                self.reset();
                self.discard = frame_len - HEADER_LEN;
                let n = self.discard.min(input.len());
                self.discard -= n;
                return Feed::Error {
                    error: DecodeError::FrameTooLarge,
                    remaining: input.get(n..).unwrap_or_default(),
                };
            }
            if let Some(dst) = self.buf.get_mut(..HEADER_LEN) {
                dst.copy_from_slice(&self.head);
            }
            self.filled = HEADER_LEN;
            self.expected = frame_len;
        }
        let n = (self.expected - self.filled).min(input.len());
        let (now, rest) = input.split_at(n);
        if let Some(dst) = self.buf.get_mut(self.filled..self.filled + n) {
            dst.copy_from_slice(now);
        }
        self.filled += n;
        if self.filled < self.expected {
            return Feed::Consumed;
        }
        self.delivered = true;
        match self.buf.get(..self.expected).map(parse) {
            Some(Ok(frame)) => Feed::Frame {
                frame,
                remaining: rest,
            },
            Some(Err(error)) => Feed::Error {
                error,
                remaining: rest,
            },
            None => Feed::Error {
                error: DecodeError::FrameTooLarge,
                remaining: rest,
            },
        }
    }
}
