//! Shared test support for the fleet-update workspace.
//!
//! Tests, examples and benches of every crate use this crate to reach three
//! kinds of counterpart without repeating the plumbing:
//!
//! - [`vectors`]: the captured documents in `../shared/vectors/<kind>` (or
//!   `$FLEET_VECTORS/<kind>`), iterated by file-name prefix so that a test covers
//!   every file of a kind rather than one file each.
//! - [`peers`]: third-party servers (Mosquitto, goosebit) started on
//!   `127.0.0.1` on a free port and stopped when dropped.
//! - in-process simulators of the systems we talk to, added by the crate issues:
//!   [`ddi`], a stateful hawkBit DDI server with a CDN origin and fault
//!   injection.
//! - [`broker`]: an in-process MQTT 3.1.1 broker on `127.0.0.1` for examples
//!   and demos that must run without an installed Mosquitto.
//!
//! # Skip rule
//!
//! A missing vectors folder or peer is a *failure* when the environment
//! variable `CI` is `true` (or `1`), and a printed skip elsewhere, so a
//! developer without Mosquitto installed can still run the suite while CI can
//! never pass by skipping. [`require`] applies that rule in one place.
//!
//! Because this crate only ever runs inside tests, it reports broken fixtures
//! by panicking with a message that names the fixture, as a failed assertion
//! would.

pub mod broker;
pub mod ddi;
pub mod iothub;
pub mod peers;
pub mod vectors;

mod skip;

pub use skip::{is_ci, require};
