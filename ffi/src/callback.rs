//! Calls into C: the flash callback table and the panic hook.
//!
//! With `ptr` this is one of the two modules with `unsafe` code: calling a
//! C function pointer is `unsafe`, and the C caller's promises about its
//! callbacks are written on the types that carry them (`fu_dfu_flash`,
//! `fu_panic_hook`).

use core::ffi::c_void;
#[cfg(feature = "dfu")]
pub(crate) use flash::CFlash;

#[cfg(feature = "dfu")]
mod flash {
    use core::ffi::{c_int, c_void};

    use dfu_protocol::flash::Flash;

    type ReadFn = unsafe extern "C" fn(*mut c_void, u32, *mut u8, usize) -> c_int;
    type WriteFn = unsafe extern "C" fn(*mut c_void, u32, *const u8, usize) -> c_int;
    type EraseFn = unsafe extern "C" fn(*mut c_void, u32, u32) -> c_int;

    /// A `fu_dfu_flash` table as the DFU core's [`Flash`]: every operation
    /// is one callback; a non-zero return fails the operation and is kept
    /// for `fu_dfu_updater_last_flash_error`.
    #[derive(Debug)]
    pub(crate) struct CFlash {
        ctx: *mut c_void,
        /// capacity, read, write and erase size, as given.
        geometry: [u32; 4],
        read: ReadFn,
        write: WriteFn,
        erase: EraseFn,
        last_error: c_int,
    }

    impl CFlash {
        pub(crate) fn new(
            ctx: *mut c_void,
            geometry: [u32; 4],
            read: ReadFn,
            write: WriteFn,
            erase: EraseFn,
        ) -> Self {
            Self {
                ctx,
                geometry,
                read,
                write,
                erase,
                last_error: 0,
            }
        }

        /// The last non-zero return of a callback (0 if none failed).
        pub(crate) fn last_error(&self) -> c_int {
            self.last_error
        }

        fn check(&mut self, rc: c_int) -> Result<(), c_int> {
            if rc == 0 {
                Ok(())
            } else {
                self.last_error = rc;
                Err(rc)
            }
        }

        fn size(&self, i: usize) -> usize {
            self.geometry.get(i).map_or(0, |s| *s as usize)
        }
    }

    impl Flash for CFlash {
        type Error = c_int;

        fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), c_int> {
            // SAFETY: the C caller promised (`fu_dfu_flash`) that `read` may
            // be called with `ctx` while this flash is in use, writing at
            // most `len` bytes to `buf`; `buf` is a live, exclusively
            // borrowed Rust buffer of that length.
            let rc = unsafe { (self.read)(self.ctx, offset, bytes.as_mut_ptr(), bytes.len()) };
            self.check(rc)
        }

        fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), c_int> {
            // SAFETY: as for `read`; the callback only reads `len` bytes of
            // a live Rust buffer.
            let rc = unsafe { (self.write)(self.ctx, offset, bytes.as_ptr(), bytes.len()) };
            self.check(rc)
        }

        fn erase(&mut self, from: u32, to: u32) -> Result<(), c_int> {
            // SAFETY: as for `read`; no buffer is passed.
            let rc = unsafe { (self.erase)(self.ctx, from, to) };
            self.check(rc)
        }

        fn capacity(&self) -> usize {
            self.size(0)
        }

        fn read_size(&self) -> usize {
            self.size(1)
        }

        fn write_size(&self) -> usize {
            self.size(2)
        }

        fn erase_size(&self) -> usize {
            self.size(3)
        }
    }
}

/// Calls the panic hook (`hook` as stored by `fu_set_panic_hook`), if set.
#[cfg_attr(
    not(all(feature = "panic-handler", not(feature = "std"), panic = "abort")),
    allow(dead_code, reason = "only the no_std panic handler calls it")
)]
pub(crate) fn call_panic_hook(hook: *mut c_void, file: &[u8], line: u32) {
    if hook.is_null() {
        return;
    }
    type Hook = unsafe extern "C" fn(*const u8, usize, u32);
    // SAFETY: a non-NULL value was stored by `fu_set_panic_hook` from a
    // `fu_panic_hook` function pointer of exactly this type.
    let hook = unsafe { core::mem::transmute::<*mut c_void, Hook>(hook) };
    let name = if file.is_empty() {
        core::ptr::null()
    } else {
        file.as_ptr()
    };
    // SAFETY: the C caller promised a hook callable from any library call;
    // `name` is NULL or a static string passed with its length.
    unsafe { hook(name, file.len(), line) }
}
