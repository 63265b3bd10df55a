//! Server session + wire + updater + simulated flash + bootloader, together.
#![cfg(feature = "sim")]

use dfu_protocol::server::{Progress, ServedImage, Session, SessionConfig};
use dfu_protocol::sim::{self, SimDevice, layout_for};
use dfu_protocol::updater::UpdaterConfig;
use dfu_protocol::wire::{BootOutcome, ResetCause, RevertReason};

fn image(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) ^ (i >> 8) as u8)
        .collect()
}

#[test]
fn a_one_mebibyte_update_installs_and_confirms() {
    let old = image(900 * 1024, 1);
    let new = image(1024 * 1024, 2);
    let report = sim::end_to_end_update(&old, &new).unwrap();
    assert_eq!(report.progress, Progress::UpToDate);
    assert!(
        matches!(report.outcome, BootOutcome::Confirmed { .. }),
        "{report:?}"
    );
    assert_eq!(report.reboots, 1);
    // 256 chunks of 4 KiB, a swap, a confirming sync and the final sync.
    assert_eq!(report.round_trips, 256 + 3);
    let overhead = report.bytes_to_device - new.len() as u64;
    assert!(overhead <= 16 * 256 + 200, "{overhead}");
}

fn fails(image: &[u8]) -> bool {
    !image.starts_with(b"BAD!")
}

#[test]
fn an_image_failing_its_health_check_is_retried_then_rolled_back_with_diagnostics() {
    let old = image(10_000, 1);
    let mut new = image(12_000, 2);
    new[..4].copy_from_slice(b"BAD!");
    let layout = layout_for::<4, 4096>(12_000);
    let mut device =
        SimDevice::<4, 4096>::new(layout, &old, *UpdaterConfig::new().max_attempts(3)).unwrap();
    device.set_health_check(fails);
    let session = Session::new(Some(ServedImage::new(&new)), SessionConfig::new());
    let report = sim::drive(&session, &mut device, 100).unwrap();
    assert_eq!(
        report.progress,
        Progress::RolledBack {
            reason: RevertReason::NotConfirmed,
            reset_cause: ResetCause::Fault,
            attempts: 3
        }
    );
    // The swap reset, then three crashed trial boots (the last one reverts).
    assert_eq!(report.reboots, 4);
    assert_eq!(device.running_image().unwrap(), old);
    // The rolled-back device is left alone afterwards.
    let again = sim::drive(&session, &mut device, 5).unwrap();
    assert_eq!(again.round_trips, 1);
    assert!(matches!(again.progress, Progress::RolledBack { .. }));
}

#[cfg(feature = "ed25519")]
#[test]
fn a_signed_image_installs_and_an_unsigned_one_is_refused() {
    use dfu_protocol::wire::ResultCode;
    use ed25519_dalek::{Signer, SigningKey};
    use sha2::{Digest, Sha256};

    let key = SigningKey::from_bytes(&[3; 32]);
    let old = image(5000, 1);
    let new = image(7000, 2);
    let digest: [u8; 32] = Sha256::digest(&new).into();
    let mut cfg = UpdaterConfig::new();
    cfg.verifying_key(key.verifying_key().to_bytes());
    let layout = layout_for::<4, 4096>(8192);

    let mut device = SimDevice::<4, 4096>::new(layout, &old, cfg).unwrap();
    let unsigned = Session::new(Some(ServedImage::new(&new)), SessionConfig::new());
    let report = sim::drive(&unsigned, &mut device, 6).unwrap();
    assert_eq!(report.reboots, 0);
    assert_eq!(
        device.updater().unwrap().status(b"").last_result,
        ResultCode::SignatureInvalid
    );

    let signed = ServedImage::new(&new).with_signature(key.sign(&digest).to_bytes());
    let session = Session::new(Some(signed), SessionConfig::new());
    let report = sim::drive(&session, &mut device, 20).unwrap();
    assert_eq!(report.progress, Progress::UpToDate);
    assert_eq!(device.running_image().unwrap(), new);
}
