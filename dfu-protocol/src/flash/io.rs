//! Aligned reads, programs, copies and hashing over any [`Flash`].

use sha2::{Digest as _, Sha256};

use super::device::Flash;
use super::layout::erase_size;
use crate::wire::Digest;

/// Scratch size for reads and copies; a multiple of every supported write size.
const CHUNK: usize = 256;

/// Flash failed; the cause stays with the flash driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FlashFailed;

/// Reads `buf.len()` bytes (a multiple of the read size) at `offset`.
pub(crate) fn read_exact<F: Flash>(
    flash: &mut F,
    offset: u32,
    buf: &mut [u8],
) -> Result<(), FlashFailed> {
    flash.read(offset, buf).map_err(|_| FlashFailed)
}

/// Programs `data` (write-size aligned) at `offset`.
pub(crate) fn program<F: Flash>(
    flash: &mut F,
    offset: u32,
    data: &[u8],
) -> Result<(), FlashFailed> {
    flash.write(offset, data).map_err(|_| FlashFailed)
}

/// Whether every byte of `bytes` reads as erased.
pub(crate) fn is_erased(bytes: &[u8]) -> bool {
    bytes.iter().all(|b| *b == 0xFF)
}

/// Erases page `dst` and copies page `src` into it.
pub(crate) fn copy_page<F: Flash>(flash: &mut F, src: u32, dst: u32) -> Result<(), FlashFailed> {
    let e = erase_size(flash);
    flash.erase(dst, dst + e).map_err(|_| FlashFailed)?;
    let mut buf = [0u8; CHUNK];
    let step = CHUNK.min(flash.erase_size());
    let step32 = u32::try_from(step).unwrap_or(u32::MAX);
    let mut at = 0;
    while at < e {
        let part = buf.get_mut(..step).ok_or(FlashFailed)?;
        read_exact(flash, src + at, part)?;
        // Erased runs need no programming, and skipping them keeps copies of
        // half-empty pages cheap.
        if !is_erased(part) {
            program(flash, dst + at, part)?;
        }
        at += step32;
    }
    Ok(())
}

/// SHA-256 of `len` bytes at `offset`.
pub(crate) fn sha256_of<F: Flash>(
    flash: &mut F,
    offset: u32,
    len: u32,
) -> Result<Digest, FlashFailed> {
    let mut h = Sha256::new();
    let mut buf = [0u8; CHUNK];
    let mut done = 0u32;
    let write = flash.write_size();
    while done < len {
        let want = (len - done).min(CHUNK as u32) as usize;
        // Reads stay in whole write units; the hash takes only what belongs to the image.
        let rounded = want.next_multiple_of(write).min(CHUNK);
        let part = buf.get_mut(..rounded).ok_or(FlashFailed)?;
        read_exact(flash, offset + done, part)?;
        h.update(part.get(..want).ok_or(FlashFailed)?);
        done += want as u32;
    }
    Ok(h.finalize().into())
}
