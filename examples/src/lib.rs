//! Examples of the fleet-update workspace.
//!
//! - `fleet-demo` (`cargo run --release -p examples --bin fleet-demo`): the
//!   end-to-end demo of the README, built stage by stage. Stage 1 starts the
//!   testkit DDI server in process, deploys a firmware to a handful of
//!   simulated devices and shows them poll, download with progress bars,
//!   verify, install into a simulated slot and report success. Stage 2
//!   delivers that firmware to each device's simulated microcontroller over
//!   `dfu-protocol`; one microcontroller fails its health check, retries,
//!   rolls back, and the device reports the diagnostics to the server.
//!   Stage 3 runs each deployment through the device's own update manager
//!   (`desired-state`, over an embedded MQTT broker) as a desired state
//!   across a firmware domain and a containers domain. Stage 4 syncs devices
//!   onboarded in a simulated IoT Hub into hawkBit with `registry-sync`; they
//!   receive the release, and one deleted from the hub is disabled, not lost.
//! - `ddi-agent`: a device agent for a real hawkBit (or compatible) server.
//! - `registry-facade`: an HTTP facade through which network providers
//!   create and (soft) delete their devices in an IoT Hub ([`facade`]).
//!
//! This library holds the simulated device pieces the binaries share.

pub mod demo_agent;
pub mod facade;
pub mod logging;
pub mod mcu;
pub mod orchestration;
pub mod registry_stage;
pub mod slot_installer;
