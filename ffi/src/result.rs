//! `fu_result`: the numbered result codes every fallible export returns.
//!
//! The numbers are part of the ABI and are never reused: a code that goes
//! away keeps its number retired here in a comment. Ranges: 0 success,
//! 1xxx misuse of the API, 2xxx the DDI module (reserved, not shipped yet),
//! 3xxx the DFU module, 4xxx the desired-state module (reserved).

#![allow(non_camel_case_types)]

use core::ffi::c_char;

/// A result code: `FU_OK` (0) or one of the `FU_ERR_*` numbers.
///
/// It is a plain `uint32_t` so that any value a C program holds is a valid
/// argument to `fu_result_name`; the library only ever returns the numbers
/// defined here.
pub type fu_result = u32;

/// Success.
pub const FU_OK: fu_result = 0;

// ---- 1xxx: misuse of the API ----
/// A pointer argument that must not be NULL was NULL.
pub const FU_ERR_NULL_PARAMETER: fu_result = 1001;
/// An output buffer is too small; the size needed was written to the
/// function's size out-parameter.
pub const FU_ERR_BUFFER_TOO_SMALL: fu_result = 1002;
/// The handle is inside another call of this library (a callback called
/// back in on the same handle); nothing was done.
pub const FU_ERR_BUSY: fu_result = 1003;
/// The handle was never opened (or its storage was overwritten).
pub const FU_ERR_NOT_OPEN: fu_result = 1004;
/// The handle was closed.
pub const FU_ERR_CLOSED: fu_result = 1005;
/// The library panicked inside this call (a bug in the library); the
/// handle, if any, is poisoned.
pub const FU_ERR_PANIC: fu_result = 1006;
/// An earlier call panicked on this handle; only close/free works on it.
pub const FU_ERR_POISONED: fu_result = 1007;
/// An argument is out of range (an unknown kind, a length over the limit,
/// a misaligned pointer).
pub const FU_ERR_INVALID_PARAMETER: fu_result = 1008;

// ---- 2xxx: reserved for the DDI module ----

// ---- 3xxx: the DFU module ----
/// A flash callback returned non-zero; the updater's
/// `fu_dfu_updater_last_flash_error` has its return code.
pub const FU_ERR_DFU_FLASH: fu_result = 3001;
/// A layout region is not aligned to, or not a multiple of, the erase size.
pub const FU_ERR_DFU_LAYOUT_UNALIGNED: fu_result = 3002;
/// A layout region lies beyond the flash capacity.
pub const FU_ERR_DFU_LAYOUT_OUT_OF_BOUNDS: fu_result = 3003;
/// Two layout regions overlap.
pub const FU_ERR_DFU_LAYOUT_OVERLAP: fu_result = 3004;
/// The update bank is not at least one erase page larger than the active bank.
pub const FU_ERR_DFU_LAYOUT_UPDATE_BANK_TOO_SMALL: fu_result = 3005;
/// The boot-state or progress area is too small for its records and marks.
pub const FU_ERR_DFU_LAYOUT_RECORD_AREA_TOO_SMALL: fu_result = 3006;
/// The flash's read, write or erase size is not supported (zero, not a
/// power of two, a write unit over 32 bytes, an erase page not a multiple
/// of the write unit).
pub const FU_ERR_DFU_UNSUPPORTED_GEOMETRY: fu_result = 3007;
/// The layout is invalid for another reason.
pub const FU_ERR_DFU_INVALID_LAYOUT: fu_result = 3008;
/// The updater configuration is out of range (zero chunk or attempts).
pub const FU_ERR_DFU_INVALID_CONFIG: fu_result = 3009;
/// The boot-state area cannot hold the marks a swap or the attempts need.
pub const FU_ERR_DFU_STATE_AREA_TOO_SMALL: fu_result = 3010;
/// An update is already pending or on trial.
pub const FU_ERR_DFU_NOT_IDLE: fu_result = 3011;
/// The image is empty or larger than the active bank.
pub const FU_ERR_DFU_BAD_IMAGE_SIZE: fu_result = 3012;
/// The number of boot attempts is zero or does not fit the state area.
pub const FU_ERR_DFU_BAD_ATTEMPTS: fu_result = 3013;
/// Decoding: bytes that cannot start a frame were skipped.
pub const FU_ERR_DFU_BAD_SYNC: fu_result = 3020;
/// Decoding: the frame has a wire version this library does not speak.
pub const FU_ERR_DFU_UNSUPPORTED_VERSION: fu_result = 3021;
/// Decoding: the frame is longer than the decoder accepts; it was skipped.
pub const FU_ERR_DFU_FRAME_TOO_LARGE: fu_result = 3022;
/// Decoding: the input ends before the frame does.
pub const FU_ERR_DFU_TRUNCATED: fu_result = 3023;
/// Decoding: the body is shorter than its kind's fields.
pub const FU_ERR_DFU_BODY_TOO_SHORT: fu_result = 3024;
/// Decoding: the CRC-32 trailer does not match.
pub const FU_ERR_DFU_BAD_CRC: fu_result = 3025;
/// Decoding: a field holds a value the format forbids.
pub const FU_ERR_DFU_INVALID_FIELD: fu_result = 3026;
/// Encoding: a field is longer than the format allows (a version string
/// over 255 bytes).
pub const FU_ERR_DFU_FIELD_TOO_LONG: fu_result = 3030;
/// An error of the DFU core this library version does not know by name.
pub const FU_ERR_DFU_OTHER: fu_result = 3099;

// ---- 4xxx: reserved for the desired-state module ----

/// Every code with its name, for `fu_result_name` and the tests.
pub(crate) const NAMES: &[(fu_result, &core::ffi::CStr)] = &[
    (FU_OK, c"FU_OK"),
    (FU_ERR_NULL_PARAMETER, c"FU_ERR_NULL_PARAMETER"),
    (FU_ERR_BUFFER_TOO_SMALL, c"FU_ERR_BUFFER_TOO_SMALL"),
    (FU_ERR_BUSY, c"FU_ERR_BUSY"),
    (FU_ERR_NOT_OPEN, c"FU_ERR_NOT_OPEN"),
    (FU_ERR_CLOSED, c"FU_ERR_CLOSED"),
    (FU_ERR_PANIC, c"FU_ERR_PANIC"),
    (FU_ERR_POISONED, c"FU_ERR_POISONED"),
    (FU_ERR_INVALID_PARAMETER, c"FU_ERR_INVALID_PARAMETER"),
    (FU_ERR_DFU_FLASH, c"FU_ERR_DFU_FLASH"),
    (FU_ERR_DFU_LAYOUT_UNALIGNED, c"FU_ERR_DFU_LAYOUT_UNALIGNED"),
    (
        FU_ERR_DFU_LAYOUT_OUT_OF_BOUNDS,
        c"FU_ERR_DFU_LAYOUT_OUT_OF_BOUNDS",
    ),
    (FU_ERR_DFU_LAYOUT_OVERLAP, c"FU_ERR_DFU_LAYOUT_OVERLAP"),
    (
        FU_ERR_DFU_LAYOUT_UPDATE_BANK_TOO_SMALL,
        c"FU_ERR_DFU_LAYOUT_UPDATE_BANK_TOO_SMALL",
    ),
    (
        FU_ERR_DFU_LAYOUT_RECORD_AREA_TOO_SMALL,
        c"FU_ERR_DFU_LAYOUT_RECORD_AREA_TOO_SMALL",
    ),
    (
        FU_ERR_DFU_UNSUPPORTED_GEOMETRY,
        c"FU_ERR_DFU_UNSUPPORTED_GEOMETRY",
    ),
    (FU_ERR_DFU_INVALID_LAYOUT, c"FU_ERR_DFU_INVALID_LAYOUT"),
    (FU_ERR_DFU_INVALID_CONFIG, c"FU_ERR_DFU_INVALID_CONFIG"),
    (
        FU_ERR_DFU_STATE_AREA_TOO_SMALL,
        c"FU_ERR_DFU_STATE_AREA_TOO_SMALL",
    ),
    (FU_ERR_DFU_NOT_IDLE, c"FU_ERR_DFU_NOT_IDLE"),
    (FU_ERR_DFU_BAD_IMAGE_SIZE, c"FU_ERR_DFU_BAD_IMAGE_SIZE"),
    (FU_ERR_DFU_BAD_ATTEMPTS, c"FU_ERR_DFU_BAD_ATTEMPTS"),
    (FU_ERR_DFU_BAD_SYNC, c"FU_ERR_DFU_BAD_SYNC"),
    (
        FU_ERR_DFU_UNSUPPORTED_VERSION,
        c"FU_ERR_DFU_UNSUPPORTED_VERSION",
    ),
    (FU_ERR_DFU_FRAME_TOO_LARGE, c"FU_ERR_DFU_FRAME_TOO_LARGE"),
    (FU_ERR_DFU_TRUNCATED, c"FU_ERR_DFU_TRUNCATED"),
    (FU_ERR_DFU_BODY_TOO_SHORT, c"FU_ERR_DFU_BODY_TOO_SHORT"),
    (FU_ERR_DFU_BAD_CRC, c"FU_ERR_DFU_BAD_CRC"),
    (FU_ERR_DFU_INVALID_FIELD, c"FU_ERR_DFU_INVALID_FIELD"),
    (FU_ERR_DFU_FIELD_TOO_LONG, c"FU_ERR_DFU_FIELD_TOO_LONG"),
    (FU_ERR_DFU_OTHER, c"FU_ERR_DFU_OTHER"),
];

/// The name of a result code (`"FU_ERR_BUSY"` for 1003), or NULL for a
/// number this library version does not define.
///
/// The string is static: never free it.
#[allow(unsafe_code, reason = "exported C symbol")]
#[unsafe(no_mangle)]
pub extern "C" fn fu_result_name(result: u32) -> *const c_char {
    crate::boundary::call(|| {
        NAMES
            .iter()
            .find(|(code, _)| *code == result)
            .map_or(core::ptr::null(), |(_, name)| name.as_ptr())
    })
}

/// `FU_OK` for `Ok`, the code for `Err`: the shape of every export's body.
#[cfg(feature = "dfu")]
pub(crate) fn status(body: impl FnOnce() -> Result<(), fu_result>) -> fu_result {
    match body() {
        Ok(()) => FU_OK,
        Err(code) => code,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_in_their_ranges() {
        for (i, (code, name)) in NAMES.iter().enumerate() {
            assert!(
                NAMES.iter().skip(i + 1).all(|(c, _)| c != code),
                "{code} twice"
            );
            let name = name.to_str().expect("ascii");
            let range = match *code {
                0 => "FU_OK",
                1000..=1999 => "FU_ERR_",
                3000..=3999 => "FU_ERR_DFU_",
                _ => panic!("{name}: {code} outside the shipped ranges"),
            };
            assert!(name.starts_with(range), "{name} = {code}");
        }
    }
}
