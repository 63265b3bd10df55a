//! The flash the updater and the bootloader drive: the operations of
//! `NorFlash` with its geometry as methods, so that a driver may learn its
//! geometry at run time (a C driver behind callbacks does).

use embedded_storage::nor_flash::{NorFlash, ReadNorFlash};

/// A NOR flash as the update machinery uses it.
///
/// Every `embedded_storage` [`NorFlash`] is one: its `READ_SIZE`,
/// `WRITE_SIZE` and `ERASE_SIZE` constants become the size methods, so Rust
/// drivers need nothing new and compile to the same code. Implement this
/// trait directly only for a flash whose geometry is not a compile-time
/// constant.
///
/// The contract is `NorFlash`'s: erase sets bytes to `0xFF`, a write unit is
/// programmed at most once between erases, reads and writes are aligned to
/// their sizes and erases to whole pages. The sizes must not change while the
/// flash is in use. [`Layout::validate`](super::Layout::validate) rejects
/// sizes the machinery does not support (zero, not powers of two, a write
/// unit over [`MAX_WRITE_SIZE`](super::MAX_WRITE_SIZE)); every entry point
/// that takes a flash validates them first, except the application-side state
/// calls of [`boot`](crate::boot), which expect a flash a bootloader or an
/// updater has accepted.
pub trait Flash {
    /// The driver's error. The update machinery reports only that an
    /// operation failed; the cause stays with the driver.
    type Error;

    /// Reads `bytes.len()` bytes (a multiple of [`read_size`](Self::read_size)) at `offset`.
    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), Self::Error>;

    /// Programs `bytes` (write-unit aligned) at `offset`.
    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Self::Error>;

    /// Erases the whole pages from `from` to `to` (exclusive).
    fn erase(&mut self, from: u32, to: u32) -> Result<(), Self::Error>;

    /// Size of the flash in bytes.
    fn capacity(&self) -> usize;

    /// Read unit in bytes.
    fn read_size(&self) -> usize;

    /// Write unit in bytes.
    fn write_size(&self) -> usize;

    /// Erase page in bytes.
    fn erase_size(&self) -> usize;
}

impl<F: NorFlash> Flash for F {
    type Error = F::Error;

    #[inline]
    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), Self::Error> {
        ReadNorFlash::read(self, offset, bytes)
    }

    #[inline]
    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Self::Error> {
        NorFlash::write(self, offset, bytes)
    }

    #[inline]
    fn erase(&mut self, from: u32, to: u32) -> Result<(), Self::Error> {
        NorFlash::erase(self, from, to)
    }

    #[inline]
    fn capacity(&self) -> usize {
        ReadNorFlash::capacity(self)
    }

    #[inline]
    fn read_size(&self) -> usize {
        F::READ_SIZE
    }

    #[inline]
    fn write_size(&self) -> usize {
        F::WRITE_SIZE
    }

    #[inline]
    fn erase_size(&self) -> usize {
        F::ERASE_SIZE
    }
}
