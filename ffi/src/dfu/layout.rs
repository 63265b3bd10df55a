//! Checking a layout against a flash, and computing one.

use core::convert::Infallible;

use dfu_protocol::flash::{Flash, Layout, Region};

use super::errors;
use super::flash::{fu_dfu_flash, fu_dfu_layout};
use crate::ptr;
use crate::result::{FU_ERR_DFU_LAYOUT_OUT_OF_BOUNDS, FU_ERR_DFU_UNSUPPORTED_GEOMETRY, fu_result};

/// A flash table's geometry alone: layouts are checked before any callback
/// is called (or even set).
#[derive(Debug)]
struct Geometry(fu_dfu_flash);

impl Flash for Geometry {
    type Error = Infallible;

    fn read(&mut self, _: u32, _: &mut [u8]) -> Result<(), Infallible> {
        Ok(())
    }

    fn write(&mut self, _: u32, _: &[u8]) -> Result<(), Infallible> {
        Ok(())
    }

    fn erase(&mut self, _: u32, _: u32) -> Result<(), Infallible> {
        Ok(())
    }

    fn capacity(&self) -> usize {
        self.0.capacity as usize
    }

    fn read_size(&self) -> usize {
        self.0.read_size as usize
    }

    fn write_size(&self) -> usize {
        self.0.write_size as usize
    }

    fn erase_size(&self) -> usize {
        self.0.erase_size as usize
    }
}

/// Checks `layout` against the geometry and capacity of `flash` (its
/// callbacks are not called and may be NULL).
///
/// Returns `FU_OK` or the `FU_ERR_DFU_LAYOUT_*` /
/// `FU_ERR_DFU_UNSUPPORTED_GEOMETRY` code naming the first problem.
///
/// # Safety
/// `layout` and `flash` point to valid structs.
#[allow(unsafe_code, reason = "exported C symbol")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fu_dfu_layout_validate(
    layout: *const fu_dfu_layout,
    flash: *const fu_dfu_flash,
) -> fu_result {
    crate::boundary::call(|| {
        crate::status(|| {
            let layout = Layout::from(ptr::input(layout)?);
            let flash = Geometry(ptr::input(flash)?);
            layout.validate(&flash).map_err(errors::layout)
        })
    })
}

/// Computes a layout for images up to `max_image` bytes starting at `base`
/// (erase-page aligned): boot state, progress log (two pages), active bank,
/// update bank (one page more), in that order.
///
/// Fails with `FU_ERR_DFU_LAYOUT_OUT_OF_BOUNDS` when it does not fit the
/// flash, or the code `fu_dfu_layout_validate` gives for it.
///
/// # Safety
/// `flash` points to a valid struct (callbacks unused); `out` is writable,
/// written only on success.
#[allow(unsafe_code, reason = "exported C symbol")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fu_dfu_layout_suggest(
    flash: *const fu_dfu_flash,
    base: u32,
    max_image: u32,
    out: *mut fu_dfu_layout,
) -> fu_result {
    crate::boundary::call(|| {
        crate::status(|| {
            let flash = Geometry(ptr::input(flash)?);
            let out = ptr::out(out)?;
            let layout = suggest(&flash, base, max_image)?;
            layout.validate(&flash).map_err(errors::layout)?;
            out.write(layout.into());
            Ok(())
        })
    })
}

/// The same arrangement as `dfu_protocol::sim::layout_for`, with the
/// geometry known at run time and every sum checked.
fn suggest(flash: &Geometry, base: u32, max_image: u32) -> Result<Layout, fu_result> {
    let e = flash.0.erase_size;
    let w = flash.0.write_size;
    if e == 0 || w == 0 {
        return Err(FU_ERR_DFU_UNSUPPORTED_GEOMETRY);
    }
    let oob = || FU_ERR_DFU_LAYOUT_OUT_OF_BOUNDS;
    let pages = max_image.div_ceil(e).max(1);
    // Room for the swap's two marks per page and at least 16 attempt marks.
    let marks = pages.checked_mul(2).ok_or_else(oob)?.max(16);
    let record = marks.checked_mul(w).and_then(|m| m.checked_add(128));
    let copy_pages = record.ok_or_else(oob)?.div_ceil(e);
    let size = |n: u32| n.checked_mul(e).ok_or_else(oob);
    let boot_state = Region::new(base, size(copy_pages.checked_mul(2).ok_or_else(oob)?)?);
    let progress = Region::new(
        boot_state
            .offset
            .checked_add(boot_state.size)
            .ok_or_else(oob)?,
        size(2)?,
    );
    let active = Region::new(
        progress.offset.checked_add(progress.size).ok_or_else(oob)?,
        size(pages)?,
    );
    let update = Region::new(
        active.offset.checked_add(active.size).ok_or_else(oob)?,
        size(pages.checked_add(1).ok_or_else(oob)?)?,
    );
    if update.offset.checked_add(update.size).is_none() {
        return Err(oob());
    }
    Ok(Layout {
        active,
        update,
        boot_state,
        progress,
    })
}
