//! libfleet_update's `dfu` module for Cortex-M firmware: every `fu_*`
//! export of `fleet-update-ffi` (features `dfu` and `panic-handler`, no
//! `std`) in one static library, `libfleet_update_firmware.a`, for C code
//! that includes `ffi/include/fleet_update.h`.
//!
//! The two statics below exist for `size.sh` only: their symbol sizes are
//! the bytes of the storage structs the Rust values use on this target (read
//! with `nm -S`); programs do not reference them, so `--gc-sections`
//! removes them from every firmware image.
#![no_std]

use fleet_update::dfu::decoder::DECODER_STORAGE_USED;
use fleet_update::dfu::updater::UPDATER_STORAGE_USED;

/// `size_of` of what a `fu_dfu_updater` holds on this target.
#[allow(unsafe_code, reason = "a named symbol for nm")]
#[unsafe(no_mangle)]
pub static fu_firmware_updater_storage_used: [u8; UPDATER_STORAGE_USED] = [0; UPDATER_STORAGE_USED];

/// `size_of` of what a `fu_dfu_decoder` holds on this target.
#[allow(unsafe_code, reason = "a named symbol for nm")]
#[unsafe(no_mangle)]
pub static fu_firmware_decoder_storage_used: [u8; DECODER_STORAGE_USED] = [0; DECODER_STORAGE_USED];
