//! The empty program every other footprint is measured against: vector
//! table, cortex-m-rt start-up and the panic handler.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use panic_halt as _;

#[entry]
fn main() -> ! {
    loop {
        core::hint::black_box(());
    }
}
