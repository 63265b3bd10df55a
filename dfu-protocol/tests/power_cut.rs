//! The proof that an update cannot brick the device: cut the power at every
//! single program/erase operation of a whole update (exhaustively for a
//! small image, by proptest for larger ones) and check that every boot
//! afterwards starts a valid image, the new one (verified) or the previous
//! one, and that the update still ends where it should.
#![cfg(feature = "sim")]

use dfu_protocol::server::{Progress, ServedImage, Session, SessionConfig};
use dfu_protocol::sim::{self, DeviceEvent, PowerCut, SimDevice, SimDeviceError, Tear, layout_for};
use dfu_protocol::updater::UpdaterConfig;
use dfu_protocol::wire::{self, BootOutcome, ResetCause};
use proptest::prelude::*;
use sha2::{Digest, Sha256};

const W: usize = 4;
const E: usize = 256;
type Dev = SimDevice<W, E>;

fn image(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(13).wrapping_add(seed) ^ (i >> 7) as u8)
        .collect()
}

fn unhealthy(image: &[u8]) -> bool {
    !image.starts_with(b"BAD!")
}

struct Scenario {
    /// Installed (and confirmed) without faults before the measured update.
    pre: Option<Vec<u8>>,
    old: Vec<u8>,
    new: Vec<u8>,
    chunk: u32,
    healthy: bool,
}

impl Scenario {
    /// A device running `old`: from the factory, or updated to it from `pre`.
    fn device(&self) -> Dev {
        let max = self
            .old
            .len()
            .max(self.new.len())
            .max(self.pre.as_ref().map_or(0, Vec::len)) as u32;
        let factory = self.pre.as_ref().unwrap_or(&self.old);
        let mut dev = Dev::new(
            layout_for::<W, E>(max),
            factory,
            *UpdaterConfig::new().max_chunk(self.chunk),
        )
        .expect("factory device");
        dev.set_health_check(unhealthy);
        if self.pre.is_some() {
            let session = Session::new(
                Some(ServedImage::new(&self.old)),
                *SessionConfig::new().max_chunk(self.chunk),
            );
            let report = sim::drive(&session, &mut dev, 10_000).expect("clean update");
            assert_eq!(report.progress, Progress::UpToDate);
            assert_eq!(dev.running_image().expect("image"), self.old);
        }
        dev
    }

    fn new_image(&self) -> Vec<u8> {
        let mut new = self.new.clone();
        if !self.healthy {
            new[..4].copy_from_slice(b"BAD!");
        }
        new
    }
}

/// Whatever boots must be exactly the old or the new image, and match its recorded digest.
fn assert_valid_boot(dev: &Dev, s: &Scenario, new: &[u8], when: &str) {
    let running = dev.running_image().expect("running image");
    assert!(
        running == s.old || running == new,
        "{when}: active bank holds neither image"
    );
    let boot = dev.last_boot().expect("booted");
    assert_eq!(
        <[u8; 32]>::from(Sha256::digest(&running)),
        boot.image.digest,
        "{when}: digest"
    );
}

/// Runs the update, recovering from power loss by rebooting; returns the
/// final progress and the flash operations used.
fn run(s: &Scenario, cut: Option<(u64, Tear)>) -> (Progress, u64, BootOutcome) {
    let new = s.new_image();
    let session = Session::new(
        Some(ServedImage::new(&new)),
        *SessionConfig::new().max_chunk(s.chunk),
    );
    let mut dev = s.device();
    let start = dev.flash().expect("flash").ops();
    if let Some((k, tear)) = cut {
        dev.schedule_cut(PowerCut {
            at_op: start + k,
            tear,
        });
    }
    let mut up = [0u8; 512];
    let mut down = vec![0u8; wire::MAX_FRAME_LEN];
    let mut progress = Progress::NoImage;
    for round in 0..10_000 {
        let step = (|| -> Result<bool, SimDeviceError> {
            let n = dev.status_frame(None, &mut up)?;
            let (status, _) = wire::decode(&up[..n]).expect("status decodes");
            let reply = session.respond_to_frame(&status);
            progress = reply.progress;
            let m = wire::encode(&reply.frame, &mut down).expect("encodes");
            let event = dev.deliver(&down[..m])?;
            if let DeviceEvent::Rebooted(_) | DeviceEvent::Crashed(_) = event {
                assert_valid_boot(&dev, s, &new, "after reset");
                return Ok(false);
            }
            Ok(matches!(
                progress,
                Progress::UpToDate | Progress::RolledBack { .. }
            ))
        })();
        match step {
            Ok(true) => break,
            Ok(false) => {}
            Err(SimDeviceError::PowerLost) => {
                // Power comes back; the bootloader must find something valid to start.
                let mut tries = 0;
                while let Err(e) = dev.reboot(ResetCause::PowerOn) {
                    assert_eq!(e, SimDeviceError::PowerLost);
                    tries += 1;
                    assert!(tries < 3, "device does not come back");
                }
                assert_valid_boot(&dev, s, &new, "after power cut");
            }
            Err(e) => panic!("round {round}: {e}"),
        }
    }
    let ops = dev.flash().expect("flash").ops() - start;
    let outcome = dev.updater().expect("running").boot_info().outcome;
    // The end state is the right one for the image's health.
    let running = dev.running_image().expect("image");
    if s.healthy {
        assert_eq!(running, new, "cut {cut:?}: new image not installed");
        assert_eq!(progress, Progress::UpToDate, "cut {cut:?}");
    } else {
        assert_eq!(running, s.old, "cut {cut:?}: not rolled back");
        assert!(
            matches!(progress, Progress::RolledBack { .. }),
            "cut {cut:?}: {progress:?}"
        );
    }
    (progress, ops, outcome)
}

fn exhaustive(s: &Scenario) -> u64 {
    let (_, total, _) = run(s, None);
    for k in 0..total {
        for tear in [Tear::None, Tear::Half, Tear::Full] {
            run(s, Some((k, tear)));
        }
    }
    total
}

#[test]
fn power_cut_at_every_step_of_a_successful_update_never_bricks() {
    let s = Scenario {
        pre: None,
        old: image(1500, 1),
        new: image(2300, 2),
        chunk: 100,
        healthy: true,
    };
    let total = exhaustive(&s);
    assert!(
        total > 40,
        "the scenario exercises too few flash operations: {total}"
    );
}

#[test]
fn power_cut_at_every_step_of_a_rolled_back_update_never_bricks() {
    let s = Scenario {
        pre: None,
        old: image(1700, 3),
        new: image(1100, 4),
        chunk: 61,
        healthy: false,
    };
    let total = exhaustive(&s);
    assert!(total > 40, "{total}");
}

#[test]
fn power_cut_at_every_step_of_a_second_update_never_bricks() {
    // The second update reuses the update bank that held the rollback copy
    // of the first one, and the progress log wraps around.
    for healthy in [true, false] {
        let s = Scenario {
            pre: Some(image(1200, 5)),
            old: image(2000, 6),
            new: image(1800, 7),
            chunk: 128,
            healthy,
        };
        let total = exhaustive(&s);
        assert!(total > 40, "{total}");
    }
}

#[test]
fn the_uncut_rollback_reports_its_diagnostics() {
    let s = Scenario {
        pre: None,
        old: image(700, 3),
        new: image(500, 4),
        chunk: 64,
        healthy: false,
    };
    let (progress, _, outcome) = run(&s, None);
    let id = wire::image_id(&Sha256::digest(s.new_image()).into());
    assert!(
        matches!(
            outcome,
            BootOutcome::Reverted { image_id, attempts: 3, reset_cause: ResetCause::Fault, .. } if image_id == id
        ),
        "{outcome:?}"
    );
    assert!(matches!(progress, Progress::RolledBack { attempts: 3, .. }));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn power_cut_anywhere_in_larger_updates_never_bricks(
        old_len in 1usize..6000,
        new_len in 1usize..6000,
        chunk in 1u32..1500,
        healthy in any::<bool>(),
        at in any::<u64>(),
        tear in prop_oneof![Just(Tear::None), Just(Tear::Half), Just(Tear::Full)],
        seed in any::<u8>(),
    ) {
        let s = Scenario {
            pre: None,
            old: image(old_len.max(4), seed),
            new: image(new_len.max(4), seed.wrapping_add(1)),
            chunk,
            healthy,
        };
        prop_assume!(s.old != s.new_image());
        let (_, total, _) = run(&s, None);
        run(&s, Some((at % total, tear)));
    }
}
