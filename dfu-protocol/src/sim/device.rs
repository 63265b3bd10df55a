//! A simulated MCU: flash, bootloader, application with a health check, and updater.

use std::boxed::Box;
use std::vec;
use std::vec::Vec;

use super::flash::{PowerCut, SimFlash};
use crate::boot::{self, Boot, BootError, Bootloader, ImageInfo, Phase};
use crate::flash::{Layout, Region};
use crate::updater::{Action, Updater, UpdaterConfig, UpdaterError};
use crate::wire::{self, DecodeError, Feed, Frame, FrameDecoder, Message, ResetCause};

/// The application's health check: gets the running image, says whether it works.
pub type HealthCheck = fn(&[u8]) -> bool;

/// Errors of the simulated device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum SimDeviceError {
    /// The power was cut (or the device is off); call [`SimDevice::reboot`].
    #[error("device lost power")]
    PowerLost,
    /// The layout does not fit.
    #[error("invalid layout")]
    InvalidLayout,
    /// The status did not fit the buffer.
    #[error("status does not fit the buffer")]
    BufferTooSmall,
}

impl From<UpdaterError> for SimDeviceError {
    fn from(e: UpdaterError) -> Self {
        match e {
            UpdaterError::Flash => Self::PowerLost,
            _ => Self::InvalidLayout,
        }
    }
}

impl From<BootError> for SimDeviceError {
    fn from(e: BootError) -> Self {
        match e {
            BootError::Flash => Self::PowerLost,
            _ => Self::InvalidLayout,
        }
    }
}

/// What the device did with a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceEvent {
    /// The updater's answer; the device keeps running.
    Handled(Action),
    /// The frame did not decode; nothing changed.
    BadFrame(DecodeError),
    /// The server's `Sync` let the health check run, it passed, the image is confirmed.
    Confirmed,
    /// The device reset to install an update; this is what the bootloader did.
    Rebooted(Boot),
    /// The health check failed and the application crashed; the bootloader then did this.
    Crashed(Boot),
}

enum State<const W: usize, const E: usize> {
    Off(SimFlash<W, E>),
    // Boxed: the updater with its staging buffer dwarfs a powered-off flash.
    Running(Box<Updater<SimFlash<W, E>>>),
    /// Only while switching between the two.
    Switching,
}

/// A simulated device: write unit `W`, erase page `E`.
pub struct SimDevice<const W: usize = 4, const E: usize = 4096> {
    state: State<W, E>,
    layout: Layout,
    config: UpdaterConfig,
    health: HealthCheck,
    rx: Vec<u8>,
    boots: u32,
    last_boot: Option<Boot>,
}

impl<const W: usize, const E: usize> core::fmt::Debug for SimDevice<W, E> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SimDevice")
            .field("layout", &self.layout)
            .field("boots", &self.boots)
            .field("last_boot", &self.last_boot)
            .finish_non_exhaustive()
    }
}

/// A layout for images up to `max_image` bytes on a flash with `E`-byte
/// pages and `W`-byte write units: boot state, progress log (two pages),
/// active bank, update bank, in that order from offset 0.
pub fn layout_for<const W: usize, const E: usize>(max_image: u32) -> Layout {
    let e = E as u32;
    let pages = max_image.div_ceil(e).max(1);
    let marks = (2 * pages).max(16);
    let copy_pages = (128 + marks * W as u32).div_ceil(e);
    let boot_state = Region::new(0, 2 * copy_pages * e);
    // Two pages, so the resume log survives its own compaction.
    let progress = Region::new(boot_state.end(), 2 * e);
    let active = Region::new(progress.end(), pages * e);
    let update = Region::new(active.end(), (pages + 1) * e);
    Layout {
        active,
        update,
        boot_state,
        progress,
    }
}

/// Always passes.
fn healthy(_: &[u8]) -> bool {
    true
}

impl<const W: usize, const E: usize> SimDevice<W, E> {
    /// A device fresh from the factory with `factory` in its active bank,
    /// booted once (power-on).
    pub fn new(
        layout: Layout,
        factory: &[u8],
        config: UpdaterConfig,
    ) -> Result<Self, SimDeviceError> {
        let size = u32::try_from(factory.len()).map_err(|_| SimDeviceError::InvalidLayout)?;
        if size > layout.active.size {
            return Err(SimDeviceError::InvalidLayout);
        }
        let capacity = layout
            .update
            .end()
            .max(layout.active.end())
            .max(layout.boot_state.end())
            .max(layout.progress.end());
        let mut flash = SimFlash::<W, E>::new(capacity as usize);
        flash.factory_program(layout.active.offset as usize, factory);
        let digest =
            sha2::Digest::finalize(<sha2::Sha256 as sha2::Digest>::new_with_prefix(factory)).into();
        boot::provision(&mut flash, &layout, ImageInfo { size, digest })?;
        let mut dev = Self {
            state: State::Off(flash),
            layout,
            config,
            health: healthy,
            rx: vec![0; wire::MAX_FRAME_LEN],
            boots: 0,
            last_boot: None,
        };
        dev.reboot(ResetCause::PowerOn)?;
        Ok(dev)
    }

    /// Sets the application's health check (default: always passes).
    pub fn set_health_check(&mut self, check: HealthCheck) {
        self.health = check;
    }

    /// Resets the device: power on if needed, run the bootloader, start the application.
    pub fn reboot(&mut self, cause: ResetCause) -> Result<Boot, SimDeviceError> {
        let mut flash = match core::mem::replace(&mut self.state, State::Switching) {
            State::Off(f) => f,
            State::Running(u) => u.into_flash(),
            State::Switching => return Err(SimDeviceError::PowerLost),
        };
        flash.power_on();
        self.boots += 1;
        let Ok(mut loader) = Bootloader::new(flash, self.layout) else {
            return Err(SimDeviceError::InvalidLayout);
        };
        let decision = loader.boot(cause);
        let flash = loader.into_flash();
        let boot = match decision {
            Ok(b) => b,
            Err(e) => {
                self.state = State::Off(flash);
                return Err(e.into());
            }
        };
        self.last_boot = Some(boot);
        match Updater::open(flash, self.layout, self.config) {
            Ok(u) => self.state = State::Running(Box::new(u)),
            // Opening only reads; a failure means the power is off.
            Err(e) => return Err(e.into()),
        }
        Ok(boot)
    }

    /// Schedules a power cut on the flash.
    pub fn schedule_cut(&mut self, cut: PowerCut) {
        if let Some(f) = self.flash_mut() {
            f.schedule_cut(cut);
        }
    }

    fn flash_mut(&mut self) -> Option<&mut SimFlash<W, E>> {
        match &mut self.state {
            State::Off(f) => Some(f),
            State::Running(u) => Some(u.flash_mut()),
            State::Switching => None,
        }
    }

    /// The flash: raw content and operation counters.
    pub fn flash(&self) -> Option<&SimFlash<W, E>> {
        match &self.state {
            State::Off(f) => Some(f),
            State::Running(u) => Some(u.flash()),
            State::Switching => None,
        }
    }

    /// The number of boots so far.
    pub fn boots(&self) -> u32 {
        self.boots
    }

    /// What the bootloader decided at the last boot.
    pub fn last_boot(&self) -> Option<Boot> {
        self.last_boot
    }

    /// Whether the device is running (not cut off by a power failure).
    pub fn is_running(&self) -> bool {
        matches!(self.state, State::Running(_))
    }

    /// The updater, while running.
    pub fn updater(&self) -> Option<&Updater<SimFlash<W, E>>> {
        match &self.state {
            State::Running(u) => Some(u),
            _ => None,
        }
    }

    /// Encodes the device's status frame into `out`.
    pub fn status_frame(
        &self,
        correlation_id: Option<u32>,
        out: &mut [u8],
    ) -> Result<usize, SimDeviceError> {
        let State::Running(u) = &self.state else {
            return Err(SimDeviceError::PowerLost);
        };
        let version = u.boot_info().active.digest;
        // The simulated firmware's version string: the first 4 digest bytes in hex.
        let mut hex = [0u8; 8];
        for (i, b) in version.iter().take(4).enumerate() {
            let digits = b"0123456789abcdef";
            hex[2 * i] = digits[usize::from(b >> 4)];
            hex[2 * i + 1] = digits[usize::from(b & 0xF)];
        }
        let frame = Frame {
            correlation_id,
            message: Message::Status(u.status(&hex)),
        };
        wire::encode(&frame, out).map_err(|_| SimDeviceError::BufferTooSmall)
    }

    /// Delivers command bytes (one frame, possibly fed in pieces) to the device.
    pub fn deliver(&mut self, bytes: &[u8]) -> Result<DeviceEvent, SimDeviceError> {
        let State::Running(u) = &mut self.state else {
            return Err(SimDeviceError::PowerLost);
        };
        let mut dec = FrameDecoder::new(&mut self.rx);
        let action = match dec.feed(bytes) {
            Feed::Frame { frame, .. } => u.handle(&frame.message),
            Feed::Error { error, .. } => return Ok(DeviceEvent::BadFrame(error)),
            Feed::Consumed => return Ok(DeviceEvent::BadFrame(DecodeError::Truncated)),
        };
        let action = match action {
            Ok(a) => a,
            Err(e) => {
                self.power_off();
                return Err(e.into());
            }
        };
        match action {
            Action::Reset => self.reboot(ResetCause::Software).map(DeviceEvent::Rebooted),
            Action::Synced {
                confirm_pending: true,
                ..
            } => {
                let image = self.running_image()?;
                if (self.health)(&image) {
                    let State::Running(u) = &mut self.state else {
                        return Err(SimDeviceError::PowerLost);
                    };
                    if let Err(e) = u.confirm() {
                        self.power_off();
                        return Err(e.into());
                    }
                    Ok(DeviceEvent::Confirmed)
                } else {
                    self.reboot(ResetCause::Fault).map(DeviceEvent::Crashed)
                }
            }
            other => Ok(DeviceEvent::Handled(other)),
        }
    }

    fn power_off(&mut self) {
        if let State::Running(u) = core::mem::replace(&mut self.state, State::Switching) {
            self.state = State::Off(u.into_flash());
        }
    }

    /// The bytes of the running image, as the boot record sizes it.
    pub fn running_image(&self) -> Result<Vec<u8>, SimDeviceError> {
        let boot = self.last_boot.ok_or(SimDeviceError::PowerLost)?;
        let start = self.layout.active.offset as usize;
        let len = boot.image.size as usize;
        let flash = self.flash().ok_or(SimDeviceError::PowerLost)?;
        flash
            .contents()
            .get(start..start + len)
            .map(<[u8]>::to_vec)
            .ok_or(SimDeviceError::InvalidLayout)
    }

    /// Whether the last boot left an image on trial.
    pub fn on_trial(&self) -> bool {
        self.last_boot.is_some_and(|b| b.phase == Phase::Trial)
    }
}
