//! A simulated microcontroller behind each device: the firmware the device
//! received over DDI is delivered to it with `dfu-protocol` (server session
//! on the device's side, wire frames both ways, updater, flash simulator and
//! bootloader on the MCU's side).

use dfu_protocol::server::Progress;
use dfu_protocol::server::{ServedImage, Session, SessionConfig};
use dfu_protocol::sim::{self, SimDevice};
use dfu_protocol::updater::UpdaterConfig;
use dfu_protocol::wire::{BootOutcome, ResetCause, RevertReason};

/// How the MCU's application judges a new image once it boots it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    /// The health check passes and the application confirms the image.
    Passes,
    /// The health check fails every time: the bootloader retries the image
    /// for its boot attempts, then rolls back to the previous one.
    Fails,
}

/// What delivering one image to the MCU did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McuReport {
    /// Whether the MCU runs the new image, confirmed.
    pub confirmed: bool,
    /// One line for people and for the server's feedback.
    pub summary: String,
    /// Status/command exchanges over the wire.
    pub round_trips: u64,
    /// Wire bytes sent to the MCU.
    pub bytes_to_mcu: u64,
    /// MCU reboots during the update.
    pub reboots: u32,
}

/// The firmware a fresh MCU runs: deterministic, `len` bytes.
pub fn factory_image(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8 ^ 0x5A).collect()
}

fn always_fails(_: &[u8]) -> bool {
    false
}

/// Delivers `image` to an MCU that runs `factory`, until the MCU confirms it
/// or rolls it back.
pub fn deliver(factory: &[u8], image: &[u8], health: Health) -> McuReport {
    match try_deliver(factory, image, health) {
        Ok(report) => report,
        Err(e) => McuReport {
            confirmed: false,
            summary: format!("mcu update failed: {e}"),
            round_trips: 0,
            bytes_to_mcu: 0,
            reboots: 0,
        },
    }
}

fn try_deliver(factory: &[u8], image: &[u8], health: Health) -> Result<McuReport, String> {
    let max =
        u32::try_from(factory.len().max(image.len())).map_err(|_| "image larger than 4 GiB")?;
    let layout = sim::layout_for::<4, 4096>(max);
    let mut mcu = SimDevice::<4, 4096>::new(layout, factory, UpdaterConfig::new())
        .map_err(|e| format!("cannot build the simulated mcu: {e}"))?;
    if health == Health::Fails {
        mcu.set_health_check(always_fails);
    }
    let session = Session::new(Some(ServedImage::new(image)), SessionConfig::new());
    let budget = 64 + 4 * (image.len() as u64 / 4096 + 1);
    let report = sim::drive(&session, &mut mcu, budget).map_err(|e| format!("{e}"))?;
    let (confirmed, summary) = match (report.progress, report.outcome) {
        (Progress::UpToDate, BootOutcome::Confirmed { .. }) => (
            true,
            format!("mcu confirmed the image after {} reboot(s)", report.reboots),
        ),
        (
            Progress::RolledBack {
                reason,
                reset_cause,
                attempts,
            },
            _,
        ) => (
            false,
            format!(
                "mcu rolled back after {attempts} boot attempt(s): {}, last reset {}",
                reason_text(reason),
                reset_text(reset_cause)
            ),
        ),
        (progress, outcome) => (
            false,
            format!("mcu update did not settle: {progress:?}, {outcome:?}"),
        ),
    };
    Ok(McuReport {
        confirmed,
        summary,
        round_trips: report.round_trips,
        bytes_to_mcu: report.bytes_to_device,
        reboots: report.reboots,
    })
}

fn reason_text(reason: RevertReason) -> String {
    match reason {
        RevertReason::NotConfirmed => "not confirmed".into(),
        RevertReason::HealthCheckFailed => "health check failed".into(),
        RevertReason::VerificationFailed => "verification failed".into(),
        other => format!("{other:?}"),
    }
}

fn reset_text(cause: ResetCause) -> String {
    format!("{cause:?}").to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_healthy_image_is_confirmed_and_a_failing_one_rolled_back() {
        let factory = factory_image(64 * 1024);
        let image: Vec<u8> = (0..60 * 1024).map(|i| (i % 13) as u8).collect();
        let ok = deliver(&factory, &image, Health::Passes);
        assert!(ok.confirmed, "{}", ok.summary);
        assert!(ok.bytes_to_mcu > image.len() as u64);
        let bad = deliver(&factory, &image, Health::Fails);
        assert!(!bad.confirmed);
        // The application crashes on every trial boot, so the bootloader
        // gives up after its three attempts and restores the factory image.
        assert!(
            bad.summary.contains("rolled back after 3 boot attempt(s)"),
            "{}",
            bad.summary
        );
        assert!(bad.reboots >= 2, "retried before rolling back: {bad:?}");
    }
}
