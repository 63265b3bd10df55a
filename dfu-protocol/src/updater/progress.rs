//! The updater's resume log: append-only (image id, next offset) records.
//!
//! Each record is programmed once into an erased slot and carries a
//! sequence number and a CRC-32, so a torn append is simply not found and
//! the previous record holds. The area is used as two halves when it spans
//! at least two erase pages: when the current half is full, the other half
//! is erased and the log continues there, so the newest record of the full
//! half stays readable until the new half holds a newer one. With a single
//! page the area is erased in place, and a power cut in that window loses
//! the resume point (the transfer restarts at offset 0), never the
//! correctness of what is resumed.

use super::UpdaterError;
use crate::flash::layout_sizes::{erase_size, write_size};
use crate::flash::{Flash, Layout, MAX_WRITE_SIZE, is_erased, program, read_exact};

const MAGIC: u8 = b'P';
static CRC32: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);

/// A resume point: pages below `next` of image `image_id` are complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Resume {
    pub(crate) image_id: u32,
    pub(crate) next: u32,
}

#[derive(Debug)]
pub(crate) struct ProgressLog {
    half: u32,
    next_slot: u32,
    seq: u16,
}

fn slot_len<F: Flash>(flash: &F) -> u32 {
    16u32.max(write_size(flash))
}

/// Halves of the area (1 when it is a single erase page) and slots per half.
fn geometry<F: Flash>(flash: &F, layout: &Layout) -> (u32, u32, u32) {
    let halves = if layout.progress.size >= 2 * erase_size(flash) {
        2
    } else {
        1
    };
    let half_size = layout.progress.size / halves;
    (halves, half_size, half_size / slot_len(flash))
}

fn encode(seq: u16, r: Option<Resume>) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[0] = MAGIC;
    b[1] = u8::from(r.is_none());
    b[2..4].copy_from_slice(&seq.to_le_bytes());
    let r = r.unwrap_or(Resume {
        image_id: 0,
        next: 0,
    });
    b[4..8].copy_from_slice(&r.image_id.to_le_bytes());
    b[8..12].copy_from_slice(&r.next.to_le_bytes());
    let crc = CRC32.checksum(&b[..12]);
    b[12..].copy_from_slice(&crc.to_le_bytes());
    b
}

fn decode(b: &[u8]) -> Option<(u16, Option<Resume>)> {
    let word =
        |i: usize| -> Option<u32> { Some(u32::from_le_bytes(b.get(i..i + 4)?.try_into().ok()?)) };
    if *b.first()? != MAGIC || CRC32.checksum(b.get(..12)?) != word(12)? {
        return None;
    }
    let seq = u16::from_le_bytes(b.get(2..4)?.try_into().ok()?);
    let r = if *b.get(1)? != 0 {
        None
    } else {
        Some(Resume {
            image_id: word(4)?,
            next: word(8)?,
        })
    };
    Some((seq, r))
}

/// Whether sequence number `a` is newer than `b` (wrapping).
fn newer(a: u16, b: u16) -> bool {
    a != b && a.wrapping_sub(b) < 0x8000
}

impl ProgressLog {
    /// Scans the log; returns it with the newest valid resume point.
    pub(crate) fn load<F: Flash>(
        flash: &mut F,
        layout: &Layout,
    ) -> Result<(Self, Option<Resume>), UpdaterError> {
        let slot = slot_len(flash);
        let (halves, half_size, slots) = geometry(flash, layout);
        let mut buf = [0u8; MAX_WRITE_SIZE];
        let buf = buf
            .get_mut(..slot as usize)
            .ok_or(UpdaterError::InvalidLayout)?;
        // (seq, record, half, first free slot of that half)
        let mut best: Option<(u16, Option<Resume>, u32, u32)> = None;
        let mut free = [slots; 2];
        for half in 0..halves {
            let base = layout.progress.offset + half * half_size;
            let mut newest_here: Option<(u16, Option<Resume>)> = None;
            for i in 0..slots {
                read_exact(flash, base + i * slot, buf).map_err(|_| UpdaterError::Flash)?;
                if is_erased(buf) {
                    if let Some(f) = free.get_mut(half as usize) {
                        *f = i;
                    }
                    break;
                }
                if let Some((seq, r)) = decode(buf)
                    && newest_here.is_none_or(|(s, _)| newer(seq, s))
                {
                    newest_here = Some((seq, r));
                }
            }
            if let Some((seq, r)) = newest_here
                && best.is_none_or(|(s, ..)| newer(seq, s))
            {
                best = Some((
                    seq,
                    r,
                    half,
                    free.get(half as usize).copied().unwrap_or(slots),
                ));
            }
        }
        Ok(match best {
            Some((seq, r, half, next_slot)) => (
                Self {
                    half,
                    next_slot,
                    seq,
                },
                r,
            ),
            None => (
                Self {
                    half: 0,
                    next_slot: free[0],
                    seq: 0,
                },
                None,
            ),
        })
    }

    /// Appends a resume point (or "no transfer" for `None`).
    pub(crate) fn append<F: Flash>(
        &mut self,
        flash: &mut F,
        layout: &Layout,
        r: Option<Resume>,
    ) -> Result<(), UpdaterError> {
        let slot = slot_len(flash);
        let (halves, half_size, slots) = geometry(flash, layout);
        if self.next_slot >= slots {
            let half = (self.half + 1) % halves;
            let base = layout.progress.offset + half * half_size;
            flash
                .erase(base, base + half_size)
                .map_err(|_| UpdaterError::Flash)?;
            self.half = half;
            self.next_slot = 0;
        }
        self.seq = self.seq.wrapping_add(1);
        let mut buf = [0xFFu8; MAX_WRITE_SIZE];
        let buf = buf
            .get_mut(..slot as usize)
            .ok_or(UpdaterError::InvalidLayout)?;
        if let Some(head) = buf.get_mut(..16) {
            head.copy_from_slice(&encode(self.seq, r));
        }
        // The slot is consumed even if the program fails, so a torn slot is never reused.
        let at = layout.progress.offset + self.half * half_size + self.next_slot * slot;
        self.next_slot += 1;
        program(flash, at, buf).map_err(|_| UpdaterError::Flash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_sequence_numbers_wrap() {
        let r = Some(Resume {
            image_id: 7,
            next: 4096,
        });
        assert_eq!(decode(&encode(3, r)), Some((3, r)));
        assert_eq!(decode(&encode(9, None)), Some((9, None)));
        let mut bad = encode(3, r);
        bad[5] ^= 1;
        assert_eq!(decode(&bad), None);
        assert!(newer(1, 0) && newer(0, u16::MAX) && !newer(5, 5) && !newer(0, 1));
    }
}
