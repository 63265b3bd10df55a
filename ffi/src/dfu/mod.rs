//! Module 1, `dfu`: the device updater, the streaming frame decoder, the
//! status encoder, the bootloader, provisioning and layouts for C firmware,
//! and the server-side session for C gateways. No heap, no `std`: all
//! memory is the caller's.

#![allow(non_camel_case_types)]

pub mod boot;
pub mod codes;
pub mod decoder;
mod errors;
pub mod flash;
pub mod frame;
pub mod layout;
pub mod session;
pub mod updater;
