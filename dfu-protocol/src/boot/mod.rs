//! Bootloader logic over any [`Flash`]: A/B banks, a power-safe state record,
//! bounded trial boots, confirm, automatic rollback and diagnostics.
//!
//! The bootloader calls [`Bootloader::boot`] once per reset and then jumps
//! to the active bank. The application uses [`read_info`], [`confirm`],
//! [`reject`] and [`request_swap`] (the [`Updater`](crate::updater::Updater)
//! calls the last one for it).
//!
//! # Swap and rollback
//!
//! The update bank is one erase page larger than the active bank. A swap
//! moves page by page, from the last page down: active page *i* goes to
//! update page *i + 1*, then update page *i* goes to active page *i*. The
//! old image then sits in the update bank shifted by one page, and a
//! rollback runs the same moves forwards in reverse roles. Each page copy is
//! followed by one progress mark; a copy interrupted by a power cut is
//! redone whole, which is safe because its source is overwritten only by a
//! later step.
//!
//! # States
//!
//! | Phase | At boot |
//! | --- | --- |
//! | Idle | boot the active image |
//! | SwapPending | verify the candidate (if the swap has not started), swap, verify the result, enter Trial |
//! | Trial | if fewer than N attempt marks: add one (holding the reset cause) and boot; else enter Reverting with diagnostics |
//! | Reverting | finish the rollback, enter Idle keeping the diagnostics |

mod engine;
mod record;

use crate::flash::{Flash, Layout, sha256_of};
use crate::wire::{BootOutcome, ResetCause, RevertReason};
use record::{
    Current, Record, count_marks, mark_capacity, mark_value, read_current, set_mark, write_next,
};

pub use record::{ImageInfo, Phase};

/// Marks every state copy must hold at least, so that a few boot attempts always fit.
const MIN_MARKS: u32 = 8;

/// Default number of boots a new image gets before it is rolled back.
pub const DEFAULT_MAX_ATTEMPTS: u8 = 3;

/// Errors of the bootloader and of the application-side state calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum BootError {
    /// A flash operation failed (on the simulator: the power was cut).
    #[error("flash operation failed")]
    Flash,
    /// The layout does not fit the flash (see [`Layout::validate`]).
    #[error("invalid flash layout")]
    InvalidLayout,
    /// The state area cannot hold the marks a full swap or the attempts need.
    #[error("boot state area too small for its marks")]
    StateAreaTooSmall,
    /// An update was requested while another is pending or on trial.
    #[error("an update is already pending or on trial")]
    NotIdle,
    /// The image is larger than the active bank or empty.
    #[error("image size does not fit the active bank")]
    BadImageSize,
    /// `max_attempts` must be at least 1 and fit the state area's marks.
    #[error("max attempts out of range")]
    BadAttempts,
}

/// What the application can learn about the boot state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BootInfo {
    /// The current phase.
    pub phase: Phase,
    /// The image in the active bank, as recorded.
    pub active: ImageInfo,
    /// What to report upstream: confirmed, on trial (with attempt), reverted (with diagnostics).
    pub outcome: BootOutcome,
}

/// The result of one boot decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Boot {
    /// The image to start (always the active bank).
    pub image: ImageInfo,
    /// The phase after this boot (Idle or Trial).
    pub phase: Phase,
    /// The outcome the application will report.
    pub outcome: BootOutcome,
}

fn check_layout<F: Flash>(flash: &F, layout: &Layout) -> Result<(), BootError> {
    layout
        .validate(flash)
        .map_err(|_| BootError::InvalidLayout)?;
    let pages = layout.active_pages(flash);
    if mark_capacity(flash, layout) < (2 * pages).max(MIN_MARKS) {
        return Err(BootError::StateAreaTooSmall);
    }
    Ok(())
}

/// The bootloader's decision logic.
#[derive(Debug)]
pub struct Bootloader<F> {
    flash: F,
    layout: Layout,
}

impl<F: Flash> Bootloader<F> {
    /// Checks the layout, including room for 2 × active pages of progress
    /// marks (and at least 8) in each state copy.
    pub fn new(flash: F, layout: Layout) -> Result<Self, BootError> {
        check_layout(&flash, &layout)?;
        Ok(Self { flash, layout })
    }

    /// Gives the flash back.
    pub fn into_flash(self) -> F {
        self.flash
    }

    /// Runs the state machine for one reset and says what to boot.
    ///
    /// Every flash change it makes is resumable: if power fails inside
    /// this call, the next call continues from where the marks say. An
    /// `Err` means the flash itself failed; a bootloader should then start
    /// the active bank anyway and let the next reset retry.
    pub fn boot(&mut self, reset_cause: ResetCause) -> Result<Boot, BootError> {
        let (f, l) = (&mut self.flash, &self.layout);
        let Some(mut cur) = read_current(f, l)? else {
            // Never provisioned: there is only the active image.
            return Ok(Boot {
                image: ImageInfo::default(),
                phase: Phase::Idle,
                outcome: BootOutcome::None,
            });
        };
        loop {
            let r = cur.record;
            match r.phase {
                Phase::Idle => {
                    return Ok(Boot {
                        image: r.active,
                        phase: Phase::Idle,
                        outcome: r.outcome,
                    });
                }
                Phase::SwapPending => {
                    let done = count_marks(f, l, &cur, 2 * r.pages)?;
                    if done == 0 {
                        let update = l.update.offset;
                        let ok = sha256_of(f, update, r.other.size)
                            .map_err(|_| BootError::Flash)?
                            == r.other.digest;
                        if !ok {
                            let outcome =
                                reverted(r.other, RevertReason::VerificationFailed, reset_cause, 0);
                            cur = write_next(
                                f,
                                l,
                                Some(&cur),
                                Record {
                                    phase: Phase::Idle,
                                    outcome,
                                    ..r
                                },
                            )?;
                            continue;
                        }
                    }
                    engine::swap(f, l, &cur, done)?;
                    let installed = sha256_of(f, l.active.offset, r.other.size)
                        .map_err(|_| BootError::Flash)?
                        == r.other.digest;
                    let next = Record {
                        phase: if installed {
                            Phase::Trial
                        } else {
                            Phase::Reverting
                        },
                        active: r.other,
                        other: r.active,
                        outcome: if installed {
                            BootOutcome::Trial {
                                image_id: r.other.id(),
                                attempt: 0,
                            }
                        } else {
                            reverted(r.other, RevertReason::VerificationFailed, reset_cause, 0)
                        },
                        ..r
                    };
                    cur = write_next(f, l, Some(&cur), next)?;
                }
                Phase::Trial => {
                    let attempts = count_marks(f, l, &cur, u32::from(r.max_attempts))?;
                    if attempts < u32::from(r.max_attempts) {
                        set_mark(f, l, &cur, attempts, reset_cause.to_u8())?;
                        let attempt = u8::try_from(attempts + 1).unwrap_or(u8::MAX);
                        return Ok(Boot {
                            image: r.active,
                            phase: Phase::Trial,
                            outcome: BootOutcome::Trial {
                                image_id: r.active.id(),
                                attempt,
                            },
                        });
                    }
                    let outcome = reverted(
                        r.active,
                        RevertReason::NotConfirmed,
                        reset_cause,
                        r.max_attempts,
                    );
                    cur = write_next(
                        f,
                        l,
                        Some(&cur),
                        Record {
                            phase: Phase::Reverting,
                            outcome,
                            ..r
                        },
                    )?;
                }
                Phase::Reverting => {
                    let done = count_marks(f, l, &cur, 2 * r.pages)?;
                    engine::revert(f, l, &cur, done)?;
                    let next = Record {
                        phase: Phase::Idle,
                        active: r.other,
                        other: r.active,
                        ..r
                    };
                    cur = write_next(f, l, Some(&cur), next)?;
                }
            }
        }
    }
}

fn reverted(
    image: ImageInfo,
    reason: RevertReason,
    reset_cause: ResetCause,
    attempts: u8,
) -> BootOutcome {
    BootOutcome::Reverted {
        image_id: image.id(),
        reason,
        reset_cause,
        attempts,
    }
}

fn current<F: Flash>(flash: &mut F, layout: &Layout) -> Result<Current, BootError> {
    read_current(flash, layout)?.ok_or(BootError::NotIdle)
}

/// Writes the first state record: `active` is the factory image, confirmed.
///
/// Does nothing if a valid record exists already.
pub fn provision<F: Flash>(
    flash: &mut F,
    layout: &Layout,
    active: ImageInfo,
) -> Result<(), BootError> {
    check_layout(flash, layout)?;
    if active.size > layout.active.size {
        return Err(BootError::BadImageSize);
    }
    if read_current(flash, layout)?.is_some() {
        return Ok(());
    }
    let record = Record {
        seq: 0,
        phase: Phase::Idle,
        max_attempts: DEFAULT_MAX_ATTEMPTS,
        outcome: BootOutcome::None,
        active,
        other: ImageInfo::default(),
        pages: 0,
    };
    write_next(flash, layout, None, record).map(|_| ())
}

/// The boot state as the application should report it.
pub fn read_info<F: Flash>(flash: &mut F, layout: &Layout) -> Result<BootInfo, BootError> {
    let Some(cur) = read_current(flash, layout)? else {
        return Ok(BootInfo {
            phase: Phase::Idle,
            active: ImageInfo::default(),
            outcome: BootOutcome::None,
        });
    };
    let r = cur.record;
    let outcome = match r.phase {
        Phase::Trial => {
            let n = count_marks(flash, layout, &cur, u32::from(r.max_attempts))?;
            BootOutcome::Trial {
                image_id: r.active.id(),
                attempt: u8::try_from(n).unwrap_or(u8::MAX),
            }
        }
        _ => r.outcome,
    };
    Ok(BootInfo {
        phase: r.phase,
        active: r.active,
        outcome,
    })
}

/// The reset cause recorded with trial attempt `attempt` (1-based), if any.
pub fn attempt_reset_cause<F: Flash>(
    flash: &mut F,
    layout: &Layout,
    attempt: u8,
) -> Result<Option<ResetCause>, BootError> {
    let cur = current(flash, layout)?;
    if cur.record.phase != Phase::Trial || attempt == 0 {
        return Ok(None);
    }
    let n = count_marks(flash, layout, &cur, u32::from(cur.record.max_attempts))?;
    if u32::from(attempt) > n {
        return Ok(None);
    }
    mark_value(flash, layout, &cur, u32::from(attempt) - 1).map(|v| Some(ResetCause::from_u8(v)))
}

/// Confirms the image on trial after the application's health check passed.
/// A no-op when nothing is on trial.
pub fn confirm<F: Flash>(flash: &mut F, layout: &Layout) -> Result<(), BootError> {
    let cur = current(flash, layout)?;
    let r = cur.record;
    if r.phase != Phase::Trial {
        return Ok(());
    }
    let outcome = BootOutcome::Confirmed {
        image_id: r.active.id(),
    };
    write_next(
        flash,
        layout,
        Some(&cur),
        Record {
            phase: Phase::Idle,
            outcome,
            ..r
        },
    )
    .map(|_| ())
}

/// Gives up on the image on trial: the next boot rolls back. The caller
/// should reset afterwards. A no-op when nothing is on trial.
pub fn reject<F: Flash>(
    flash: &mut F,
    layout: &Layout,
    reason: RevertReason,
) -> Result<(), BootError> {
    let cur = current(flash, layout)?;
    let r = cur.record;
    if r.phase != Phase::Trial {
        return Ok(());
    }
    let attempts = count_marks(flash, layout, &cur, u32::from(r.max_attempts))?;
    let outcome = reverted(
        r.active,
        reason,
        ResetCause::Software,
        u8::try_from(attempts).unwrap_or(u8::MAX),
    );
    write_next(
        flash,
        layout,
        Some(&cur),
        Record {
            phase: Phase::Reverting,
            outcome,
            ..r
        },
    )
    .map(|_| ())
}

/// Asks the bootloader to install `image` from the update bank at the next
/// boot, giving it `max_attempts` boots to confirm itself.
///
/// The caller has verified the image; the bootloader verifies it again
/// before it moves anything.
pub fn request_swap<F: Flash>(
    flash: &mut F,
    layout: &Layout,
    image: ImageInfo,
    max_attempts: u8,
) -> Result<(), BootError> {
    if max_attempts == 0 || u32::from(max_attempts) > mark_capacity(flash, layout) {
        return Err(BootError::BadAttempts);
    }
    if image.size == 0 || image.size > layout.active.size {
        return Err(BootError::BadImageSize);
    }
    let cur = read_current(flash, layout)?;
    let (active, prev_outcome) = match &cur {
        Some(c) if c.record.phase != Phase::Idle => return Err(BootError::NotIdle),
        Some(c) => (c.record.active, c.record.outcome),
        None => (ImageInfo::default(), BootOutcome::None),
    };
    let e = crate::flash::layout_sizes::erase_size(flash);
    let all = layout.active_pages(flash);
    let pages = if active.size == 0 {
        all
    } else {
        image.size.max(active.size).div_ceil(e).min(all)
    };
    let record = Record {
        seq: 0,
        phase: Phase::SwapPending,
        max_attempts,
        outcome: prev_outcome,
        active,
        other: image,
        pages,
    };
    write_next(flash, layout, cur.as_ref(), record).map(|_| ())
}
