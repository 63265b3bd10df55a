//! The device updater through its public API, on the simulated flash.
#![cfg(feature = "sim")]

use dfu_protocol::boot::{self, Bootloader, ImageInfo, Phase};
use dfu_protocol::flash::Layout;
use dfu_protocol::sim::{PowerCut, SimFlash, Tear, layout_for};
use dfu_protocol::updater::{Action, Updater, UpdaterConfig};
use dfu_protocol::wire::{self, Abort, Message, ResetCause, ResultCode, Swap, Target, Write};
use proptest::prelude::*;
use sha2::{Digest, Sha256};

type Flash = SimFlash<4, 256>;

fn image(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + 3) as u8).collect()
}

fn digest(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

fn setup(max: u32) -> (Flash, Layout) {
    let layout = layout_for::<4, 256>(max);
    let mut flash = Flash::new(layout.update.end() as usize);
    let factory = image(300);
    flash.factory_program(layout.active.offset as usize, &factory);
    boot::provision(
        &mut flash,
        &layout,
        ImageInfo {
            size: 300,
            digest: digest(&factory),
        },
    )
    .expect("provisioned");
    (flash, layout)
}

fn write(id: u32, offset: u32, data: &[u8]) -> Message<'_> {
    Message::Write(Write {
        image_id: id,
        offset,
        data,
        crc: true,
    })
}

fn swap(data: &[u8]) -> Message<'static> {
    let d = digest(data);
    Message::Swap(Swap {
        image_id: wire::image_id(&d),
        size: data.len() as u32,
        digest: d,
        signature: None,
    })
}

fn send_all(u: &mut Updater<Flash>, id: u32, img: &[u8], chunk: usize, from: usize) {
    let mut at = from;
    while at < img.len() {
        let end = (at + chunk).min(img.len());
        assert_eq!(
            u.handle(&write(id, at as u32, &img[at..end]))
                .expect("flash works"),
            Action::Continue
        );
        at = end;
    }
}

#[test]
fn a_complete_image_is_verified_and_the_swap_requested() {
    let (flash, layout) = setup(2000);
    let img = image(1999);
    let id = wire::image_id(&digest(&img));
    let mut u = Updater::open(flash, layout, UpdaterConfig::new()).unwrap();
    send_all(&mut u, id, &img, 97, 0);
    assert_eq!(u.status(b"v").target.unwrap().next_offset, 1999);
    assert_eq!(u.handle(&swap(&img)).unwrap(), Action::Reset);
    assert_eq!(u.boot_info().phase, Phase::SwapPending);
    // The bootloader installs it.
    let mut bl = Bootloader::new(u.into_flash(), layout).unwrap();
    let b = bl.boot(ResetCause::Software).unwrap();
    assert_eq!(
        b.image,
        ImageInfo {
            size: 1999,
            digest: digest(&img)
        }
    );
    let flash = bl.into_flash();
    let a = layout.active.offset as usize;
    assert_eq!(&flash.contents()[a..a + 1999], img.as_slice());
}

#[test]
fn duplicates_are_ignored_and_out_of_place_writes_change_nothing() {
    let (flash, layout) = setup(2000);
    let img = image(1000);
    let id = wire::image_id(&digest(&img));
    let mut u = Updater::open(flash, layout, UpdaterConfig::new()).unwrap();
    send_all(&mut u, id, &img[..500], 100, 0);
    let before = u.flash().contents().to_vec();
    let status = u.status(b"v");
    // Exact duplicate, and a chunk entirely below the next offset.
    assert_eq!(
        u.handle(&write(id, 400, &img[400..500])).unwrap(),
        Action::Continue
    );
    assert_eq!(
        u.handle(&write(id, 0, &img[0..10])).unwrap(),
        Action::Continue
    );
    // Beyond the next offset, another image in the middle, beyond the bank.
    assert_eq!(
        u.handle(&write(id, 600, &img[600..700])).unwrap(),
        Action::Refused(ResultCode::BadOffset)
    );
    assert_eq!(
        u.handle(&write(id ^ 1, 100, &img[..10])).unwrap(),
        Action::Refused(ResultCode::BadOffset)
    );
    assert_eq!(
        u.handle(&write(id, 500, &vec![0; 5000])).unwrap(),
        Action::Refused(ResultCode::NoSpace)
    );
    // A swap before the image is complete.
    assert_eq!(
        u.handle(&swap(&img)).unwrap(),
        Action::Refused(ResultCode::BadOffset)
    );
    assert_eq!(
        u.flash().contents(),
        before.as_slice(),
        "refusals touched the flash"
    );
    assert_eq!(u.status(b"v").target, status.target);
    // An overlapping chunk contributes only its new part.
    assert_eq!(
        u.handle(&write(id, 450, &img[450..650])).unwrap(),
        Action::Continue
    );
    send_all(&mut u, id, &img, 100, 650);
    assert_eq!(u.handle(&swap(&img)).unwrap(), Action::Reset);
}

#[test]
fn a_reboot_resumes_from_the_last_complete_page() {
    let (flash, layout) = setup(3000);
    let img = image(2500);
    let id = wire::image_id(&digest(&img));
    let mut u = Updater::open(flash, layout, UpdaterConfig::new()).unwrap();
    send_all(&mut u, id, &img[..1100], 90, 0);
    // Power off: RAM is lost, the flash stays.
    let u = Updater::open(u.into_flash(), layout, UpdaterConfig::new()).unwrap();
    let t = u.status(b"v").target.unwrap();
    assert_eq!((t.image_id, t.next_offset), (id, 1024));
    let mut u = u;
    send_all(&mut u, id, &img, 90, 1024);
    assert_eq!(u.handle(&swap(&img)).unwrap(), Action::Reset);
}

#[test]
fn a_power_cut_anywhere_in_a_transfer_keeps_the_last_complete_page() {
    // 23 pages: the log (16 slots per half) compacts once during the transfer.
    let img = image(6000);
    let id = wire::image_id(&digest(&img));
    let (_, layout) = setup(6000);
    let mut k = 0;
    loop {
        for tear in [Tear::None, Tear::Half, Tear::Full] {
            let (mut flash, _) = setup(6000);
            let start = flash.ops();
            flash.schedule_cut(PowerCut {
                at_op: start + k,
                tear,
            });
            let mut u = Updater::open(flash, layout, UpdaterConfig::new()).unwrap();
            let mut at = 0;
            let mut kept = None;
            while at < img.len() {
                let end = (at + 300).min(img.len());
                let before = u.next_offset();
                if u.handle(&write(id, at as u32, &img[at..end])).is_err() {
                    kept = Some(before / 256 * 256);
                    break;
                }
                at = end;
            }
            let Some(kept) = kept else {
                // The cut lies beyond the transfer: every point was covered.
                assert!(k > 40, "too few operations: {k}");
                return;
            };
            let mut flash = u.into_flash();
            flash.power_on();
            let u = Updater::open(flash, layout, UpdaterConfig::new()).unwrap();
            let t = u.status(b"v").target;
            if kept > 0 {
                let t = t.unwrap_or_else(|| panic!("cut at op {k} ({tear:?}) lost the transfer"));
                assert_eq!(t.image_id, id);
                assert!(
                    t.next_offset >= kept,
                    "cut at op {k} ({tear:?}): resumed at {} < {kept}",
                    t.next_offset
                );
            }
            // Whatever was kept is correct: finishing from there yields the image.
            let mut u = u;
            let from = u.next_offset() as usize;
            send_all(&mut u, id, &img, 300, from);
            assert_eq!(
                u.handle(&swap(&img)).unwrap(),
                Action::Reset,
                "cut at op {k} ({tear:?})"
            );
        }
        k += 1;
    }
}

#[test]
fn a_digest_mismatch_is_refused_and_the_transfer_restarts() {
    let (flash, layout) = setup(2000);
    let img = image(800);
    let mut wrong = img.clone();
    wrong[100] ^= 1;
    // The server claims the digest of `img` but sends `wrong`.
    let id = wire::image_id(&digest(&img));
    let mut u = Updater::open(flash, layout, UpdaterConfig::new()).unwrap();
    send_all(&mut u, id, &wrong, 128, 0);
    assert_eq!(
        u.handle(&swap(&img)).unwrap(),
        Action::Refused(ResultCode::IntegrityFailure)
    );
    let s = u.status(b"v");
    assert_eq!(s.last_result, ResultCode::IntegrityFailure);
    // The status names the image the failure is about, at offset 0.
    assert_eq!(
        s.target,
        Some(Target {
            image_id: id,
            next_offset: 0
        })
    );
    assert_eq!(u.boot_info().phase, Phase::Idle);
    // A clean second transfer of the same image installs.
    send_all(&mut u, id, &img, 128, 0);
    assert_eq!(u.handle(&swap(&img)).unwrap(), Action::Reset);
}

#[test]
fn an_image_failing_verification_three_times_is_refused_for_good() {
    let (flash, layout) = setup(2000);
    let img = image(800);
    let mut wrong = img.clone();
    wrong[7] ^= 0x80;
    let id = wire::image_id(&digest(&img));
    let mut u = Updater::open(flash, layout, UpdaterConfig::new()).unwrap();
    for round in 1..=dfu_protocol::updater::MAX_VERIFY_FAILURES {
        send_all(&mut u, id, &wrong, 128, 0);
        let expected = if round < dfu_protocol::updater::MAX_VERIFY_FAILURES {
            ResultCode::IntegrityFailure
        } else {
            ResultCode::UnsupportedImage
        };
        assert_eq!(u.handle(&swap(&img)).unwrap(), Action::Refused(expected));
    }
    // From now on its writes are refused and nothing is programmed.
    let w = Message::Write(Write {
        image_id: id,
        offset: 0,
        data: &img[..128],
        crc: true,
    });
    assert_eq!(
        u.handle(&w).unwrap(),
        Action::Refused(ResultCode::UnsupportedImage)
    );
    let s = u.status(b"v");
    assert_eq!(s.last_result, ResultCode::UnsupportedImage);
    assert_eq!(s.target.map(|t| (t.image_id, t.next_offset)), Some((id, 0)));
    // Another image is still welcome.
    let other = image(600);
    let other_id = wire::image_id(&digest(&other));
    send_all(&mut u, other_id, &other, 128, 0);
    assert_eq!(u.handle(&swap(&other)).unwrap(), Action::Reset);
}

#[test]
fn abort_drops_the_transfer_and_reports_the_code() {
    let (flash, layout) = setup(2000);
    let img = image(800);
    let id = wire::image_id(&digest(&img));
    let mut u = Updater::open(flash, layout, UpdaterConfig::new()).unwrap();
    send_all(&mut u, id, &img[..300], 100, 0);
    u.handle(&Message::Abort(Abort {
        image_id: id,
        code: ResultCode::Cancelled,
    }))
    .unwrap();
    let s = u.status(b"v");
    assert_eq!((s.target, s.last_result), (None, ResultCode::Cancelled));
    let u = Updater::open(u.into_flash(), layout, UpdaterConfig::new()).unwrap();
    assert_eq!(u.status(b"v").target, None);
}

#[test]
fn no_transfer_is_accepted_while_an_image_is_on_trial() {
    let (flash, layout) = setup(2000);
    let img = image(700);
    let id = wire::image_id(&digest(&img));
    let mut u = Updater::open(flash, layout, UpdaterConfig::new()).unwrap();
    send_all(&mut u, id, &img, 256, 0);
    assert_eq!(u.handle(&swap(&img)).unwrap(), Action::Reset);
    let mut bl = Bootloader::new(u.into_flash(), layout).unwrap();
    bl.boot(ResetCause::Software).unwrap();
    let mut u = Updater::open(bl.into_flash(), layout, UpdaterConfig::new()).unwrap();
    assert_eq!(u.boot_info().phase, Phase::Trial);
    let other = image(100);
    assert_eq!(
        u.handle(&write(1, 0, &other)).unwrap(),
        Action::Refused(ResultCode::Busy)
    );
    let synced = u
        .handle(&Message::Sync(wire::Sync { poll_secs: 5 }))
        .unwrap();
    assert_eq!(
        synced,
        Action::Synced {
            poll_secs: 5,
            confirm_pending: true
        }
    );
    u.confirm().unwrap();
    assert_eq!(u.boot_info().phase, Phase::Idle);
    assert_eq!(u.handle(&write(1, 0, &other)).unwrap(), Action::Continue);
}

#[cfg(feature = "ed25519")]
#[test]
fn with_a_key_only_correctly_signed_images_are_installed() {
    use ed25519_dalek::{Signer, SigningKey};
    let key = SigningKey::from_bytes(&[7; 32]);
    let (flash, layout) = setup(2000);
    let img = image(600);
    let d = digest(&img);
    let id = wire::image_id(&d);
    let mut cfg = UpdaterConfig::new();
    cfg.verifying_key(key.verifying_key().to_bytes());
    let mut u = Updater::open(flash, layout, cfg).unwrap();
    let good = key.sign(&d).to_bytes();
    let mut bad = good;
    bad[0] ^= 1;
    for (sig, expected) in [
        (None, Action::Refused(ResultCode::SignatureInvalid)),
        (Some(&bad), Action::Refused(ResultCode::SignatureInvalid)),
        (Some(&good), Action::Reset),
    ] {
        send_all(&mut u, id, &img, 200, 0);
        let m = Message::Swap(Swap {
            image_id: id,
            size: 600,
            digest: d,
            signature: sig,
        });
        assert_eq!(u.handle(&m).unwrap(), expected);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Whatever order, duplication and chunking the writes arrive in, the
    /// updater accepts exactly the in-place ones and the image comes out right.
    #[test]
    fn any_write_sequence_yields_the_image_or_a_refusal(
        len in 1usize..3000,
        writes in proptest::collection::vec((any::<u16>(), 1usize..400), 1..120),
    ) {
        let (flash, layout) = setup(3000);
        let img = image(len);
        let id = wire::image_id(&digest(&img));
        let mut u = Updater::open(flash, layout, UpdaterConfig::new()).unwrap();
        for (off, n) in writes {
            let off = usize::from(off) % len;
            let end = (off + n).min(len);
            let before = u.next_offset();
            let a = u.handle(&write(id, off as u32, &img[off..end])).unwrap();
            let after = u.next_offset();
            match a {
                Action::Continue => prop_assert!(off as u32 <= before && after == before.max(end as u32)),
                Action::Refused(ResultCode::BadOffset) => prop_assert!(off as u32 > before && after == before),
                other => prop_assert!(false, "{other:?}"),
            }
        }
        let next = u.next_offset() as usize;
        send_all(&mut u, id, &img, 333, next);
        prop_assert_eq!(u.handle(&swap(&img)).unwrap(), Action::Reset);
    }
}
