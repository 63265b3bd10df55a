//! `dfu-protocol`: under construction.
#![no_std]
