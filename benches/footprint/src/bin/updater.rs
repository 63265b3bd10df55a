//! The device side of an update: the updater over a NOR flash, fed frames
//! that the streaming decoder takes from opaque received bytes, and the
//! status it sends back.
#![no_std]
#![no_main]

use core::hint::black_box;

use cortex_m_rt::entry;
use dfu_footprint::{CAPACITY, RamFlash, layout};
use dfu_protocol::updater::{Action, Updater, UpdaterConfig};
use dfu_protocol::wire::{self, Feed, Frame, FrameDecoder, Message, RevertReason};
use panic_halt as _;

/// Receive buffer: one 4 KiB chunk plus its frame overhead.
const RX: usize = 4096 + 32;

#[entry]
fn main() -> ! {
    let mut mem = [0xFF_u8; CAPACITY];
    let config = black_box(UpdaterConfig::new());
    let Ok(mut updater) = Updater::open(RamFlash::new(&mut mem), layout(), config) else {
        halt()
    };
    let mut rx = [0_u8; RX];
    let mut decoder = FrameDecoder::new(&mut rx);
    let mut input = [0_u8; 256];
    let mut tx = [0_u8; 128];
    loop {
        // Whatever the transport received: opaque to the optimiser.
        // `&mut`, so the optimiser must assume the bytes changed since the last round.
        #[allow(
            clippy::unnecessary_mut_passed,
            reason = "the mutable borrow is the point"
        )]
        let mut rest: &[u8] = black_box(&mut input);
        while !rest.is_empty() {
            match decoder.feed(rest) {
                Feed::Frame { frame, remaining } => {
                    match updater.handle(&frame.message) {
                        Ok(Action::Synced {
                            confirm_pending: true,
                            ..
                        }) => {
                            let result = if black_box(true) {
                                updater.confirm()
                            } else {
                                updater.reject(RevertReason::HealthCheckFailed)
                            };
                            black_box(result.is_ok());
                        }
                        other => {
                            black_box(other.is_ok());
                        }
                    }
                    rest = remaining;
                }
                Feed::Error { remaining, .. } => rest = remaining,
                Feed::Consumed => break,
            }
        }
        let status = Frame::new(Message::Status(updater.status(b"1.0.0")));
        black_box(wire::encode(&status, &mut tx).is_ok());
        black_box(&tx);
    }
}

fn halt() -> ! {
    loop {
        black_box(());
    }
}
