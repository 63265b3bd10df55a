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
    let report = sim::drive(&unsigned, &mut device, 40).unwrap();
    assert_eq!(report.reboots, 0);
    assert_eq!(
        device.updater().unwrap().status(b"").last_result,
        ResultCode::SignatureInvalid
    );
    // The session has no signature to offer, so it stops instead of sending
    // the whole image again and again.
    assert_eq!(
        report.progress,
        Progress::Refused {
            code: ResultCode::SignatureInvalid
        }
    );
    let again = sim::drive(&unsigned, &mut device, 40).unwrap();
    assert_eq!(again.round_trips, 1, "nothing re-sent");
    assert_eq!(again.bytes_programmed, report.bytes_programmed);

    let signed = ServedImage::new(&new).with_signature(key.sign(&digest).to_bytes());
    let session = Session::new(Some(signed), SessionConfig::new());
    let report = sim::drive(&session, &mut device, 20).unwrap();
    assert_eq!(report.progress, Progress::UpToDate);
    assert_eq!(device.running_image().unwrap(), new);
}

#[test]
fn one_session_serves_a_fleet_in_round_robin() {
    use dfu_protocol::sim::DeviceEvent;
    use dfu_protocol::wire;

    let new = image(20_000, 9);
    let session = Session::new(
        Some(ServedImage::new(&new)),
        *SessionConfig::new().max_chunk(1024),
    );
    let layout = layout_for::<4, 4096>(24_000);
    let mut fleet: Vec<SimDevice<4, 4096>> = (0..5u8)
        .map(|i| {
            let cfg = *UpdaterConfig::new().max_chunk(256 + 512 * u32::from(i));
            SimDevice::new(layout, &image(15_000 + usize::from(i) * 1000, i), cfg).unwrap()
        })
        .collect();
    // Device 3 already runs the image; device 4 crashes on it.
    fleet[3] = SimDevice::new(layout, &new, UpdaterConfig::new()).unwrap();
    fleet[4].set_health_check(|_| false);
    let mut done = [false; 5];
    let mut up = [0u8; 512];
    let mut down = vec![0u8; wire::MAX_FRAME_LEN];
    let mut last = [Progress::NoImage; 5];
    for _round in 0..500 {
        for (i, dev) in fleet.iter_mut().enumerate() {
            if done[i] {
                continue;
            }
            // A gateway in front of the fleet tags each status with the device index.
            let n = dev.status_frame(Some(i as u32), &mut up).unwrap();
            let (status, _) = wire::decode(&up[..n]).unwrap();
            let reply = session.respond_to_frame(&status);
            assert_eq!(reply.frame.correlation_id, Some(i as u32));
            last[i] = reply.progress;
            let m = wire::encode(&reply.frame, &mut down).unwrap();
            let event = dev.deliver(&down[..m]).unwrap();
            let settled = matches!(
                reply.progress,
                Progress::UpToDate | Progress::RolledBack { .. }
            );
            done[i] =
                settled && !matches!(event, DeviceEvent::Rebooted(_) | DeviceEvent::Crashed(_));
        }
        if done.iter().all(|d| *d) {
            break;
        }
    }
    assert!(done.iter().all(|d| *d), "{last:?}");
    for dev in &fleet[..4] {
        assert_eq!(dev.running_image().unwrap(), new);
    }
    assert!(matches!(last[4], Progress::RolledBack { attempts: 3, .. }));
    assert_eq!(fleet[4].running_image().unwrap(), image(19_000, 4));
}

#[test]
fn an_image_that_never_verifies_is_sent_three_times_then_refused() {
    use dfu_protocol::updater::MAX_VERIFY_FAILURES;
    use dfu_protocol::wire::ResultCode;

    let old = image(5000, 1);
    let new = image(6000, 4);
    let layout = layout_for::<4, 4096>(8192);
    let mut device = SimDevice::<4, 4096>::new(layout, &old, UpdaterConfig::new()).unwrap();
    // A server whose stored bytes no longer match the digest it announces
    // (corrupted storage): every complete transfer fails verification.
    let served = ServedImage::new(&new);
    let mut corrupted = new.clone();
    corrupted[4321] ^= 0x10;
    let announced = *served.digest();
    let session = Session::new(
        Some(ServedImage::with_known_digest(&corrupted, announced)),
        SessionConfig::new(),
    );
    let report = sim::drive(&session, &mut device, 500).unwrap();
    assert_eq!(
        report.progress,
        Progress::Refused {
            code: ResultCode::UnsupportedImage
        }
    );
    assert!(report.round_trips < 500, "the exchange settles");
    // Exactly MAX_VERIFY_FAILURES transfers reached the flash.
    let per_transfer = 6000_u64;
    assert!(
        report.bytes_programmed >= per_transfer * u64::from(MAX_VERIFY_FAILURES)
            && report.bytes_programmed < per_transfer * (u64::from(MAX_VERIFY_FAILURES) + 1),
        "{} bytes programmed",
        report.bytes_programmed
    );
    assert_eq!(
        device.running_image().unwrap(),
        old,
        "still on the old image"
    );
}
