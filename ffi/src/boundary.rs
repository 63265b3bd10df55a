//! The panic boundary: no panic crosses into C.
//!
//! Every export runs its body through [`call`]. With `std` a panic is caught
//! there and the export returns its [`PanicDefault`] (`FU_ERR_PANIC` for a
//! result code); the handle the call was working on poisons itself while
//! the panic unwinds (see `ptr::Entered`), so later calls on it return
//! `FU_ERR_POISONED` instead of running on state a panic left half-changed.
//! Without `std` the crate is built with `panic = "abort"`: [`call`] is a
//! plain call and a panic ends in the `#[panic_handler]` of `crate::panic`.

use core::ffi::c_char;

use crate::result::{FU_ERR_PANIC, fu_result};

/// What an export returns when its body panicked.
pub(crate) trait PanicDefault {
    /// The value.
    #[cfg_attr(
        not(feature = "std"),
        allow(dead_code, reason = "without std a panic aborts")
    )]
    fn on_panic() -> Self;
}

impl PanicDefault for fu_result {
    fn on_panic() -> Self {
        FU_ERR_PANIC
    }
}

impl PanicDefault for () {
    fn on_panic() -> Self {}
}

impl PanicDefault for *const c_char {
    fn on_panic() -> Self {
        core::ptr::null()
    }
}

/// Runs an export's body, turning a panic into `R::on_panic()`.
#[cfg(feature = "std")]
pub(crate) fn call<R: PanicDefault>(body: impl FnOnce() -> R) -> R {
    // AssertUnwindSafe: state a panic may leave half-changed is only ever in
    // a handle, and the handle is poisoned during the unwind, so nothing
    // observes it afterwards.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)).unwrap_or_else(|_| R::on_panic())
}

/// Runs an export's body (`panic = "abort"`: a panic never returns here).
#[cfg(not(feature = "std"))]
pub(crate) fn call<R: PanicDefault>(body: impl FnOnce() -> R) -> R {
    body()
}
