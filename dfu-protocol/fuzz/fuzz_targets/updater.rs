//! The updater on the simulated flash driven by a fuzzed script of
//! commands: chunks of two real images (in order, overlapping or out of
//! order), good and bad swaps, aborts, syncs, reboots, bootloader runs with
//! confirm or reject, and raw frame bytes. No panic, no flash error,
//! offsets stay in the bank, a reboot never moves the transfer forward, a
//! complete image with its digest is always accepted, and the bootloader
//! then starts exactly that image.
#![no_main]

use dfu_protocol::boot::{self, Bootloader, ImageInfo, Phase};
use dfu_protocol::flash::Layout;
use dfu_protocol::server::ServedImage;
use dfu_protocol::sim::{SimFlash, layout_for};
use dfu_protocol::updater::{Action, Updater, UpdaterConfig};
use dfu_protocol::wire::{
    Abort, Feed, FrameDecoder, Message, ResetCause, ResultCode, RevertReason, Swap, Sync, Write,
};
use libfuzzer_sys::fuzz_target;

type Flash = SimFlash<4, 256>;

fn image(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

fn open(flash: Flash, layout: Layout) -> Updater<Flash> {
    Updater::open(flash, layout, UpdaterConfig::new()).expect("the simulated flash opens")
}

/// The transfer the updater reports, if it is one of `image`.
fn progress_of(updater: &Updater<Flash>, image: &ServedImage<'_>) -> Option<u32> {
    updater
        .status(b"")
        .target
        .filter(|t| t.image_id == image.id())
        .map(|t| t.next_offset)
}

fuzz_target!(|data: &[u8]| {
    let layout = layout_for::<4, 256>(2048);
    let mut flash = Flash::new(layout.update.end() as usize);
    let factory = image(700, 3);
    let factory_info = ImageInfo {
        size: factory.len() as u32,
        digest: *ServedImage::new(&factory).digest(),
    };
    boot::provision(&mut flash, &layout, factory_info).expect("provision");
    let bytes = [image(1000, 1), image(1300, 7)];
    let images = [ServedImage::new(&bytes[0]), ServedImage::new(&bytes[1])];
    let mut updater = open(flash, layout);
    // The image the bootloader should start next, as far as the script knows.
    let mut running = factory_info;
    // Raw frames may write anything under any id: content claims stop holding.
    let mut raw_seen = false;
    let mut buf = [0u8; 4096];
    let mut dec = FrameDecoder::new(&mut buf);
    let mut script = data;
    while let [op, arg, rest @ ..] = script {
        script = rest;
        let (op, arg) = (*op, *arg);
        let img = &images[usize::from(op >> 7)];
        let phase = updater.boot_info().phase;
        match op & 7 {
            0 => {
                // Reboot: RAM lost, flash kept; the transfer resumes at or before where it was.
                let before = updater.next_offset();
                updater = open(updater.into_flash(), layout);
                assert!(updater.next_offset() <= before, "a reboot moved the transfer forward");
            }
            1 | 2 => {
                // The next chunk, or (op 2) one starting `arg` bytes before it.
                let next = progress_of(&updater, img).unwrap_or(0);
                let offset = if op & 7 == 2 { next.saturating_sub(u32::from(arg)) } else { next };
                let len = usize::from(arg).max(1) * 4 + usize::from((op >> 3) & 3);
                let start = offset as usize;
                let Some(chunk) = img.data().get(start..(start + len).min(img.data().len())) else {
                    continue;
                };
                if chunk.is_empty() {
                    continue;
                }
                let write = Write { image_id: img.id(), offset, data: chunk, crc: op & 0x40 != 0 };
                let action = updater.handle(&Message::Write(write)).expect("a write never fails the flash");
                if phase == Phase::Idle && !raw_seen && offset == next {
                    assert!(
                        matches!(action, Action::Continue | Action::Refused(ResultCode::UnsupportedImage)),
                        "an in-order chunk was refused: {action:?}"
                    );
                }
            }
            3 => {
                // Swap with the right digest and size.
                let complete = progress_of(&updater, img) == Some(img.size());
                let swap = Swap { image_id: img.id(), size: img.size(), digest: *img.digest(), signature: None };
                let action = updater.handle(&Message::Swap(swap)).expect("a swap never fails the flash");
                if complete && phase == Phase::Idle && !raw_seen {
                    assert_eq!(action, Action::Reset, "a complete, correct image was not accepted");
                    running = ImageInfo { size: img.size(), digest: *img.digest() };
                }
            }
            4 => {
                // Swap with a wrong digest (same id) or a wrong size.
                let mut digest = *img.digest();
                digest[31] ^= arg | 1;
                let size = if op & 0x08 != 0 { img.size().wrapping_add(u32::from(arg)) } else { img.size() };
                let swap = Swap { image_id: img.id(), size, digest, signature: None };
                let action = updater.handle(&Message::Swap(swap)).expect("a swap never fails the flash");
                if phase != Phase::SwapPending {
                    assert_ne!(action, Action::Reset, "a wrong image was accepted");
                }
            }
            5 if arg & 1 == 0 => {
                let abort = Abort { image_id: img.id(), code: ResultCode::Cancelled };
                updater.handle(&Message::Abort(abort)).expect("an abort never fails the flash");
            }
            5 => {
                let sync = Sync { poll_secs: u32::from(arg) };
                let action = updater.handle(&Message::Sync(sync)).expect("a sync never fails the flash");
                if let Action::Synced { confirm_pending: true, .. } = action {
                    updater.confirm().expect("confirm");
                }
            }
            6 => {
                // Reset through the bootloader, then confirm, reject or leave the trial image.
                let cause = ResetCause::from_u8(arg & 7);
                let mut bl = Bootloader::new(updater.into_flash(), layout).expect("bootloader");
                let booted = bl.boot(cause).expect("the simulated flash boots");
                if !raw_seen && phase == Phase::SwapPending {
                    assert_eq!(booted.image, running, "the bootloader did not start the swapped image");
                }
                updater = open(bl.into_flash(), layout);
                if updater.boot_info().phase == Phase::Trial {
                    match arg >> 6 {
                        0 => updater.confirm().expect("confirm"),
                        1 => updater.reject(RevertReason::HealthCheckFailed).expect("reject"),
                        _ => {}
                    }
                }
            }
            _ => {
                // `arg` raw bytes into the frame decoder.
                raw_seen = true;
                let n = usize::from(arg).min(script.len());
                let (raw, rest) = script.split_at(n);
                script = rest;
                let mut input = raw;
                while !input.is_empty() {
                    input = match dec.feed(input) {
                        Feed::Consumed => break,
                        Feed::Frame { frame, remaining } => {
                            updater.handle(&frame.message).expect("the simulated flash never fails here");
                            remaining
                        }
                        Feed::Error { remaining, .. } => remaining,
                    };
                }
            }
        }
        assert!(updater.next_offset() <= layout.active.size);
    }
});
