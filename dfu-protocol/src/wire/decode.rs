//! Decoding one complete frame from a byte slice, zero-copy.

use super::codes::{BootOutcome, ResultCode};
use super::error::DecodeError;
use super::layout::{
    FLAG_CORRELATION, FLAG_OPTION, HEADER_LEN, KIND_ABORT, KIND_MASK, KIND_STATUS, KIND_SWAP,
    KIND_SYNC, KIND_WAIT, KIND_WRITE, SYNC, SYNC_NIBBLE, crc32,
};
use super::message::{Abort, Frame, Message, Status, Swap, Sync, Target, Wait, Write};

/// What the four header bytes say.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Header {
    /// Header plus body.
    pub(crate) frame_len: usize,
}

/// Checks a frame header. `BadSync` when byte 0 cannot start a frame.
pub(crate) fn header(h: [u8; HEADER_LEN]) -> Result<Header, DecodeError> {
    if h[0] & 0xF0 != SYNC_NIBBLE {
        return Err(DecodeError::BadSync);
    }
    if h[0] != SYNC {
        return Err(DecodeError::UnsupportedVersion);
    }
    let body = usize::from(u16::from_le_bytes([h[2], h[3]]));
    Ok(Header {
        frame_len: HEADER_LEN + body,
    })
}

struct In<'a> {
    rest: &'a [u8],
}

impl<'a> In<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.rest.len() < n {
            return Err(DecodeError::BodyTooShort);
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut a = [0; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    fn u32(&mut self) -> Result<u32, DecodeError> {
        self.array::<4>().map(u32::from_le_bytes)
    }

    fn u8(&mut self) -> Result<u8, DecodeError> {
        self.array::<1>().map(|[b]| b)
    }
}

/// Decodes the frame at the start of `input` and returns it with the number
/// of bytes it occupied.
///
/// `Truncated` means `input` holds less than the frame announces; feed a
/// [`FrameDecoder`](super::FrameDecoder) when input arrives in pieces.
pub fn decode(input: &[u8]) -> Result<(Frame<'_>, usize), DecodeError> {
    let h: [u8; HEADER_LEN] = input
        .get(..HEADER_LEN)
        .and_then(|h| h.try_into().ok())
        .ok_or(DecodeError::Truncated)?;
    let len = header(h)?.frame_len;
    let frame = input.get(..len).ok_or(DecodeError::Truncated)?;
    Ok((parse(frame)?, len))
}

/// Parses exactly one frame whose header has been checked.
pub(crate) fn parse(frame: &[u8]) -> Result<Frame<'_>, DecodeError> {
    let flags = *frame.get(1).ok_or(DecodeError::Truncated)?;
    let body = frame.get(HEADER_LEN..).ok_or(DecodeError::Truncated)?;
    let mut i = In { rest: body };
    let correlation_id = if flags & FLAG_CORRELATION != 0 {
        Some(i.u32()?)
    } else {
        None
    };
    let option = flags & FLAG_OPTION != 0;
    let message = match flags & KIND_MASK {
        KIND_STATUS => {
            let vlen = usize::from(i.u8()?);
            let version = i.take(vlen)?;
            let digest = i.array::<32>()?;
            let max_chunk = i.u32()?;
            let boot = BootOutcome::from_bytes(i.array::<8>()?);
            let last_result = ResultCode::from_u8(i.u8()?);
            let target = if option {
                Some(Target {
                    image_id: i.u32()?,
                    next_offset: i.u32()?,
                })
            } else {
                None
            };
            // Bytes after the known fields are ignored: later versions append there.
            Message::Status(Status {
                version,
                digest,
                max_chunk,
                boot,
                last_result,
                target,
            })
        }
        KIND_WAIT => Message::Wait(Wait {
            poll_secs: i.u32()?,
        }),
        KIND_SYNC => Message::Sync(Sync {
            poll_secs: i.u32()?,
        }),
        KIND_WRITE => {
            let image_id = i.u32()?;
            let offset = i.u32()?;
            let data = if option {
                let data_len = i
                    .rest
                    .len()
                    .checked_sub(4)
                    .ok_or(DecodeError::BodyTooShort)?;
                let data = i.take(data_len)?;
                let expected = i.u32()?;
                let covered = frame
                    .get(..frame.len() - 4)
                    .ok_or(DecodeError::BodyTooShort)?;
                if crc32(covered) != expected {
                    return Err(DecodeError::BadCrc);
                }
                data
            } else {
                i.rest
            };
            if offset
                .checked_add(u32::try_from(data.len()).map_err(|_| DecodeError::InvalidField)?)
                .is_none()
            {
                return Err(DecodeError::InvalidField);
            }
            Message::Write(Write {
                image_id,
                offset,
                data,
                crc: option,
            })
        }
        KIND_SWAP => {
            let image_id = i.u32()?;
            let size = i.u32()?;
            let digest = i.array::<32>()?;
            let signature = if option {
                let sig: &[u8; 64] = i
                    .take(64)?
                    .try_into()
                    .map_err(|_| DecodeError::BodyTooShort)?;
                Some(sig)
            } else {
                None
            };
            Message::Swap(Swap {
                image_id,
                size,
                digest,
                signature,
            })
        }
        KIND_ABORT => Message::Abort(Abort {
            image_id: i.u32()?,
            code: ResultCode::from_u8(i.u8()?),
        }),
        _ => Message::Unknown {
            kind: flags & !FLAG_CORRELATION,
            body: i.rest,
        },
    };
    Ok(Frame {
        correlation_id,
        message,
    })
}
