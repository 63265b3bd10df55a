//! The exports called the way C calls them, through raw pointers: NULLs,
//! too-small buffers, re-entry from a flash callback, use before open and
//! after close, a forced panic, and what each returns.
#![cfg(feature = "dfu")]
#![allow(unsafe_code, reason = "the tests call the C API")]
#![allow(
    clippy::undocumented_unsafe_blocks,
    reason = "every unsafe block here is a call of the C API with pointers to live locals"
)]

use core::ffi::{c_int, c_void};
use core::ptr::{null, null_mut};

use fleet_update::dfu::boot::*;
use fleet_update::dfu::codes::*;
use fleet_update::dfu::decoder::*;
use fleet_update::dfu::flash::*;
use fleet_update::dfu::frame::*;
use fleet_update::dfu::layout::*;
use fleet_update::dfu::session::*;
use fleet_update::dfu::updater::*;
use fleet_update::result::*;
use proptest::prelude::*;

const W: u32 = 4;
const E: u32 = 256;

/// A RAM flash whose callbacks can fail or call back into the library.
struct Ram {
    mem: Vec<u8>,
    /// Set: every write fails with this code.
    write_error: Option<c_int>,
    /// Set: the first erase calls the library on this updater and records the results.
    reenter: *mut fu_dfu_updater,
    reentry_results: Vec<fu_result>,
}

impl Ram {
    fn new(capacity: usize) -> Box<Self> {
        Box::new(Self {
            mem: vec![0xFF; capacity],
            write_error: None,
            reenter: null_mut(),
            reentry_results: Vec::new(),
        })
    }
}

unsafe extern "C" fn ram_read(ctx: *mut c_void, offset: u32, buf: *mut u8, len: usize) -> c_int {
    let ram = unsafe { &mut *ctx.cast::<Ram>() };
    let src = &ram.mem[offset as usize..offset as usize + len];
    unsafe { buf.copy_from_nonoverlapping(src.as_ptr(), len) };
    0
}

unsafe extern "C" fn ram_write(ctx: *mut c_void, offset: u32, buf: *const u8, len: usize) -> c_int {
    let ram = unsafe { &mut *ctx.cast::<Ram>() };
    if let Some(rc) = ram.write_error {
        return rc;
    }
    let src = unsafe { core::slice::from_raw_parts(buf, len) };
    for (d, s) in ram.mem[offset as usize..].iter_mut().zip(src) {
        *d &= *s;
    }
    0
}

unsafe extern "C" fn ram_erase(ctx: *mut c_void, from: u32, to: u32) -> c_int {
    let ram = unsafe { &mut *ctx.cast::<Ram>() };
    if !ram.reenter.is_null() {
        let u = std::mem::replace(&mut ram.reenter, null_mut());
        let mut n = 0u32;
        let mut action = fu_dfu_action::default();
        let frame = fu_dfu_frame {
            kind: FU_DFU_MESSAGE_WAIT,
            ..fu_dfu_frame::default()
        };
        let mut out = [0u8; 128];
        let mut len = 0usize;
        let mut cfg = fu_dfu_updater_config {
            max_chunk: 0,
            max_attempts: 0,
        };
        unsafe {
            fu_dfu_updater_config_default(&mut cfg);
            ram.reentry_results
                .push(fu_dfu_updater_next_offset(u, &mut n));
            ram.reentry_results
                .push(fu_dfu_updater_handle(u, &frame, &mut action));
            ram.reentry_results.push(fu_dfu_updater_encode_status(
                u,
                null(),
                0,
                null(),
                out.as_mut_ptr(),
                out.len(),
                &mut len,
            ));
            ram.reentry_results.push(fu_dfu_updater_confirm(u));
            // Closing from inside is ignored; opening is refused.
            fu_dfu_updater_close(u);
            let table = table(ctx.cast());
            let layout = layout();
            ram.reentry_results
                .push(fu_dfu_updater_open(u, &table, &layout, &cfg));
        }
    }
    ram.mem[from as usize..to as usize].fill(0xFF);
    0
}

fn table(ram: *mut Ram) -> fu_dfu_flash {
    let mem: &Vec<u8> = unsafe { &(*ram).mem };
    let capacity = mem.len() as u32;
    fu_dfu_flash {
        ctx: ram.cast(),
        capacity,
        read_size: 1,
        write_size: W,
        erase_size: E,
        read: Some(ram_read),
        write: Some(ram_write),
        erase: Some(ram_erase),
    }
}

fn layout() -> fu_dfu_layout {
    let mut l = fu_dfu_layout::default();
    let geometry = fu_dfu_flash {
        ctx: null_mut(),
        capacity: 64 * 1024,
        read_size: 1,
        write_size: W,
        erase_size: E,
        read: None,
        write: None,
        erase: None,
    };
    assert_eq!(
        unsafe { fu_dfu_layout_suggest(&geometry, 0, 4096, &mut l) },
        FU_OK
    );
    l
}

/// A provisioned RAM flash with an open updater in `u`.
fn opened(u: &mut fu_dfu_updater) -> *mut Ram {
    let ram = Box::into_raw(Ram::new(64 * 1024));
    let t = table(ram);
    let l = layout();
    let factory = [0xA5u8; 1000];
    let mem = unsafe { &mut (*ram).mem };
    mem[l.active.offset as usize..][..1000].copy_from_slice(&factory);
    let img = image(&factory);
    assert_eq!(
        unsafe { fu_dfu_provision(&t, &l, 1000, img.digest.as_ptr()) },
        FU_OK
    );
    let mut boot = fu_dfu_boot_decision::default();
    assert_eq!(
        unsafe { fu_dfu_boot(&t, &l, FU_DFU_RESET_POWER_ON, &mut boot) },
        FU_OK
    );
    assert_eq!(boot.image.size, 1000);
    assert_eq!(unsafe { fu_dfu_updater_open(u, &t, &l, null()) }, FU_OK);
    ram
}

fn image(data: &[u8]) -> fu_dfu_image {
    let mut img = fu_dfu_image {
        data: null(),
        len: 0,
        digest: [0; 32],
        has_signature: false,
        signature: [0; 64],
    };
    assert_eq!(
        unsafe { fu_dfu_image_init(&mut img, data.as_ptr(), data.len()) },
        FU_OK
    );
    img
}

fn zeroed_updater() -> Box<fu_dfu_updater> {
    // Zeroed storage, as every C `static` is.
    Box::new(unsafe { core::mem::zeroed() })
}

fn zeroed_decoder() -> Box<fu_dfu_decoder> {
    Box::new(unsafe { core::mem::zeroed() })
}

/// The status frame of `u`, decoded.
fn status_of(u: &fu_dfu_updater, buf: &mut [u8]) -> fu_dfu_frame {
    let mut n = 0;
    assert_eq!(
        unsafe {
            fu_dfu_updater_encode_status(
                u,
                b"1.0".as_ptr(),
                3,
                null(),
                buf.as_mut_ptr(),
                buf.len(),
                &mut n,
            )
        },
        FU_OK
    );
    let mut frame = fu_dfu_frame::default();
    let mut used = 0;
    assert_eq!(
        unsafe { fu_dfu_decode(buf.as_ptr(), n, &mut frame, &mut used) },
        FU_OK
    );
    assert_eq!(used, n);
    frame
}

#[test]
fn null_pointers_are_refused_and_nothing_is_written() {
    let mut u = zeroed_updater();
    let ram = opened(&mut u);
    let t = table(ram);
    let l = layout();
    let mut action = fu_dfu_action::default();
    let frame = fu_dfu_frame {
        kind: FU_DFU_MESSAGE_WAIT,
        ..fu_dfu_frame::default()
    };
    let mut n = 0usize;
    let mut out = [0u8; 64];
    let mut boot = fu_dfu_boot_decision::default();
    let mut u2 = zeroed_updater();
    unsafe {
        assert_eq!(
            fu_dfu_updater_open(null_mut(), &t, &l, null()),
            FU_ERR_NULL_PARAMETER
        );
        assert_eq!(
            fu_dfu_updater_open(&mut *u2, null(), &l, null()),
            FU_ERR_NULL_PARAMETER
        );
        assert_eq!(
            fu_dfu_updater_open(&mut *u2, &t, null(), null()),
            FU_ERR_NULL_PARAMETER
        );
        let no_erase = fu_dfu_flash { erase: None, ..t };
        assert_eq!(
            fu_dfu_updater_open(&mut *u2, &no_erase, &l, null()),
            FU_ERR_NULL_PARAMETER
        );
        assert_eq!(
            fu_dfu_updater_handle(null_mut(), &frame, &mut action),
            FU_ERR_NULL_PARAMETER
        );
        assert_eq!(
            fu_dfu_updater_handle(&mut *u, null(), &mut action),
            FU_ERR_NULL_PARAMETER
        );
        assert_eq!(
            fu_dfu_updater_handle(&mut *u, &frame, null_mut()),
            FU_ERR_NULL_PARAMETER
        );
        let dangling = fu_dfu_frame {
            kind: FU_DFU_MESSAGE_WRITE,
            data_len: 4,
            ..frame
        };
        assert_eq!(
            fu_dfu_updater_handle(&mut *u, &dangling, &mut action),
            FU_ERR_NULL_PARAMETER
        );
        assert_eq!(
            fu_dfu_updater_encode_status(&*u, null(), 3, null(), out.as_mut_ptr(), 64, &mut n),
            FU_ERR_NULL_PARAMETER
        );
        assert_eq!(
            fu_dfu_updater_encode_status(&*u, null(), 0, null(), out.as_mut_ptr(), 64, null_mut()),
            FU_ERR_NULL_PARAMETER
        );
        assert_eq!(
            fu_dfu_updater_next_offset(&*u, null_mut()),
            FU_ERR_NULL_PARAMETER
        );
        assert_eq!(
            fu_dfu_updater_boot_info(&*u, null_mut()),
            FU_ERR_NULL_PARAMETER
        );
        assert_eq!(
            fu_dfu_updater_last_flash_error(&*u, null_mut()),
            FU_ERR_NULL_PARAMETER
        );
        assert_eq!(fu_dfu_boot(&t, &l, 1, null_mut()), FU_ERR_NULL_PARAMETER);
        assert_eq!(fu_dfu_boot(null(), &l, 1, &mut boot), FU_ERR_NULL_PARAMETER);
        assert_eq!(fu_dfu_provision(&t, &l, 10, null()), FU_ERR_NULL_PARAMETER);
        assert_eq!(fu_dfu_layout_validate(null(), &t), FU_ERR_NULL_PARAMETER);
        assert_eq!(
            fu_dfu_layout_suggest(&t, 0, 10, null_mut()),
            FU_ERR_NULL_PARAMETER
        );
        assert_eq!(
            fu_dfu_image_init(null_mut(), out.as_ptr(), 1),
            FU_ERR_NULL_PARAMETER
        );
        let mut frame_out = fu_dfu_frame::default();
        assert_eq!(
            fu_dfu_decode(out.as_ptr(), 4, null_mut(), &mut n),
            FU_ERR_NULL_PARAMETER
        );
        assert_eq!(
            fu_dfu_decode(null(), 4, &mut frame_out, &mut n),
            FU_ERR_NULL_PARAMETER
        );
        assert_eq!(
            fu_dfu_session_respond(
                null(),
                null(),
                null(),
                out.as_mut_ptr(),
                64,
                &mut n,
                null_mut()
            ),
            FU_ERR_NULL_PARAMETER
        );
        let mut d = zeroed_decoder();
        assert_eq!(
            fu_dfu_decoder_init(&mut *d, null_mut(), 64),
            FU_ERR_NULL_PARAMETER
        );
        assert_eq!(
            fu_dfu_decoder_init(null_mut(), out.as_mut_ptr(), 64),
            FU_ERR_NULL_PARAMETER
        );
        // The void functions ignore NULL.
        fu_dfu_updater_close(null_mut());
        fu_dfu_decoder_close(null_mut());
        fu_dfu_updater_config_default(null_mut());
        fu_dfu_session_config_default(null_mut());
        // Nothing was written by the failed calls.
        assert_eq!(action.kind, FU_DFU_ACTION_CONTINUE);
        assert_eq!(boot.image.size, 0);
        // The updater still works.
        assert_eq!(fu_dfu_updater_handle(&mut *u, &frame, &mut action), FU_OK);
        assert_eq!(action.kind, FU_DFU_ACTION_SLEEP);
        fu_dfu_updater_close(&mut *u);
        drop(Box::from_raw(ram));
    }
}

#[test]
fn too_small_buffers_fail_report_the_size_needed_and_stay_untouched() {
    let mut u = zeroed_updater();
    let ram = opened(&mut u);
    let mut out = [0x77u8; 512];
    let mut n = 0usize;
    unsafe {
        let r = fu_dfu_updater_encode_status(
            &*u,
            b"1.2.3".as_ptr(),
            5,
            null(),
            out.as_mut_ptr(),
            10,
            &mut n,
        );
        assert_eq!(r, FU_ERR_BUFFER_TOO_SMALL);
        let need = n;
        assert!(need > 10, "{need}");
        assert!(out.iter().all(|b| *b == 0x77), "the buffer was written");
        assert_eq!(
            fu_dfu_updater_encode_status(
                &*u,
                b"1.2.3".as_ptr(),
                5,
                null(),
                out.as_mut_ptr(),
                need - 1,
                &mut n
            ),
            FU_ERR_BUFFER_TOO_SMALL
        );
        assert_eq!(n, need);
        assert_eq!(
            fu_dfu_updater_encode_status(
                &*u,
                b"1.2.3".as_ptr(),
                5,
                null(),
                out.as_mut_ptr(),
                need,
                &mut n
            ),
            FU_OK
        );
        assert_eq!(n, need);
        // A version over 255 bytes cannot be encoded at all.
        let long = [b'v'; 256];
        assert_eq!(
            fu_dfu_updater_encode_status(
                &*u,
                long.as_ptr(),
                256,
                null(),
                out.as_mut_ptr(),
                512,
                &mut n
            ),
            FU_ERR_DFU_FIELD_TOO_LONG
        );

        // The gateway's command: a 4 KiB chunk needs 4096 + 16 bytes.
        let status = status_of(&u, &mut out);
        let big = vec![1u8; 10_000];
        let img = image(&big);
        let mut cmd = vec![0x77u8; 5000];
        let mut progress = fu_dfu_progress::default();
        let r = fu_dfu_session_respond(
            &img,
            null(),
            &status,
            cmd.as_mut_ptr(),
            100,
            &mut n,
            &mut progress,
        );
        assert_eq!(r, FU_ERR_BUFFER_TOO_SMALL);
        assert_eq!(n, 4096 + 16);
        assert!(cmd.iter().all(|b| *b == 0x77));
        assert_eq!(
            progress.kind, FU_DFU_PROGRESS_NO_IMAGE,
            "progress is written only on success"
        );
        assert_eq!(
            fu_dfu_session_respond(
                &img,
                null(),
                &status,
                cmd.as_mut_ptr(),
                cmd.len(),
                &mut n,
                &mut progress
            ),
            FU_OK
        );
        assert_eq!(n, 4096 + 16);
        assert_eq!(progress.kind, FU_DFU_PROGRESS_TRANSFERRING);
        fu_dfu_updater_close(&mut *u);
        drop(Box::from_raw(ram));
    }
}

#[test]
fn handles_refuse_use_before_open_and_after_close() {
    let mut u = zeroed_updater();
    let mut n = 0u32;
    let mut action = fu_dfu_action::default();
    let frame = fu_dfu_frame {
        kind: FU_DFU_MESSAGE_WAIT,
        ..fu_dfu_frame::default()
    };
    unsafe {
        assert_eq!(fu_dfu_updater_next_offset(&*u, &mut n), FU_ERR_NOT_OPEN);
        assert_eq!(
            fu_dfu_updater_handle(&mut *u, &frame, &mut action),
            FU_ERR_NOT_OPEN
        );
        assert_eq!(fu_dfu_updater_confirm(&mut *u), FU_ERR_NOT_OPEN);
        fu_dfu_updater_close(&mut *u); // never opened: ignored
        assert_eq!(fu_dfu_updater_next_offset(&*u, &mut n), FU_ERR_NOT_OPEN);
    }
    let ram = opened(&mut u);
    unsafe {
        assert_eq!(fu_dfu_updater_next_offset(&*u, &mut n), FU_OK);
        fu_dfu_updater_close(&mut *u);
        assert_eq!(fu_dfu_updater_next_offset(&*u, &mut n), FU_ERR_CLOSED);
        assert_eq!(
            fu_dfu_updater_handle(&mut *u, &frame, &mut action),
            FU_ERR_CLOSED
        );
        assert_eq!(
            fu_dfu_updater_reject(&mut *u, FU_DFU_REVERT_UNKNOWN),
            FU_ERR_CLOSED
        );
        fu_dfu_updater_close(&mut *u); // twice: ignored
        assert_eq!(fu_dfu_updater_next_offset(&*u, &mut n), FU_ERR_CLOSED);
        // The storage can be opened again.
        let t = table(ram);
        let l = layout();
        assert_eq!(fu_dfu_updater_open(&mut *u, &t, &l, null()), FU_OK);
        assert_eq!(fu_dfu_updater_handle(&mut *u, &frame, &mut action), FU_OK);
        fu_dfu_updater_close(&mut *u);
        drop(Box::from_raw(ram));

        let mut d = zeroed_decoder();
        let mut feed = core::mem::zeroed::<fu_dfu_feed>();
        let mut buf = [0u8; 64];
        assert_eq!(
            fu_dfu_decoder_feed(&mut *d, buf.as_ptr(), 1, &mut feed),
            FU_ERR_NOT_OPEN
        );
        assert_eq!(fu_dfu_decoder_reset(&mut *d), FU_ERR_NOT_OPEN);
        assert_eq!(
            fu_dfu_decoder_init(&mut *d, buf.as_mut_ptr(), 3),
            FU_ERR_INVALID_PARAMETER
        );
        assert_eq!(
            fu_dfu_decoder_init(&mut *d, buf.as_mut_ptr(), buf.len()),
            FU_OK
        );
        assert_eq!(fu_dfu_decoder_reset(&mut *d), FU_OK);
        fu_dfu_decoder_close(&mut *d);
        let input = [0u8; 1];
        assert_eq!(
            fu_dfu_decoder_feed(&mut *d, input.as_ptr(), 1, &mut feed),
            FU_ERR_CLOSED
        );
    }
}

#[test]
fn a_flash_callback_calling_back_in_gets_busy_and_changes_nothing() {
    let mut u = zeroed_updater();
    let ram = opened(&mut u);
    let mut buf = [0u8; 256];
    let status = status_of(&u, &mut buf);
    let new = vec![0x5Au8; 3000];
    let img = image(&new);
    let mut cmd = vec![0u8; 5000];
    let mut n = 0usize;
    unsafe {
        assert_eq!(
            fu_dfu_session_respond(
                &img,
                null(),
                &status,
                cmd.as_mut_ptr(),
                cmd.len(),
                &mut n,
                null_mut()
            ),
            FU_OK
        );
        let mut frame = fu_dfu_frame::default();
        let mut used = 0;
        assert_eq!(fu_dfu_decode(cmd.as_ptr(), n, &mut frame, &mut used), FU_OK);
        assert_eq!(frame.kind, FU_DFU_MESSAGE_WRITE);
        // The write's first erase calls back into the updater.
        (*ram).reenter = &mut *u;
        let mut action = fu_dfu_action::default();
        assert_eq!(fu_dfu_updater_handle(&mut *u, &frame, &mut action), FU_OK);
        assert_eq!(action.kind, FU_DFU_ACTION_CONTINUE);
        assert_eq!(
            (*ram).reentry_results,
            [
                FU_ERR_BUSY,
                FU_ERR_BUSY,
                FU_ERR_BUSY,
                FU_ERR_BUSY,
                FU_ERR_BUSY
            ]
        );
        // Still open (the close from inside was ignored) and the chunk landed.
        let mut next = 0u32;
        assert_eq!(fu_dfu_updater_next_offset(&*u, &mut next), FU_OK);
        assert_eq!(next, 3000);
        fu_dfu_updater_close(&mut *u);
        drop(Box::from_raw(ram));
    }
}

#[test]
fn a_failing_flash_callback_is_reported_with_its_code() {
    let mut u = zeroed_updater();
    let ram = opened(&mut u);
    let data = [9u8; 64];
    let frame = fu_dfu_frame {
        kind: FU_DFU_MESSAGE_WRITE,
        image_id: 42,
        data: data.as_ptr(),
        data_len: data.len(),
        ..fu_dfu_frame::default()
    };
    let mut action = fu_dfu_action::default();
    let mut rc: c_int = 0;
    unsafe {
        assert_eq!(fu_dfu_updater_last_flash_error(&*u, &mut rc), FU_OK);
        assert_eq!(rc, 0);
        (*ram).write_error = Some(-7);
        assert_eq!(
            fu_dfu_updater_handle(&mut *u, &frame, &mut action),
            FU_ERR_DFU_FLASH
        );
        assert_eq!(fu_dfu_updater_last_flash_error(&*u, &mut rc), FU_OK);
        assert_eq!(rc, -7);
        fu_dfu_updater_close(&mut *u);
        drop(Box::from_raw(ram));
    }
}

#[test]
fn receive_feeds_the_decoder_and_applies_whole_frames() {
    let mut u = zeroed_updater();
    let ram = opened(&mut u);
    let mut d = zeroed_decoder();
    let mut rx = [0u8; 256];
    let mut buf = [0u8; 256];
    let status = status_of(&u, &mut buf);
    let mut wait = [0u8; 64];
    let mut n = 0usize;
    let mut rc = fu_dfu_receive {
        consumed: 0,
        decode_error: FU_OK,
        action: fu_dfu_action::default(),
    };
    unsafe {
        // No image served: the answer is a Wait.
        assert_eq!(
            fu_dfu_session_respond(
                null(),
                null(),
                &status,
                wait.as_mut_ptr(),
                wait.len(),
                &mut n,
                null_mut()
            ),
            FU_OK
        );
        assert_eq!(
            fu_dfu_updater_receive(&mut *u, &mut *d, wait.as_ptr(), n, &mut rc),
            FU_ERR_NOT_OPEN
        );
        assert_eq!(
            fu_dfu_decoder_init(&mut *d, rx.as_mut_ptr(), rx.len()),
            FU_OK
        );
        assert_eq!(
            fu_dfu_updater_receive(&mut *u, &mut *d, wait.as_ptr(), 3, &mut rc),
            FU_OK
        );
        assert_eq!((rc.consumed, rc.action.kind), (3, FU_DFU_ACTION_NONE));
        assert_eq!(
            fu_dfu_updater_receive(&mut *u, &mut *d, wait.as_ptr().add(3), n - 3, &mut rc),
            FU_OK
        );
        assert_eq!((rc.consumed, rc.action.kind), (n - 3, FU_DFU_ACTION_SLEEP));
        assert_eq!(rc.action.poll_secs, 60);
        let garbage = [0x00u8, 0x01, wait[0]];
        assert_eq!(
            fu_dfu_updater_receive(&mut *u, &mut *d, garbage.as_ptr(), 3, &mut rc),
            FU_OK
        );
        assert_eq!((rc.consumed, rc.decode_error), (2, FU_ERR_DFU_BAD_SYNC));
        assert_eq!(rc.action.kind, FU_DFU_ACTION_NONE);
        fu_dfu_decoder_close(&mut *d);
        fu_dfu_updater_close(&mut *u);
        drop(Box::from_raw(ram));
    }
}

// Without `std` a panic aborts at the boundary by design: nothing to test.
#[cfg(all(feature = "__test-hooks", feature = "std"))]
#[test]
fn a_panic_returns_panic_and_poisons_the_handle_until_closed() {
    let mut u = zeroed_updater();
    let ram = opened(&mut u);
    let mut n = 0u32;
    let frame = fu_dfu_frame {
        kind: FU_DFU_MESSAGE_WAIT,
        ..fu_dfu_frame::default()
    };
    let mut action = fu_dfu_action::default();
    unsafe {
        assert_eq!(fu_test_panic_in_updater(&mut *u), FU_ERR_PANIC);
        assert_eq!(fu_dfu_updater_next_offset(&*u, &mut n), FU_ERR_POISONED);
        assert_eq!(
            fu_dfu_updater_handle(&mut *u, &frame, &mut action),
            FU_ERR_POISONED
        );
        assert_eq!(fu_dfu_updater_confirm(&mut *u), FU_ERR_POISONED);
        assert_eq!(action.kind, FU_DFU_ACTION_CONTINUE);
        // Close works on a poisoned handle, and the storage is usable again.
        fu_dfu_updater_close(&mut *u);
        assert_eq!(fu_dfu_updater_next_offset(&*u, &mut n), FU_ERR_CLOSED);
        let t = table(ram);
        let l = layout();
        assert_eq!(fu_dfu_updater_open(&mut *u, &t, &l, null()), FU_OK);
        assert_eq!(fu_dfu_updater_handle(&mut *u, &frame, &mut action), FU_OK);
        assert_eq!(action.kind, FU_DFU_ACTION_SLEEP);
        fu_dfu_updater_close(&mut *u);
        drop(Box::from_raw(ram));
    }
}

#[test]
fn layout_errors_name_the_problem() {
    let good = layout();
    let flash = fu_dfu_flash {
        ctx: null_mut(),
        capacity: 64 * 1024,
        read_size: 1,
        write_size: W,
        erase_size: E,
        read: None,
        write: None,
        erase: None,
    };
    let check = |l: fu_dfu_layout, f: fu_dfu_flash| unsafe { fu_dfu_layout_validate(&l, &f) };
    assert_eq!(check(good, flash), FU_OK);
    let mut l = good;
    l.update.offset = l.active.offset;
    assert_eq!(check(l, flash), FU_ERR_DFU_LAYOUT_OVERLAP);
    let mut l = good;
    l.active.offset += 4;
    assert_eq!(check(l, flash), FU_ERR_DFU_LAYOUT_UNALIGNED);
    let mut l = good;
    l.update.size = l.active.size;
    assert_eq!(check(l, flash), FU_ERR_DFU_LAYOUT_UPDATE_BANK_TOO_SMALL);
    let small = fu_dfu_flash {
        capacity: 1024,
        ..flash
    };
    assert_eq!(check(good, small), FU_ERR_DFU_LAYOUT_OUT_OF_BOUNDS);
    for (w, e) in [(3, 256), (0, 256), (64, 256), (4, 0), (4, 6), (4, 1000)] {
        let odd = fu_dfu_flash {
            write_size: w,
            erase_size: e,
            ..flash
        };
        assert_eq!(check(good, odd), FU_ERR_DFU_UNSUPPORTED_GEOMETRY, "{w} {e}");
    }
    let mut out = fu_dfu_layout::default();
    assert_eq!(
        unsafe { fu_dfu_layout_suggest(&small, 0, 4096, &mut out) },
        FU_ERR_DFU_LAYOUT_OUT_OF_BOUNDS
    );
    assert_eq!(
        unsafe { fu_dfu_layout_suggest(&flash, 0, u32::MAX, &mut out) },
        FU_ERR_DFU_LAYOUT_OUT_OF_BOUNDS
    );
}

#[test]
fn the_config_defaults_are_the_cores() {
    let mut u = zeroed_updater();
    let ram = opened(&mut u);
    let mut buf = [0u8; 256];
    let status = status_of(&u, &mut buf);
    let mut cfg = fu_dfu_updater_config {
        max_chunk: 0,
        max_attempts: 0,
    };
    let mut session = fu_dfu_session_config {
        max_chunk: 0,
        max_frame: 0,
        sync_poll_secs: 0,
        wait_poll_secs: 0,
        crc: false,
    };
    unsafe {
        fu_dfu_updater_config_default(&mut cfg);
        fu_dfu_session_config_default(&mut session);
        assert_eq!(
            status.max_chunk, cfg.max_chunk,
            "the default updater advertises the default"
        );
        // Default sessions, given explicitly or as NULL, answer the same bytes.
        let data = vec![3u8; 20_000];
        let img = image(&data);
        let mut a = vec![0u8; 70_000];
        let mut b = vec![0u8; 70_000];
        let (mut na, mut nb) = (0, 0);
        assert_eq!(
            fu_dfu_session_respond(
                &img,
                &session,
                &status,
                a.as_mut_ptr(),
                a.len(),
                &mut na,
                null_mut()
            ),
            FU_OK
        );
        assert_eq!(
            fu_dfu_session_respond(
                &img,
                null(),
                &status,
                b.as_mut_ptr(),
                b.len(),
                &mut nb,
                null_mut()
            ),
            FU_OK
        );
        assert_eq!(a[..na], b[..nb]);
        assert_eq!(na, session.max_chunk as usize + 16);
        fu_dfu_updater_close(&mut *u);
        drop(Box::from_raw(ram));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any layout and geometry gets a verdict, never a panic (a zero erase
    /// size once divided by zero here).
    #[test]
    fn any_layout_and_geometry_gets_a_verdict(
        regions in proptest::array::uniform8(any::<u32>()),
        sizes in proptest::array::uniform4(prop_oneof![Just(0u32), Just(1), Just(4), Just(256), any::<u32>()]),
        max_image in any::<u32>(),
    ) {
        let r = |i: usize| fu_dfu_region { offset: regions[2 * i], size: regions[2 * i + 1] };
        let l = fu_dfu_layout { active: r(0), update: r(1), boot_state: r(2), progress: r(3) };
        let flash = fu_dfu_flash {
            ctx: null_mut(),
            capacity: sizes[0],
            read_size: sizes[1],
            write_size: sizes[2],
            erase_size: sizes[3],
            read: None,
            write: None,
            erase: None,
        };
        let verdict = unsafe { fu_dfu_layout_validate(&l, &flash) };
        prop_assert!(verdict == FU_OK || (3000..4000).contains(&verdict), "{}", verdict);
        let mut out = fu_dfu_layout::default();
        let suggested = unsafe { fu_dfu_layout_suggest(&flash, regions[0], max_image, &mut out) };
        prop_assert!(suggested == FU_OK || (3000..4000).contains(&suggested), "{}", suggested);
        if suggested == FU_OK {
            prop_assert_eq!(unsafe { fu_dfu_layout_validate(&out, &flash) }, FU_OK);
            prop_assert!(out.active.size >= max_image);
        }
    }

    /// Arbitrary bytes, cut anywhere, never fail a decoder call: every call
    /// returns FU_OK, consumes at least one byte while input remains, and
    /// reports garbage as FEED_ERROR with a 3xxx code.
    #[test]
    fn the_decoder_takes_any_bytes_cut_anywhere(
        bytes in proptest::collection::vec(any::<u8>(), 0..600),
        cuts in proptest::collection::vec(1usize..64, 1..20),
        buf_len in 4usize..300,
    ) {
        let mut d = zeroed_decoder();
        let mut buf = vec![0u8; buf_len];
        prop_assert_eq!(unsafe { fu_dfu_decoder_init(&mut *d, buf.as_mut_ptr(), buf.len()) }, FU_OK);
        let mut at = 0;
        let mut cut = cuts.iter().cycle();
        while at < bytes.len() {
            let end = (at + cut.next().copied().unwrap_or(1)).min(bytes.len());
            let mut piece = &bytes[at..end];
            while !piece.is_empty() {
                let mut feed = unsafe { core::mem::zeroed::<fu_dfu_feed>() };
                let r = unsafe { fu_dfu_decoder_feed(&mut *d, piece.as_ptr(), piece.len(), &mut feed) };
                prop_assert_eq!(r, FU_OK);
                prop_assert!(feed.consumed <= piece.len());
                if feed.kind == FU_DFU_FEED_ERROR {
                    prop_assert!((3000..4000).contains(&feed.error), "{}", feed.error);
                }
                if feed.kind == FU_DFU_FEED_FRAME && feed.frame.data_len > 0 {
                    // Borrowed data lies inside the decoder's buffer.
                    let start = feed.frame.data as usize;
                    let base = buf.as_ptr() as usize;
                    prop_assert!(start >= base && start + feed.frame.data_len <= base + buf_len);
                }
                if feed.consumed == 0 {
                    // Only a delivered frame may leave input untouched once.
                    prop_assert_ne!(feed.kind, FU_DFU_FEED_CONSUMED);
                }
                piece = &piece[feed.consumed..];
            }
            at = end;
        }
        let mut frame = fu_dfu_frame::default();
        let mut used = 0;
        let r = unsafe { fu_dfu_decode(bytes.as_ptr(), bytes.len(), &mut frame, &mut used) };
        prop_assert!(r == FU_OK || (3000..4000).contains(&r), "{}", r);
        unsafe { fu_dfu_decoder_close(&mut *d) };
    }
}

#[test]
fn the_storage_structs_hold_the_values_with_headroom() {
    let (updater, decoder) = (UPDATER_STORAGE_USED, DECODER_STORAGE_USED);
    println!(
        "{}: fu_dfu_updater {updater} of {FU_DFU_UPDATER_SIZE} B, fu_dfu_decoder {decoder} of {FU_DFU_DECODER_SIZE} B",
        std::env::consts::ARCH
    );
    assert_eq!(size_of::<fu_dfu_updater>(), FU_DFU_UPDATER_SIZE);
    assert_eq!(size_of::<fu_dfu_decoder>(), FU_DFU_DECODER_SIZE);
    // Growing a storage struct breaks the ABI: keep a quarter free on 64-bit hosts.
    assert!(updater * 4 <= FU_DFU_UPDATER_SIZE * 3, "{updater}");
    assert!(decoder * 4 <= FU_DFU_DECODER_SIZE * 3, "{decoder}");
}
