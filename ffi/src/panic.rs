//! The panic hook firmware sets, and the `#[panic_handler]` that calls it.
//!
//! Without `std` the library is built with `panic = "abort"` and a panic
//! (a bug in the library: it never panics on input) cannot return into C.
//! The feature `panic-handler` provides the `#[panic_handler]`: it calls the
//! hook set with [`fu_set_panic_hook`], which on a device typically logs the
//! location and resets. A reset is safe at any point: every flash step of
//! the updater and the bootloader is resumable (the power-cut tests cut the
//! power at every single program and erase of whole updates, and every boot
//! after that starts the old or the new verified image), and the bootloader
//! records the reset cause the firmware reports (`FU_DFU_RESET_FAULT`) in
//! the trial's diagnostics. If no hook is set, or the hook returns, the
//! handler spins, so a watchdog resets the device.
//!
//! The hook pointer is the library's only `static`.

#![allow(non_camel_case_types)]

use core::ffi::c_void;
use core::sync::atomic::{AtomicPtr, Ordering};

/// Called on a panic in builds without `std`. With the feature
/// `panic-location` it gets the source file (not NUL-terminated, `file_len`
/// bytes, static) and line of the panic; without it NULL, 0 and 0. It
/// should not return; resetting the device is the usual choice.
pub type fu_panic_hook = Option<unsafe extern "C" fn(file: *const u8, file_len: usize, line: u32)>;

static PANIC_HOOK: AtomicPtr<c_void> = AtomicPtr::new(core::ptr::null_mut());

/// Sets the function the library's panic handler calls (builds without
/// `std` and with the feature `panic-handler`); NULL removes it.
///
/// Builds with `std` never call it: there a panic is caught at the API
/// boundary and the call returns `FU_ERR_PANIC`. Call it once at start-up,
/// before any other call of this library.
#[allow(unsafe_code, reason = "exported C symbol")]
#[unsafe(no_mangle)]
pub extern "C" fn fu_set_panic_hook(hook: fu_panic_hook) {
    crate::boundary::call(|| {
        let raw = hook.map_or(core::ptr::null_mut(), |h| h as *mut c_void);
        PANIC_HOOK.store(raw, Ordering::Release);
    });
}

/// The hook, if one is set.
#[cfg_attr(
    not(all(feature = "panic-handler", not(feature = "std"), panic = "abort")),
    allow(dead_code, reason = "only the no_std panic handler reads it")
)]
pub(crate) fn hook() -> *mut c_void {
    PANIC_HOOK.load(Ordering::Acquire)
}

#[cfg(all(
    feature = "panic-handler",
    not(feature = "std"),
    panic = "abort",
    not(test)
))]
#[panic_handler]
fn on_panic(info: &core::panic::PanicInfo<'_>) -> ! {
    // Without `panic-location` the locations (and their file names, about
    // 4 KB of flash on thumbv7em) are not kept: the hook gets NULL, 0, 0.
    #[cfg(feature = "panic-location")]
    let (file, line) = info
        .location()
        .map_or((&[][..], 0), |at| (at.file().as_bytes(), at.line()));
    #[cfg(not(feature = "panic-location"))]
    let (file, line) = {
        let _ = info;
        (&[][..], 0)
    };
    crate::callback::call_panic_hook(hook(), file, line);
    loop {
        core::hint::spin_loop();
    }
}
