//! The bootloader state record: two copies, sequence numbers, CRC-32, and
//! append-only progress marks after each copy.
//!
//! A new record always goes to the copy that does not hold the current one:
//! that copy is erased, then the 128-byte record is programmed in one write.
//! A torn erase or write leaves a copy whose magic or CRC fails, so the
//! other copy (the previous state) stays in charge. Marks are single write
//! units programmed from erased, never rewritten; any non-erased mark counts
//! as set, which is always the safe reading (a mark is written only after
//! the step it records has completed, and an attempt mark before the
//! attempt starts).

use super::BootError;
use crate::flash::layout_sizes::{erase_size, write_size};
use crate::flash::{Flash, Layout, is_erased, program, read_exact};
use crate::wire::{BootOutcome, Digest};

/// Bytes of one record, a multiple of every supported write size.
pub(crate) const RECORD_LEN: u32 = 128;
const MAGIC: [u8; 4] = *b"DFUS";
static CRC32: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);

/// One image as the bootloader knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ImageInfo {
    /// Size in bytes.
    pub size: u32,
    /// SHA-256 of those bytes.
    pub digest: Digest,
}

impl ImageInfo {
    /// The protocol's image id for this image.
    pub fn id(&self) -> u32 {
        crate::wire::image_id(&self.digest)
    }
}

/// What the bootloader will do at the next boot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Boot the active image; it is confirmed (or predates any update).
    Idle,
    /// A verified image waits in the update bank; swap it in at next boot.
    SwapPending,
    /// The new image is active and on trial.
    Trial,
    /// Roll back to the previous image at next boot.
    Reverting,
}

impl Phase {
    fn to_u8(self) -> u8 {
        match self {
            Self::Idle => 1,
            Self::SwapPending => 2,
            Self::Trial => 3,
            Self::Reverting => 4,
        }
    }

    fn from_u8(v: u8) -> Option<Self> {
        Some(match v {
            1 => Self::Idle,
            2 => Self::SwapPending,
            3 => Self::Trial,
            4 => Self::Reverting,
            _ => return None,
        })
    }
}

/// The decoded record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Record {
    pub(crate) seq: u32,
    pub(crate) phase: Phase,
    pub(crate) max_attempts: u8,
    pub(crate) outcome: BootOutcome,
    /// The image in the active bank (after the swap of this record's phase, for Trial).
    pub(crate) active: ImageInfo,
    /// The other image: the candidate (SwapPending) or the previous one (Trial, Reverting).
    pub(crate) other: ImageInfo,
    /// Pages moved by the swap or revert of this record.
    pub(crate) pages: u32,
}

impl Record {
    fn encode(&self) -> [u8; RECORD_LEN as usize] {
        let mut b = [0u8; RECORD_LEN as usize];
        b[0..4].copy_from_slice(&MAGIC);
        b[4..8].copy_from_slice(&self.seq.to_le_bytes());
        b[8] = self.phase.to_u8();
        b[9] = self.max_attempts;
        b[12..20].copy_from_slice(&self.outcome.to_bytes());
        b[20..24].copy_from_slice(&self.active.size.to_le_bytes());
        b[24..56].copy_from_slice(&self.active.digest);
        b[56..60].copy_from_slice(&self.other.size.to_le_bytes());
        b[60..92].copy_from_slice(&self.other.digest);
        b[92..96].copy_from_slice(&self.pages.to_le_bytes());
        let crc = CRC32.checksum(&b[..124]);
        b[124..128].copy_from_slice(&crc.to_le_bytes());
        b
    }

    fn decode(b: &[u8; RECORD_LEN as usize]) -> Option<Self> {
        let u32_at = |i: usize| -> Option<u32> {
            Some(u32::from_le_bytes(b.get(i..i + 4)?.try_into().ok()?))
        };
        let digest_at = |i: usize| -> Option<Digest> { b.get(i..i + 32)?.try_into().ok() };
        if b.get(0..4)? != MAGIC || CRC32.checksum(b.get(..124)?) != u32_at(124)? {
            return None;
        }
        Some(Self {
            seq: u32_at(4)?,
            phase: Phase::from_u8(*b.get(8)?)?,
            max_attempts: *b.get(9)?,
            outcome: BootOutcome::from_bytes(b.get(12..20)?.try_into().ok()?),
            active: ImageInfo {
                size: u32_at(20)?,
                digest: digest_at(24)?,
            },
            other: ImageInfo {
                size: u32_at(56)?,
                digest: digest_at(60)?,
            },
            pages: u32_at(92)?,
        })
    }
}

/// The current record and which copy holds it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Current {
    pub(crate) record: Record,
    pub(crate) copy: u32,
}

fn copy_base(layout: &Layout, copy: u32) -> u32 {
    layout.boot_state.offset + copy * (layout.boot_state.size / 2)
}

/// How many marks fit after a record in one copy.
pub(crate) fn mark_capacity<F: Flash>(flash: &F, layout: &Layout) -> u32 {
    (layout.boot_state.size / 2).saturating_sub(RECORD_LEN) / write_size(flash)
}

/// Reads both copies and returns the valid one with the higher sequence number.
pub(crate) fn read_current<F: Flash>(
    flash: &mut F,
    layout: &Layout,
) -> Result<Option<Current>, BootError> {
    let mut best: Option<Current> = None;
    for copy in 0..2 {
        let mut b = [0u8; RECORD_LEN as usize];
        read_exact(flash, copy_base(layout, copy), &mut b).map_err(|_| BootError::Flash)?;
        if let Some(record) = Record::decode(&b)
            && best.is_none_or(|c| record.seq > c.record.seq)
        {
            best = Some(Current { record, copy });
        }
    }
    Ok(best)
}

/// Writes `record` (its `seq` is set here) into the copy not holding `current`.
pub(crate) fn write_next<F: Flash>(
    flash: &mut F,
    layout: &Layout,
    current: Option<&Current>,
    mut record: Record,
) -> Result<Current, BootError> {
    let (copy, seq) = match current {
        Some(c) => (1 - c.copy, c.record.seq.wrapping_add(1)),
        None => (0, 1),
    };
    record.seq = seq;
    let base = copy_base(layout, copy);
    let half = layout.boot_state.size / 2;
    debug_assert!(half.is_multiple_of(erase_size(flash)));
    flash
        .erase(base, base + half)
        .map_err(|_| BootError::Flash)?;
    program(flash, base, &record.encode()).map_err(|_| BootError::Flash)?;
    Ok(Current { record, copy })
}

fn mark_offset<F: Flash>(flash: &F, layout: &Layout, copy: u32, index: u32) -> u32 {
    copy_base(layout, copy) + RECORD_LEN + index * write_size(flash)
}

/// The number of consecutive set marks of the current copy, up to `limit`.
pub(crate) fn count_marks<F: Flash>(
    flash: &mut F,
    layout: &Layout,
    current: &Current,
    limit: u32,
) -> Result<u32, BootError> {
    let mut unit = [0u8; crate::flash::MAX_WRITE_SIZE];
    let unit = unit.get_mut(..flash.write_size()).ok_or(BootError::Flash)?;
    for i in 0..limit.min(mark_capacity(flash, layout)) {
        read_exact(flash, mark_offset(flash, layout, current.copy, i), unit)
            .map_err(|_| BootError::Flash)?;
        if is_erased(unit) {
            return Ok(i);
        }
    }
    Ok(limit)
}

/// The first byte of mark `index` (the reset cause for attempt marks).
pub(crate) fn mark_value<F: Flash>(
    flash: &mut F,
    layout: &Layout,
    current: &Current,
    index: u32,
) -> Result<u8, BootError> {
    let mut unit = [0u8; crate::flash::MAX_WRITE_SIZE];
    let unit = unit.get_mut(..flash.write_size()).ok_or(BootError::Flash)?;
    read_exact(flash, mark_offset(flash, layout, current.copy, index), unit)
        .map_err(|_| BootError::Flash)?;
    Ok(unit.first().copied().unwrap_or(0))
}

/// Sets mark `index` of the current copy; `value` goes in its first byte.
pub(crate) fn set_mark<F: Flash>(
    flash: &mut F,
    layout: &Layout,
    current: &Current,
    index: u32,
    value: u8,
) -> Result<(), BootError> {
    if index >= mark_capacity(flash, layout) {
        return Err(BootError::StateAreaTooSmall);
    }
    let mut unit = [0u8; crate::flash::MAX_WRITE_SIZE];
    let unit = unit.get_mut(..flash.write_size()).ok_or(BootError::Flash)?;
    // 0xFF would read as erased; the mark must not.
    if let Some(first) = unit.first_mut() {
        *first = if value == 0xFF { 0 } else { value };
    }
    program(flash, mark_offset(flash, layout, current.copy, index), unit)
        .map_err(|_| BootError::Flash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_any_flipped_byte_invalidates() {
        let r = Record {
            seq: 7,
            phase: Phase::Trial,
            max_attempts: 3,
            outcome: BootOutcome::Trial {
                image_id: 9,
                attempt: 1,
            },
            active: ImageInfo {
                size: 100,
                digest: [1; 32],
            },
            other: ImageInfo {
                size: 90,
                digest: [2; 32],
            },
            pages: 2,
        };
        let b = r.encode();
        assert_eq!(Record::decode(&b), Some(r));
        for i in 0..b.len() {
            let mut bad = b;
            bad[i] ^= 0x10;
            assert_eq!(Record::decode(&bad), None, "byte {i}");
        }
        assert_eq!(Record::decode(&[0xFF; 128]), None);
    }
}
