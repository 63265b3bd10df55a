//! C pointers into Rust values: NULL and alignment checks, byte buffers,
//! out-parameters, and the caller-owned storage of handles (magic word,
//! busy flag, poison flag).
//!
//! With `callback` this is one of the two modules with `unsafe` code. Its
//! functions are safe to call from the rest of the crate because every
//! pointer they receive comes straight from an export whose C caller
//! promised, in the export's `# Safety` contract, that it is valid for the
//! use documented there. What can be checked is checked here (NULL,
//! alignment, the magic word, re-entry); the rest of the promise is what
//! turns a pointer into a reference.

use core::marker::PhantomData;
use core::mem::{MaybeUninit, align_of, size_of};
use core::ptr::{self, NonNull, addr_of, addr_of_mut};

use crate::result::{
    FU_ERR_BUSY, FU_ERR_CLOSED, FU_ERR_INVALID_PARAMETER, FU_ERR_NOT_OPEN, FU_ERR_NULL_PARAMETER,
    FU_ERR_POISONED, fu_result,
};

/// A checked out-parameter, written at most once (on success).
#[derive(Debug)]
pub(crate) struct Out<'a, T> {
    ptr: NonNull<T>,
    _borrow: PhantomData<&'a mut T>,
}

impl<T> Out<'_, T> {
    /// Writes the result; the previous content is not read or dropped.
    pub(crate) fn write(self, value: T) {
        // SAFETY: `ptr` is non-NULL and aligned (checked in `out`) and the
        // C caller promised it points to writable memory for one `T`.
        unsafe { self.ptr.as_ptr().write(value) }
    }
}

/// Checks an out-parameter; nothing is written yet.
pub(crate) fn out<'a, T>(p: *mut T) -> Result<Out<'a, T>, fu_result> {
    let ptr = NonNull::new(p).ok_or(FU_ERR_NULL_PARAMETER)?;
    if !p.is_aligned() {
        return Err(FU_ERR_INVALID_PARAMETER);
    }
    Ok(Out {
        ptr,
        _borrow: PhantomData,
    })
}

/// Copies an input struct.
pub(crate) fn input<T: Copy>(p: *const T) -> Result<T, fu_result> {
    if p.is_null() {
        return Err(FU_ERR_NULL_PARAMETER);
    }
    if !p.is_aligned() {
        return Err(FU_ERR_INVALID_PARAMETER);
    }
    // SAFETY: non-NULL and aligned (checked above); the C caller promised it
    // points to an initialised `T`. `T` is one of this crate's `#[repr(C)]`
    // structs of integers, pointers, nullable function pointers and `bool`s,
    // which accept whatever C stores in them (a C `bool` holds 0 or 1).
    Ok(unsafe { p.read() })
}

/// `len` bytes at `p`; NULL is accepted for an empty buffer.
pub(crate) fn bytes<'a>(p: *const u8, len: usize) -> Result<&'a [u8], fu_result> {
    if len == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(FU_ERR_NULL_PARAMETER);
    }
    if isize::try_from(len).is_err() {
        return Err(FU_ERR_INVALID_PARAMETER);
    }
    // SAFETY: non-NULL, `u8` needs no alignment, the length fits `isize`;
    // the C caller promised `len` readable bytes that stay unchanged for 'a.
    Ok(unsafe { core::slice::from_raw_parts(p, len) })
}

/// `len` writable bytes at `p`; NULL is accepted for an empty buffer.
pub(crate) fn bytes_mut<'a>(p: *mut u8, len: usize) -> Result<&'a mut [u8], fu_result> {
    if len == 0 {
        return Ok(&mut []);
    }
    if p.is_null() {
        return Err(FU_ERR_NULL_PARAMETER);
    }
    if isize::try_from(len).is_err() {
        return Err(FU_ERR_INVALID_PARAMETER);
    }
    // SAFETY: as in `bytes`, and the C caller promised nothing else reads or
    // writes these bytes for 'a.
    Ok(unsafe { core::slice::from_raw_parts_mut(p, len) })
}

/// `N` bytes at `p`.
pub(crate) fn array<'a, const N: usize>(p: *const u8) -> Result<&'a [u8; N], fu_result> {
    if p.is_null() {
        return Err(FU_ERR_NULL_PARAMETER);
    }
    // SAFETY: non-NULL, byte arrays need no alignment; the C caller promised
    // `N` readable bytes.
    Ok(unsafe { &*p.cast::<[u8; N]>() })
}

/// What a handle's caller-owned storage holds: a header the library reads
/// and writes through raw pointers only, then the value.
#[repr(C)]
pub(crate) struct Slot<T> {
    /// The open magic of the handle kind, its complement once closed,
    /// anything else before the first open.
    magic: u32,
    /// Non-zero while a call works on the value.
    busy: u8,
    /// Non-zero once a call panicked on the value.
    poisoned: u8,
    value: MaybeUninit<T>,
}

/// Whether a `T` with its header fits storage `S` in size and alignment.
pub(crate) const fn fits<S, T>() -> bool {
    size_of::<Slot<T>>() <= size_of::<S>() && align_of::<Slot<T>>() <= align_of::<S>()
}

fn slot<S, T>(storage: *const S) -> Result<*mut Slot<T>, fu_result> {
    const { assert!(fits::<S, T>()) };
    if storage.is_null() {
        return Err(FU_ERR_NULL_PARAMETER);
    }
    if !storage.is_aligned() {
        return Err(FU_ERR_INVALID_PARAMETER);
    }
    Ok(storage.cast::<Slot<T>>().cast_mut())
}

/// Whether `slot`'s header says open, closed or never opened.
///
/// # Safety
/// `slot` is non-NULL, aligned, and points to storage the C caller keeps
/// valid for the call.
unsafe fn check_open<T>(slot: *const Slot<T>, magic: u32) -> Result<(), fu_result> {
    // SAFETY: the header is plain integers, read through raw pointers so that
    // a call holding the value (a callback re-entering) is not aliased.
    let (m, poisoned, busy) = unsafe {
        (
            addr_of!((*slot).magic).read(),
            addr_of!((*slot).poisoned).read(),
            addr_of!((*slot).busy).read(),
        )
    };
    if m == !magic {
        return Err(FU_ERR_CLOSED);
    }
    if m != magic {
        return Err(FU_ERR_NOT_OPEN);
    }
    if poisoned != 0 {
        return Err(FU_ERR_POISONED);
    }
    if busy != 0 {
        return Err(FU_ERR_BUSY);
    }
    Ok(())
}

/// Initialises a handle in its caller-owned storage.
///
/// Storage that is open and busy (a callback opening the handle it is
/// called from) is refused; open and idle storage is simply overwritten
/// (handles own nothing that needs freeing).
pub(crate) fn open<S, T>(storage: *mut S, magic: u32, value: T) -> Result<(), fu_result> {
    let slot = slot::<S, T>(storage)?;
    // SAFETY: `slot` is non-NULL and aligned; the C caller promised storage
    // of type `S` (which `T` with its header fits, asserted at compile time)
    // that stays valid and in place until closed. The header is read through
    // raw pointers first, so a busy handle's value is never aliased.
    unsafe {
        if addr_of!((*slot).magic).read() == magic && addr_of!((*slot).busy).read() != 0 {
            return Err(FU_ERR_BUSY);
        }
        slot.write(Slot {
            magic,
            busy: 0,
            poisoned: 0,
            value: MaybeUninit::new(value),
        });
    }
    Ok(())
}

/// Exclusive access to an open handle's value for one call; marks the
/// handle busy until dropped, and poisoned if dropped by a panic.
#[derive(Debug)]
pub(crate) struct Entered<'a, T> {
    slot: *mut Slot<T>,
    value: &'a mut T,
}

impl<T> core::ops::Deref for Entered<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.value
    }
}

impl<T> core::ops::DerefMut for Entered<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.value
    }
}

impl<T> Drop for Entered<'_, T> {
    fn drop(&mut self) {
        #[cfg(feature = "std")]
        let poison = std::thread::panicking();
        #[cfg(not(feature = "std"))]
        let poison = false;
        // SAFETY: `slot` was checked in `enter` and stays valid while the
        // handle is open; the header is written through raw pointers only.
        unsafe {
            if poison {
                addr_of_mut!((*self.slot).poisoned).write(1);
            }
            addr_of_mut!((*self.slot).busy).write(0);
        }
    }
}

/// Enters an open handle for a call that may change it.
pub(crate) fn enter<'a, S, T>(storage: *mut S, magic: u32) -> Result<Entered<'a, T>, fu_result> {
    let slot = slot::<S, T>(storage)?;
    // SAFETY: `slot` is non-NULL and aligned and the C caller keeps the
    // storage valid (export contract); `check_open` proved the magic, so
    // `value` was initialised by `open`, and not busy, so no other reference
    // to it exists. The reference is to the value field only: the header
    // stays reachable through raw pointers for re-entrant calls.
    unsafe {
        check_open(slot, magic)?;
        addr_of_mut!((*slot).busy).write(1);
        let value = &mut *addr_of_mut!((*slot).value).cast::<T>();
        Ok(Entered { slot, value })
    }
}

/// Reads an open handle for a call that does not change it.
pub(crate) fn peek<'a, S, T>(storage: *const S, magic: u32) -> Result<&'a T, fu_result> {
    let slot = slot::<S, T>(storage)?;
    // SAFETY: as in `enter`; not busy means no exclusive reference exists,
    // and the shared one ends before the export returns.
    unsafe {
        check_open(slot, magic)?;
        Ok(&*addr_of!((*slot).value).cast::<T>())
    }
}

/// Closes a handle: NULL, never-opened, closed and busy storage are left
/// alone; a poisoned handle is closed.
pub(crate) fn close<S, T>(storage: *mut S, magic: u32) {
    let Ok(slot) = slot::<S, T>(storage) else {
        return;
    };
    // SAFETY: as in `enter`: an open, idle handle's value is initialised and
    // unreferenced, so it may be dropped in place.
    unsafe {
        if addr_of!((*slot).magic).read() != magic || addr_of!((*slot).busy).read() != 0 {
            return;
        }
        ptr::drop_in_place(addr_of_mut!((*slot).value).cast::<T>());
        addr_of_mut!((*slot).magic).write(!magic);
        addr_of_mut!((*slot).poisoned).write(0);
    }
}
