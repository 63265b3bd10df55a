//! `dfu-protocol`: chunked firmware updates for constrained devices, with a
//! device updater and bootloader logic that cannot brick.
//!
//! A device larger than its RAM receives an image in chunks, writes them to
//! flash while it runs, survives power loss and resumes, verifies the whole
//! image (SHA-256, optionally ed25519), swaps to it, gives it a bounded
//! number of boots to confirm itself and otherwise rolls back, keeping a
//! diagnostics record it reports upstream.
//!
//! | Module | What it holds |
//! | --- | --- |
//! | [`wire`] | the binary frame format ([`spec`]): encoder, zero-copy decoder, streaming [`wire::FrameDecoder`], chunk-size negotiation |
//! | [`updater`] | the device-side state machine over any [`flash::Flash`], which every `embedded_storage::nor_flash::NorFlash` is (sans-IO, no allocation) |
//! | [`boot`] | bootloader decision logic: A/B banks, trial boots, confirm, rollback, diagnostics |
//! | [`server`] | a stateless session serving one image to many devices from their statuses |
//! | [`flash`] | the flash layout both sides share, and the `Flash` trait (geometry at run time) they drive |
//! | `sim` | simulated NOR flash with power-cut injection, simulated device, end-to-end harness (feature `sim`) |
//! | `codec` | tokio-util `Decoder`/`Encoder` (feature `tokio-codec`) |
//! | `drogue` | packed-CBOR codec compatible with Drogue's `embedded-update` (feature `drogue`) |
//! | `smp` | MCUmgr SMP image-upload adapter (feature `smp`) |
//!
//! The exchange is device driven and stateless: the device sends a
//! [`wire::Status`], the server answers with one command (`Wait`, `Sync`,
//! `Write`, `Swap`, `Abort`). It runs over any request/response transport
//! and through gateways (correlation id).
//!
//! # Quick start
//!
//! Encode a status, decode it on the server, answer it, and run the chunk
//! through the updater on the simulated flash (needs the `sim` feature):
//!
//! ```
//! # #[cfg(feature = "sim")] fn main() {
//! use dfu_protocol::server::{ServedImage, Session, SessionConfig};
//! use dfu_protocol::sim::{layout_for, SimFlash};
//! use dfu_protocol::boot::{self, ImageInfo};
//! use dfu_protocol::updater::{Action, Updater, UpdaterConfig};
//! use dfu_protocol::wire::{self, Frame, Message};
//!
//! // A device with 4-byte write units and 4 KiB pages, provisioned with a factory image.
//! let layout = layout_for::<4, 4096>(64 * 1024);
//! let mut flash = SimFlash::<4, 4096>::new(layout.update.end() as usize);
//! boot::provision(&mut flash, &layout, ImageInfo { size: 0, digest: [0; 32] }).unwrap();
//! let mut updater = Updater::open(flash, layout, UpdaterConfig::new()).unwrap();
//!
//! // Device: encode its status.
//! let mut up = [0u8; 128];
//! let n = wire::encode(&Frame::new(Message::Status(updater.status(b"1.0.0"))), &mut up).unwrap();
//!
//! // Server: decode it and answer with the first chunk of the new image.
//! let new_image = vec![0xA5; 10_000];
//! let session = Session::new(Some(ServedImage::new(&new_image)), SessionConfig::new());
//! let (status, _) = wire::decode(&up[..n]).unwrap();
//! let reply = session.respond_to_frame(&status);
//! let mut down = vec![0u8; wire::MAX_FRAME_LEN];
//! let m = wire::encode(&reply.frame, &mut down).unwrap();
//! assert_eq!(m, 4096 + wire::write_overhead(true, false)); // 16 bytes per chunk
//!
//! // Device: decode the command (zero-copy) and apply it.
//! let (command, _) = wire::decode(&down[..m]).unwrap();
//! assert_eq!(updater.handle(&command.message).unwrap(), Action::Continue);
//! assert_eq!(updater.next_offset(), 4096);
//! # }
//! # #[cfg(not(feature = "sim"))] fn main() {}
//! ```
//!
//! A whole update, including the bootloader, runs with
//! `sim::end_to_end_update(old, new)`; `sim::drive` runs a session against a
//! `sim::SimDevice` of your own.
//!
//! # Features
//!
//! | Feature | Default | Enables |
//! | --- | --- | --- |
//! | `alloc` | no | owned frames for the tokio codec; nothing in the device core allocates |
//! | `std` | no | `std` error impls; implies `alloc` |
//! | `sim` | no | the `sim` module; implies `std` |
//! | `ed25519` | no | `UpdaterConfig::verifying_key`: `Swap` must carry a valid ed25519 signature over the image digest |
//! | `tokio-codec` | no | the `codec` module (tokio-util `Decoder`/`Encoder`); implies `std` |
//! | `drogue` | no | the `drogue` module (packed CBOR of `embedded-update`) |
//! | `smp` | no | the `smp` module (MCUmgr image upload) |
//! | `fast-crc` | no | slice-by-16 CRC-32 for `Write` frames: about nine times faster, 16 KiB of tables instead of 1 KiB (hosts, servers, benchmarks) |
//! | `simd-crc` | no | CRC-32 through `crc32fast` (PCLMULQDQ on x86_64 with run-time detection under `std`); wins over `fast-crc` when both are on; same wire bytes |
//!
//! Without features the crate is `no_std` and allocation-free; it builds for
//! `thumbv7em-none-eabihf`.
//!
//! # Wire format and stability
//!
//! The format is specified in [`spec`]: a 4-byte header (`0xD1`, kind and
//! flags, 16-bit body length), little-endian fields, 12 bytes of overhead
//! per chunk (16 with the CRC-32 trailer). Golden fixtures in
//! `tests/fixtures` pin every message. Any change to existing bytes needs a
//! new wire version and a new major crate version; new message kinds, new
//! code values and fields appended to non-`Write` messages are compatible
//! (old decoders ignore them).
//!
//! # Power safety
//!
//! Every persistent change is one program of erased flash or an
//! erase-then-program of a copy that is not the current one. The proof is
//! in `tests/power_cut.rs`: the simulated flash cuts the power at every
//! program and erase of an update (before, half-way and after the
//! operation), and every boot afterwards starts either the previous image
//! or the new, verified one.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![no_std]
#![warn(clippy::std_instead_of_core, clippy::alloc_instead_of_core)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod wire;

#[doc = include_str!("../SPEC.md")]
pub mod spec {}
pub mod boot;
#[cfg(feature = "tokio-codec")]
pub mod codec;
#[cfg(feature = "drogue")]
pub mod drogue;
pub mod flash;
pub mod server;
#[cfg(feature = "sim")]
pub mod sim;
#[cfg(feature = "smp")]
pub mod smp;
pub mod updater;

// The README's examples are compiled and run as doc tests.
#[cfg(all(doctest, feature = "sim"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
