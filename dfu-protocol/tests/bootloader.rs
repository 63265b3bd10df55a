//! Bootloader logic through its public API: trial attempts (N configurable),
//! confirm, reject, automatic rollback, diagnostics, torn state records.
#![cfg(feature = "sim")]

use dfu_protocol::boot::{self, BootError, Bootloader, ImageInfo, Phase};
use dfu_protocol::flash::Layout;
use dfu_protocol::sim::{PowerCut, SimFlash, Tear, layout_for};
use dfu_protocol::wire::{self, BootOutcome, ResetCause, RevertReason};
use embedded_storage::nor_flash::NorFlash;
use sha2::{Digest, Sha256};

type Flash = SimFlash<4, 256>;

fn info(data: &[u8]) -> ImageInfo {
    ImageInfo {
        size: data.len() as u32,
        digest: Sha256::digest(data).into(),
    }
}

/// A device running `old` with `new` verified in the update bank and the swap requested.
fn pending(old: &[u8], new: &[u8], attempts: u8) -> (Flash, Layout) {
    let layout = layout_for::<4, 256>(2048);
    let mut flash = Flash::new(layout.update.end() as usize);
    flash.factory_program(layout.active.offset as usize, old);
    boot::provision(&mut flash, &layout, info(old)).expect("provisioned");
    flash.factory_program(layout.update.offset as usize, new);
    boot::request_swap(&mut flash, &layout, info(new), attempts).expect("requested");
    (flash, layout)
}

fn active(flash: &Flash, layout: &Layout, len: usize) -> Vec<u8> {
    let a = layout.active.offset as usize;
    flash.contents()[a..a + len].to_vec()
}

fn boot(flash: Flash, layout: Layout, cause: ResetCause) -> (Flash, boot::Boot) {
    let mut bl = Bootloader::new(flash, layout).expect("layout fits");
    let b = bl.boot(cause).expect("boots");
    (bl.into_flash(), b)
}

#[test]
fn an_unconfirmed_image_gets_exactly_n_boots_then_rolls_back() {
    let old = vec![0x11; 700];
    let new = vec![0x22; 900];
    for n in [1u8, 2, 5] {
        let (mut flash, layout) = pending(&old, &new, n);
        for attempt in 1..=n {
            let (f, b) = boot(flash, layout, ResetCause::Watchdog);
            flash = f;
            assert_eq!(b.phase, Phase::Trial);
            assert_eq!(
                b.outcome,
                BootOutcome::Trial {
                    image_id: info(&new).id(),
                    attempt
                }
            );
            assert_eq!(active(&flash, &layout, 900), new);
            assert_eq!(
                boot::attempt_reset_cause(&mut flash, &layout, attempt).unwrap(),
                Some(ResetCause::Watchdog)
            );
        }
        let (mut flash, b) = boot(flash, layout, ResetCause::Fault);
        assert_eq!(b.phase, Phase::Idle);
        assert_eq!(b.image, info(&old));
        assert_eq!(active(&flash, &layout, 700), old);
        let expected = BootOutcome::Reverted {
            image_id: info(&new).id(),
            reason: RevertReason::NotConfirmed,
            reset_cause: ResetCause::Fault,
            attempts: n,
        };
        assert_eq!(b.outcome, expected);
        // The application reads the same diagnostics.
        assert_eq!(
            boot::read_info(&mut flash, &layout).unwrap().outcome,
            expected
        );
        // They survive further boots.
        let (_, b) = boot(flash, layout, ResetCause::PowerOn);
        assert_eq!(b.outcome, expected);
    }
}

#[test]
fn a_confirmed_image_stays() {
    let old = vec![0x11; 300];
    let new = vec![0x33; 500];
    let (flash, layout) = pending(&old, &new, 2);
    let (mut flash, _) = boot(flash, layout, ResetCause::Software);
    boot::confirm(&mut flash, &layout).unwrap();
    for _ in 0..4 {
        let (f, b) = boot(flash, layout, ResetCause::Watchdog);
        flash = f;
        assert_eq!((b.phase, b.image), (Phase::Idle, info(&new)));
        assert_eq!(
            b.outcome,
            BootOutcome::Confirmed {
                image_id: info(&new).id()
            }
        );
    }
    assert_eq!(active(&flash, &layout, 500), new);
}

#[test]
fn a_rejected_image_rolls_back_at_the_next_boot_with_the_reason() {
    let old = vec![0x11; 600];
    let new = vec![0x44; 256];
    let (flash, layout) = pending(&old, &new, 3);
    let (mut flash, _) = boot(flash, layout, ResetCause::Software);
    boot::reject(&mut flash, &layout, RevertReason::HealthCheckFailed).unwrap();
    let (flash, b) = boot(flash, layout, ResetCause::Software);
    assert_eq!(active(&flash, &layout, 600), old);
    assert!(matches!(
        b.outcome,
        BootOutcome::Reverted {
            reason: RevertReason::HealthCheckFailed,
            attempts: 1,
            ..
        }
    ));
}

#[test]
fn a_corrupted_candidate_is_never_swapped_in() {
    let old = vec![0x11; 600];
    let new = vec![0x55; 700];
    let (mut flash, layout) = pending(&old, &new, 3);
    // Corrupt the update bank behind the updater's back.
    let u = layout.update.offset as usize;
    let mut bad = new.clone();
    bad[10] = 0;
    flash
        .erase(layout.update.offset, layout.update.offset + 256 * 3)
        .unwrap();
    flash.factory_program(u, &bad);
    let (flash, b) = boot(flash, layout, ResetCause::Software);
    assert_eq!(active(&flash, &layout, 600), old);
    assert_eq!(b.phase, Phase::Idle);
    assert!(matches!(
        b.outcome,
        BootOutcome::Reverted {
            reason: RevertReason::VerificationFailed,
            ..
        }
    ));
}

#[test]
fn a_torn_state_write_leaves_the_previous_state_in_charge() {
    let old = vec![0x11; 300];
    let new = vec![0x66; 300];
    let (flash, layout) = pending(&old, &new, 3);
    let (mut flash, _) = boot(flash, layout, ResetCause::Software);
    // Tear the confirm: erase of the spare copy lands, the record program is cut half-way.
    let ops = flash.ops();
    let erase_pages = u64::from(layout.boot_state.size / 2 / 256);
    flash.schedule_cut(PowerCut {
        at_op: ops + erase_pages,
        tear: Tear::Half,
    });
    assert_eq!(boot::confirm(&mut flash, &layout), Err(BootError::Flash));
    flash.power_on();
    let i = boot::read_info(&mut flash, &layout).unwrap();
    assert_eq!(
        (i.phase, i.outcome),
        (
            Phase::Trial,
            BootOutcome::Trial {
                image_id: wire::image_id(&info(&new).digest),
                attempt: 1
            }
        )
    );
    // The next boot is simply the second attempt, and confirming then works.
    let (mut flash, b) = boot(flash, layout, ResetCause::PowerOn);
    assert_eq!(
        b.outcome,
        BootOutcome::Trial {
            image_id: info(&new).id(),
            attempt: 2
        }
    );
    boot::confirm(&mut flash, &layout).unwrap();
    assert_eq!(
        boot::read_info(&mut flash, &layout).unwrap().phase,
        Phase::Idle
    );
}

#[test]
fn requests_are_validated() {
    let old = vec![0x11; 300];
    let new = vec![0x77; 300];
    let (mut flash, layout) = pending(&old, &new, 3);
    assert_eq!(
        boot::request_swap(&mut flash, &layout, info(&new), 3),
        Err(BootError::NotIdle)
    );
    let layout2 = layout_for::<4, 256>(2048);
    let mut fresh = Flash::new(layout2.update.end() as usize);
    assert_eq!(
        boot::request_swap(&mut fresh, &layout2, info(&new), 0),
        Err(BootError::BadAttempts)
    );
    let huge = ImageInfo {
        size: layout2.active.size + 1,
        digest: [0; 32],
    };
    assert_eq!(
        boot::request_swap(&mut fresh, &layout2, huge, 3),
        Err(BootError::BadImageSize)
    );
    let mut bad = layout2;
    bad.update.size = bad.active.size;
    assert!(Bootloader::new(Flash::new(bad.update.end() as usize), bad).is_err());
}
