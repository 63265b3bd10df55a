//! Arbitrary command frames into the updater on the simulated flash, with
//! reboots in between: no panic, no flash misuse, offsets stay in the bank.
#![no_main]

use dfu_protocol::boot::{self, ImageInfo};
use dfu_protocol::sim::{layout_for, SimFlash};
use dfu_protocol::updater::{Updater, UpdaterConfig};
use dfu_protocol::wire::{Feed, FrameDecoder};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let layout = layout_for::<4, 256>(2048);
    let mut flash = SimFlash::<4, 256>::new(layout.update.end() as usize);
    boot::provision(&mut flash, &layout, ImageInfo::default()).expect("provision");
    let mut updater = Updater::open(flash, layout, UpdaterConfig::new()).expect("open");
    let mut buf = [0u8; 4096];
    let mut dec = FrameDecoder::new(&mut buf);
    // A 0x00 byte between frames stands for a reboot (RAM lost, flash kept).
    for segment in data.split(|b| *b == 0) {
        let mut rest = segment;
        while !rest.is_empty() {
            rest = match dec.feed(rest) {
                Feed::Consumed => break,
                Feed::Frame { frame, remaining } => {
                    updater.handle(&frame.message).expect("the simulated flash never fails here");
                    assert!(updater.next_offset() <= layout.active.size);
                    remaining
                }
                Feed::Error { remaining, .. } => remaining,
            };
        }
        updater = Updater::open(updater.into_flash(), layout, UpdaterConfig::new()).expect("reopen");
    }
});
