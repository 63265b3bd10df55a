//! The flash as C firmware describes it: a callback table with its
//! geometry, and the layout of the update regions.

use core::ffi::{c_int, c_void};

use dfu_protocol::flash::{Layout, Region};

use crate::callback::CFlash;
use crate::result::{FU_ERR_NULL_PARAMETER, fu_result};

/// Reads `len` bytes at `offset` into `buf`; returns 0 on success.
pub type fu_dfu_flash_read =
    Option<unsafe extern "C" fn(ctx: *mut c_void, offset: u32, buf: *mut u8, len: usize) -> c_int>;
/// Programs `len` bytes (whole write units) at `offset`; returns 0 on success.
pub type fu_dfu_flash_write = Option<
    unsafe extern "C" fn(ctx: *mut c_void, offset: u32, buf: *const u8, len: usize) -> c_int,
>;
/// Erases the whole pages from `from` up to `to` (exclusive); returns 0 on success.
pub type fu_dfu_flash_erase =
    Option<unsafe extern "C" fn(ctx: *mut c_void, from: u32, to: u32) -> c_int>;

/// A NOR flash behind callbacks, with its geometry.
///
/// Copied by the functions that take it; `ctx` is passed back to every
/// callback and must stay valid while an updater opened with this table is
/// open (the library never dereferences it). The callbacks run on the
/// calling thread, inside the library call that needs them; they must
/// return (no `longjmp`, no C++ exception) and must not call the library on
/// the handle that is calling them (that returns `FU_ERR_BUSY`).
///
/// NOR rules apply: erase sets bytes to `0xFF`; a write unit is programmed at
/// most once between erases; reads are `read_size` aligned, writes
/// `write_size` aligned, erases whole `erase_size` pages. Supported: a
/// `write_size` that is a power of two up to 32 and a multiple of
/// `read_size`, an `erase_size` that is a multiple of `write_size` (and of
/// 256 above 256).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct fu_dfu_flash {
    /// Passed to every callback.
    pub ctx: *mut c_void,
    /// Size of the flash in bytes.
    pub capacity: u32,
    /// Read unit in bytes.
    pub read_size: u32,
    /// Write (program) unit in bytes.
    pub write_size: u32,
    /// Erase page in bytes.
    pub erase_size: u32,
    /// Required.
    pub read: fu_dfu_flash_read,
    /// Required.
    pub write: fu_dfu_flash_write,
    /// Required.
    pub erase: fu_dfu_flash_erase,
}

/// A contiguous area of the flash, in bytes.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct fu_dfu_region {
    /// Start offset.
    pub offset: u32,
    /// Length.
    pub size: u32,
}

/// The four areas the update machinery uses.
///
/// `active`: the running image. `update`: where a new image is received, at
/// least one erase page larger than `active` (the swap keeps the old image
/// there for rollback). `boot_state`: two copies of the bootloader's state
/// record and their marks, an even number of pages. `progress`: the
/// updater's resume log, two pages or more to keep the resume point across
/// the log's own compaction. `fu_dfu_layout_suggest` computes one.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct fu_dfu_layout {
    /// Running image bank.
    pub active: fu_dfu_region,
    /// Receiving bank.
    pub update: fu_dfu_region,
    /// Bootloader state (two copies).
    pub boot_state: fu_dfu_region,
    /// Updater resume log.
    pub progress: fu_dfu_region,
}

impl From<fu_dfu_region> for Region {
    fn from(r: fu_dfu_region) -> Self {
        Self::new(r.offset, r.size)
    }
}

impl From<Region> for fu_dfu_region {
    fn from(r: Region) -> Self {
        Self {
            offset: r.offset,
            size: r.size,
        }
    }
}

impl From<fu_dfu_layout> for Layout {
    fn from(l: fu_dfu_layout) -> Self {
        Self {
            active: l.active.into(),
            update: l.update.into(),
            boot_state: l.boot_state.into(),
            progress: l.progress.into(),
        }
    }
}

impl From<Layout> for fu_dfu_layout {
    fn from(l: Layout) -> Self {
        Self {
            active: l.active.into(),
            update: l.update.into(),
            boot_state: l.boot_state.into(),
            progress: l.progress.into(),
        }
    }
}

impl fu_dfu_flash {
    /// The Rust side of the table: every callback present. The geometry is
    /// checked by `Layout::validate`, which every entry point runs first.
    pub(crate) fn to_flash(self) -> Result<CFlash, fu_result> {
        match (self.read, self.write, self.erase) {
            (Some(read), Some(write), Some(erase)) => Ok(CFlash::new(
                self.ctx,
                [
                    self.capacity,
                    self.read_size,
                    self.write_size,
                    self.erase_size,
                ],
                read,
                write,
                erase,
            )),
            _ => Err(FU_ERR_NULL_PARAMETER),
        }
    }
}
