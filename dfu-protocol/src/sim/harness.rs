//! End-to-end runs: server session, wire encoding both ways, simulated device.

use std::vec;

use super::device::{DeviceEvent, SimDevice, SimDeviceError, layout_for};
use crate::server::{Progress, ServedImage, Session, SessionConfig};
use crate::updater::UpdaterConfig;
use crate::wire::{self, BootOutcome};

/// What an end-to-end run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndToEndReport {
    /// Status/command exchanges.
    pub round_trips: u64,
    /// Command bytes sent to the device.
    pub bytes_to_device: u64,
    /// Status bytes sent by the device.
    pub bytes_from_device: u64,
    /// Device boots during the run (not counting the factory boot).
    pub reboots: u32,
    /// The server's view of the device at the end.
    pub progress: Progress,
    /// The device's boot outcome at the end.
    pub outcome: BootOutcome,
    /// Flash pages erased since the device was made.
    pub erases: u64,
    /// Flash bytes programmed since the device was made.
    pub bytes_programmed: u64,
}

/// Runs status/command exchanges between `session` and `device` until the
/// device is up to date or has rolled the image back, or `max_round_trips`
/// have passed. Every message goes through the wire encoder and decoder.
pub fn drive<const W: usize, const E: usize>(
    session: &Session<'_>,
    device: &mut SimDevice<W, E>,
    max_round_trips: u64,
) -> Result<EndToEndReport, SimDeviceError> {
    let mut up = [0u8; 512];
    let mut down = vec![0u8; wire::MAX_FRAME_LEN];
    let boots_before = device.boots();
    let mut report = EndToEndReport {
        round_trips: 0,
        bytes_to_device: 0,
        bytes_from_device: 0,
        reboots: 0,
        progress: Progress::NoImage,
        outcome: BootOutcome::None,
        erases: 0,
        bytes_programmed: 0,
    };
    while report.round_trips < max_round_trips {
        report.round_trips += 1;
        let n = device.status_frame(None, &mut up)?;
        report.bytes_from_device += n as u64;
        let Ok((status, _)) = wire::decode(up.get(..n).unwrap_or_default()) else {
            return Err(SimDeviceError::BufferTooSmall);
        };
        let reply = session.respond_to_frame(&status);
        report.progress = reply.progress;
        let m =
            wire::encode(&reply.frame, &mut down).map_err(|_| SimDeviceError::BufferTooSmall)?;
        report.bytes_to_device += m as u64;
        let event = device.deliver(down.get(..m).unwrap_or_default())?;
        let settled = matches!(
            reply.progress,
            Progress::UpToDate
                | Progress::RolledBack { .. }
                | Progress::Refused { .. }
                | Progress::NoImage
        );
        if settled && !matches!(event, DeviceEvent::Rebooted(_) | DeviceEvent::Crashed(_)) {
            break;
        }
    }
    report.reboots = device.boots() - boots_before;
    if let Some(u) = device.updater() {
        report.outcome = u.boot_info().outcome;
    }
    if let Some(f) = device.flash() {
        report.erases = f.erases();
        report.bytes_programmed = f.bytes_programmed();
    }
    Ok(report)
}

/// A complete update of a device running `old` to `new` with the default
/// settings (4-byte write units, 4 KiB pages, 4 KiB chunks with CRC-32,
/// three boot attempts), ending when `new` is confirmed or rolled back.
///
/// Meant for benchmarks: it exercises the server session, the wire codec
/// both ways, the updater, the simulated flash and the bootloader.
pub fn end_to_end_update(old: &[u8], new: &[u8]) -> Result<EndToEndReport, SimDeviceError> {
    let max = u32::try_from(old.len().max(new.len())).map_err(|_| SimDeviceError::InvalidLayout)?;
    let layout = layout_for::<4, 4096>(max);
    let mut device = SimDevice::<4, 4096>::new(layout, old, UpdaterConfig::new())?;
    let session = Session::new(Some(ServedImage::new(new)), SessionConfig::new());
    // Chunks, one swap, a few trial boots and syncs: bounded well above need.
    let budget = 64 + 4 * (new.len() as u64 / 4096 + 1);
    drive(&session, &mut device, budget)
}
