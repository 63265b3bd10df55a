//! What the footprint binaries share: a NOR flash over a RAM array and a
//! flash layout, both passed through `black_box` so that the measured code
//! cannot be specialised to constants.
#![no_std]

use core::hint::black_box;

use dfu_protocol::flash::{Layout, Region};
use embedded_storage::nor_flash::{
    ErrorType, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};

/// Erase page of the stand-in flash (nRF52-sized pages).
pub const PAGE: usize = 1024;
/// Capacity of the stand-in flash: state, progress, 4-page active, 5-page update bank.
pub const CAPACITY: usize = 16 * PAGE;

/// A NOR flash over a RAM array: same semantics as the real thing (erase to
/// 0xFF, writes of whole units), in safe code, so the binary contains the
/// updater's and bootloader's logic plus a driver of realistic size.
#[derive(Debug)]
pub struct RamFlash<'a> {
    mem: &'a mut [u8],
}

impl<'a> RamFlash<'a> {
    /// Wraps `mem`; its length is the capacity.
    pub fn new(mem: &'a mut [u8]) -> Self {
        Self {
            mem: black_box(mem),
        }
    }
}

/// Why a flash operation failed.
#[derive(Debug, Clone, Copy)]
pub struct FlashError(NorFlashErrorKind);

impl NorFlashError for FlashError {
    fn kind(&self) -> NorFlashErrorKind {
        self.0
    }
}

impl ErrorType for RamFlash<'_> {
    type Error = FlashError;
}

fn range(offset: u32, len: usize, align: usize) -> Result<core::ops::Range<usize>, FlashError> {
    let start = offset as usize;
    if !start.is_multiple_of(align) || !len.is_multiple_of(align) {
        return Err(FlashError(NorFlashErrorKind::NotAligned));
    }
    Ok(start..start.saturating_add(len))
}

impl ReadNorFlash for RamFlash<'_> {
    const READ_SIZE: usize = 1;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), Self::Error> {
        let src = self
            .mem
            .get(range(offset, bytes.len(), 1)?)
            .ok_or(FlashError(NorFlashErrorKind::OutOfBounds))?;
        bytes.copy_from_slice(src);
        Ok(())
    }

    fn capacity(&self) -> usize {
        self.mem.len()
    }
}

impl NorFlash for RamFlash<'_> {
    const WRITE_SIZE: usize = 4;
    const ERASE_SIZE: usize = PAGE;

    fn erase(&mut self, from: u32, to: u32) -> Result<(), Self::Error> {
        let len = to
            .checked_sub(from)
            .ok_or(FlashError(NorFlashErrorKind::Other))?;
        self.mem
            .get_mut(range(from, len as usize, PAGE)?)
            .ok_or(FlashError(NorFlashErrorKind::OutOfBounds))?
            .fill(0xFF);
        Ok(())
    }

    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Self::Error> {
        let dst = self
            .mem
            .get_mut(range(offset, bytes.len(), Self::WRITE_SIZE)?)
            .ok_or(FlashError(NorFlashErrorKind::OutOfBounds))?;
        // NOR programming only clears bits.
        for (d, s) in dst.iter_mut().zip(bytes) {
            *d &= *s;
        }
        Ok(())
    }
}

/// The layout both binaries use, opaque to the optimiser.
pub fn layout() -> Layout {
    let p = PAGE as u32;
    black_box(Layout {
        boot_state: Region::new(0, 2 * p),
        progress: Region::new(2 * p, 2 * p),
        active: Region::new(4 * p, 4 * p),
        update: Region::new(8 * p, 5 * p),
    })
}
