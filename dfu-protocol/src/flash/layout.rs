//! Where the banks and records live on the flash.

use super::device::Flash;

/// Largest flash write unit supported (bytes). The updater stages a
/// partial write unit in RAM, so this bounds that buffer.
pub const MAX_WRITE_SIZE: usize = 32;

/// A contiguous area of the flash, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Region {
    /// Start offset.
    pub offset: u32,
    /// Length.
    pub size: u32,
}

impl Region {
    /// A region of `size` bytes at `offset`.
    pub const fn new(offset: u32, size: u32) -> Self {
        Self { offset, size }
    }

    /// One past the last byte.
    pub const fn end(&self) -> u32 {
        self.offset.saturating_add(self.size)
    }

    fn overlaps(&self, other: &Self) -> bool {
        self.offset < other.end() && other.offset < self.end()
    }
}

/// The four areas the update machinery uses.
///
/// - `active`: the image the device runs (executes in place).
/// - `update`: where a new image is received; at least one erase page larger
///   than `active`, because the swap moves the old image up by one page to
///   keep it for rollback.
/// - `boot_state`: two copies of the bootloader state record and their
///   progress marks; an even number of erase pages.
/// - `progress`: the updater's resume log (image id, next offset); at least
///   one erase page, two or more to keep the resume point across the log's
///   own compaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Layout {
    /// Running image bank.
    pub active: Region,
    /// Receiving bank (active + one page).
    pub update: Region,
    /// Bootloader state (two copies).
    pub boot_state: Region,
    /// Updater resume log.
    pub progress: Region,
}

/// Why a [`Layout`] does not fit a flash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum LayoutError {
    /// A region is not aligned to, or not a multiple of, the erase size.
    #[error("region not aligned to the erase size")]
    Unaligned,
    /// A region lies beyond the flash capacity.
    #[error("region beyond the flash capacity")]
    OutOfBounds,
    /// Two regions overlap.
    #[error("regions overlap")]
    Overlap,
    /// The update bank is not at least one erase page larger than the active bank.
    #[error("update bank must be one erase page larger than the active bank")]
    UpdateBankTooSmall,
    /// The state or progress area is too small for its records and marks.
    #[error("state or progress area too small")]
    RecordAreaTooSmall,
    /// The flash's write, read or erase sizes are not supported.
    #[error("unsupported flash geometry")]
    UnsupportedGeometry,
}

impl Layout {
    /// Number of erase pages of the active bank.
    pub(crate) fn active_pages<F: Flash>(&self, flash: &F) -> u32 {
        self.active.size / erase_size(flash)
    }

    /// Checks the layout against the flash geometry.
    pub fn validate<F: Flash>(&self, flash: &F) -> Result<(), LayoutError> {
        let (r, w, e) = (flash.read_size(), flash.write_size(), flash.erase_size());
        if w == 0
            || !w.is_power_of_two()
            || w > MAX_WRITE_SIZE
            || r == 0
            || w % r != 0
            || e == 0
            || e % w != 0
            || (e > 256 && e % 256 != 0)
            || u32::try_from(e).is_err()
        {
            return Err(LayoutError::UnsupportedGeometry);
        }
        let e = erase_size(flash);
        let regions = [self.active, self.update, self.boot_state, self.progress];
        let capacity = u32::try_from(flash.capacity()).unwrap_or(u32::MAX);
        for (i, r) in regions.iter().enumerate() {
            if r.offset % e != 0 || r.size % e != 0 || r.size == 0 {
                return Err(LayoutError::Unaligned);
            }
            if r.offset
                .checked_add(r.size)
                .is_none_or(|end| end > capacity)
            {
                return Err(LayoutError::OutOfBounds);
            }
            if regions.iter().skip(i + 1).any(|o| o.overlaps(r)) {
                return Err(LayoutError::Overlap);
            }
        }
        if self.update.size < self.active.size.saturating_add(e) {
            return Err(LayoutError::UpdateBankTooSmall);
        }
        if !self.boot_state.size.is_multiple_of(2 * e) {
            return Err(LayoutError::Unaligned);
        }
        Ok(())
    }
}

pub(crate) fn erase_size<F: Flash>(flash: &F) -> u32 {
    u32::try_from(flash.erase_size()).unwrap_or(u32::MAX)
}

pub(crate) fn write_size<F: Flash>(flash: &F) -> u32 {
    u32::try_from(flash.write_size()).unwrap_or(u32::MAX)
}
