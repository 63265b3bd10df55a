//! Flash layout shared by the updater and the bootloader, the flash trait
//! they drive, and the few aligned operations both need.

mod device;
mod io;
mod layout;

pub(crate) mod layout_sizes {
    pub(crate) use super::layout::{erase_size, write_size};
}

pub use device::Flash;
pub(crate) use io::{copy_page, is_erased, program, read_exact, sha256_of};
pub use layout::{Layout, LayoutError, MAX_WRITE_SIZE, Region};
