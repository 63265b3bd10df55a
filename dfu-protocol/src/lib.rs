//! `dfu-protocol`: under construction.
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
pub mod flash;
pub mod server;
#[cfg(feature = "sim")]
pub mod sim;
pub mod updater;
