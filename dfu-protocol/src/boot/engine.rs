//! The page moves of a swap and of a rollback, resumable from their marks.

use super::BootError;
use super::record::{Current, set_mark};
use crate::flash::layout_sizes::erase_size;
use crate::flash::{Flash, Layout, copy_page};

/// Runs swap steps `done..2 * pages`.
///
/// Step 2k moves active page i to update page i + 1, step 2k + 1 moves
/// update page i to active page i, with i = pages - 1 - k.
pub(crate) fn swap<F: Flash>(
    flash: &mut F,
    layout: &Layout,
    cur: &Current,
    done: u32,
) -> Result<(), BootError> {
    let e = erase_size(flash);
    let pages = cur.record.pages;
    for step in done..2 * pages {
        let i = pages - 1 - step / 2;
        let (src, dst) = if step % 2 == 0 {
            (
                layout.active.offset + i * e,
                layout.update.offset + (i + 1) * e,
            )
        } else {
            (layout.update.offset + i * e, layout.active.offset + i * e)
        };
        copy_page(flash, src, dst).map_err(|_| BootError::Flash)?;
        set_mark(flash, layout, cur, step, 0)?;
    }
    Ok(())
}

/// Runs rollback steps `done..2 * pages`.
///
/// Step 2i moves active page i to update page i, step 2i + 1 moves update
/// page i + 1 to active page i.
pub(crate) fn revert<F: Flash>(
    flash: &mut F,
    layout: &Layout,
    cur: &Current,
    done: u32,
) -> Result<(), BootError> {
    let e = erase_size(flash);
    let pages = cur.record.pages;
    for step in done..2 * pages {
        let i = step / 2;
        let (src, dst) = if step % 2 == 0 {
            (layout.active.offset + i * e, layout.update.offset + i * e)
        } else {
            (
                layout.update.offset + (i + 1) * e,
                layout.active.offset + i * e,
            )
        };
        copy_page(flash, src, dst).map_err(|_| BootError::Flash)?;
        set_mark(flash, layout, cur, step, 0)?;
    }
    Ok(())
}
