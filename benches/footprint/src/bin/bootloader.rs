//! A bootloader: decide what to start (finishing or rolling back a swap
//! on the way), then hand over to the image.
#![no_std]
#![no_main]

use core::hint::black_box;

use cortex_m_rt::entry;
use dfu_footprint::{CAPACITY, RamFlash, layout};
use dfu_protocol::boot::{Boot, BootError, Bootloader};
use dfu_protocol::wire::ResetCause;
use panic_halt as _;

#[entry]
fn main() -> ! {
    let mut mem = [0xFF_u8; CAPACITY];
    // The reset cause comes from a hardware register on a real part.
    let cause = black_box(ResetCause::PowerOn);
    let boot = Bootloader::new(RamFlash::new(&mut mem), layout()).and_then(|mut b| b.boot(cause));
    start_image(boot)
}

/// Stands in for the jump to the image's reset vector.
#[inline(never)]
fn start_image(boot: Result<Boot, BootError>) -> ! {
    black_box(boot.is_ok());
    black_box(&boot);
    loop {
        black_box(());
    }
}
