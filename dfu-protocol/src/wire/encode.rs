//! Encoding a frame into a caller buffer.

use super::error::EncodeError;
use super::layout::{
    FLAG_CORRELATION, FLAG_OPTION, HEADER_LEN, KIND_ABORT, KIND_STATUS, KIND_SWAP, KIND_SYNC,
    KIND_WAIT, KIND_WRITE, MAX_BODY_LEN, SYNC, crc32,
};
use super::message::{Frame, Message};
use crate::wire::codes::BootOutcome;

/// The number of bytes [`encode`] writes for `frame`.
pub fn encoded_len(frame: &Frame<'_>) -> usize {
    HEADER_LEN + body_len(frame)
}

fn body_len(frame: &Frame<'_>) -> usize {
    let cid = if frame.correlation_id.is_some() { 4 } else { 0 };
    cid + match &frame.message {
        Message::Status(s) => {
            1 + s.version.len()
                + 32
                + 4
                + BootOutcome::WIRE_LEN
                + 1
                + if s.target.is_some() { 8 } else { 0 }
        }
        Message::Wait(_) | Message::Sync(_) => 4,
        Message::Write(w) => 8 + w.data.len() + if w.crc { 4 } else { 0 },
        Message::Swap(s) => 40 + if s.signature.is_some() { 64 } else { 0 },
        Message::Abort(_) => 5,
        Message::Unknown { body, .. } => body.len(),
    }
}

struct Out<'b> {
    buf: &'b mut [u8],
    pos: usize,
}

impl Out<'_> {
    fn put(&mut self, bytes: &[u8]) -> Result<(), EncodeError> {
        let end = self.pos + bytes.len();
        let dst = self
            .buf
            .get_mut(self.pos..end)
            .ok_or(EncodeError::BufferTooSmall)?;
        dst.copy_from_slice(bytes);
        self.pos = end;
        Ok(())
    }

    fn u32(&mut self, v: u32) -> Result<(), EncodeError> {
        self.put(&v.to_le_bytes())
    }
}

/// Encodes `frame` into `out` and returns the number of bytes written.
///
/// Nothing is written past the returned length; on error the content of
/// `out` is unspecified.
pub fn encode(frame: &Frame<'_>, out: &mut [u8]) -> Result<usize, EncodeError> {
    let body = body_len(frame);
    let body16 = u16::try_from(body).map_err(|_| EncodeError::FieldTooLong)?;
    debug_assert!(body <= MAX_BODY_LEN);
    if out.len() < HEADER_LEN + body {
        return Err(EncodeError::BufferTooSmall);
    }
    let (kind, option) = match &frame.message {
        Message::Status(s) => (KIND_STATUS, s.target.is_some()),
        Message::Wait(_) => (KIND_WAIT, false),
        Message::Sync(_) => (KIND_SYNC, false),
        Message::Write(w) => (KIND_WRITE, w.crc),
        Message::Swap(s) => (KIND_SWAP, s.signature.is_some()),
        Message::Abort(_) => (KIND_ABORT, false),
        Message::Unknown { kind, .. } => (*kind & !FLAG_CORRELATION, false),
    };
    let mut flags = kind;
    if frame.correlation_id.is_some() {
        flags |= FLAG_CORRELATION;
    }
    if option {
        flags |= FLAG_OPTION;
    }
    let mut o = Out { buf: out, pos: 0 };
    let len = body16.to_le_bytes();
    o.put(&[SYNC, flags, len[0], len[1]])?;
    if let Some(cid) = frame.correlation_id {
        o.u32(cid)?;
    }
    match &frame.message {
        Message::Status(s) => {
            let vlen = u8::try_from(s.version.len()).map_err(|_| EncodeError::FieldTooLong)?;
            o.put(&[vlen])?;
            o.put(s.version)?;
            o.put(&s.digest)?;
            o.u32(s.max_chunk)?;
            o.put(&s.boot.to_bytes())?;
            o.put(&[s.last_result.to_u8()])?;
            if let Some(t) = s.target {
                o.u32(t.image_id)?;
                o.u32(t.next_offset)?;
            }
        }
        Message::Wait(w) => o.u32(w.poll_secs)?,
        Message::Sync(s) => o.u32(s.poll_secs)?,
        Message::Write(w) => {
            o.u32(w.image_id)?;
            o.u32(w.offset)?;
            o.put(w.data)?;
            if w.crc {
                let crc = crc32(o.buf.get(..o.pos).ok_or(EncodeError::BufferTooSmall)?);
                o.u32(crc)?;
            }
        }
        Message::Swap(s) => {
            o.u32(s.image_id)?;
            o.u32(s.size)?;
            o.put(&s.digest)?;
            if let Some(sig) = s.signature {
                o.put(sig.as_slice())?;
            }
        }
        Message::Abort(a) => {
            o.u32(a.image_id)?;
            o.put(&[a.code.to_u8()])?;
        }
        Message::Unknown { body, .. } => o.put(body)?,
    }
    Ok(o.pos)
}

/// Encodes `frame` into a new vector (feature `alloc`).
#[cfg(feature = "alloc")]
pub fn encode_to_vec(frame: &Frame<'_>) -> Result<alloc::vec::Vec<u8>, EncodeError> {
    let mut out = alloc::vec![0u8; encoded_len(frame)];
    let n = encode(frame, &mut out)?;
    out.truncate(n);
    Ok(out)
}
