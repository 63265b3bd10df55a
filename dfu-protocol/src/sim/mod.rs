//! Simulation support (feature `sim`): a NOR flash with power-cut
//! injection, a simulated device (flash, bootloader, application health
//! check, updater), and an end-to-end harness for tests, demos and
//! benchmarks.

mod device;
mod flash;
mod harness;

pub use device::{DeviceEvent, HealthCheck, SimDevice, SimDeviceError, layout_for};
pub use flash::{PowerCut, SimError, SimFlash, Tear};
pub use harness::{EndToEndReport, drive, end_to_end_update};
