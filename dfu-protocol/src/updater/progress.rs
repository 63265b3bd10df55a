//! The updater's resume log: append-only (image id, next offset) records.
//!
//! Each record is programmed once into an erased slot and carries a CRC-32,
//! so a torn append is simply not found and the previous record holds. When
//! the area is full it is erased and the log starts over; a power cut in
//! that window loses the resume point (the transfer restarts at offset 0),
//! never the correctness of what is resumed.

use embedded_storage::nor_flash::NorFlash;

use super::UpdaterError;
use crate::flash::layout_sizes::write_size;
use crate::flash::{Layout, MAX_WRITE_SIZE, is_erased, program, read_exact};

const MAGIC: [u8; 2] = *b"P1";
const CRC32: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);

/// A resume point: pages below `next` of image `image_id` are complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Resume {
    pub(crate) image_id: u32,
    pub(crate) next: u32,
}

#[derive(Debug)]
pub(crate) struct ProgressLog {
    next_slot: u32,
}

fn slot_len<F: NorFlash>() -> u32 {
    16u32.max(write_size::<F>())
}

fn encode(r: Option<Resume>) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..2].copy_from_slice(&MAGIC);
    b[2] = u8::from(r.is_none());
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

fn decode(b: &[u8]) -> Option<Option<Resume>> {
    let word =
        |i: usize| -> Option<u32> { Some(u32::from_le_bytes(b.get(i..i + 4)?.try_into().ok()?)) };
    if b.get(..2)? != MAGIC || CRC32.checksum(b.get(..12)?) != word(12)? {
        return None;
    }
    Some(if *b.get(2)? != 0 {
        None
    } else {
        Some(Resume {
            image_id: word(4)?,
            next: word(8)?,
        })
    })
}

impl ProgressLog {
    /// Scans the log; returns it with the last valid resume point.
    pub(crate) fn load<F: NorFlash>(
        flash: &mut F,
        layout: &Layout,
    ) -> Result<(Self, Option<Resume>), UpdaterError> {
        let slot = slot_len::<F>();
        let slots = layout.progress.size / slot;
        let mut last = None;
        let mut buf = [0u8; MAX_WRITE_SIZE];
        let buf = buf
            .get_mut(..slot as usize)
            .ok_or(UpdaterError::InvalidLayout)?;
        for i in 0..slots {
            read_exact(flash, layout.progress.offset + i * slot, buf)
                .map_err(|_| UpdaterError::Flash)?;
            if is_erased(buf) {
                return Ok((Self { next_slot: i }, last));
            }
            if let Some(r) = decode(buf) {
                last = r;
            }
        }
        Ok((Self { next_slot: slots }, last))
    }

    /// Appends a resume point (or "no transfer" for `None`).
    pub(crate) fn append<F: NorFlash>(
        &mut self,
        flash: &mut F,
        layout: &Layout,
        r: Option<Resume>,
    ) -> Result<(), UpdaterError> {
        let slot = slot_len::<F>();
        let slots = layout.progress.size / slot;
        if self.next_slot >= slots {
            let p = layout.progress;
            flash
                .erase(p.offset, p.end())
                .map_err(|_| UpdaterError::Flash)?;
            self.next_slot = 0;
        }
        let mut buf = [0xFFu8; MAX_WRITE_SIZE];
        let buf = buf
            .get_mut(..slot as usize)
            .ok_or(UpdaterError::InvalidLayout)?;
        if let Some(head) = buf.get_mut(..16) {
            head.copy_from_slice(&encode(r));
        }
        // The slot is consumed even if the program fails, so a torn slot is never reused.
        let at = layout.progress.offset + self.next_slot * slot;
        self.next_slot += 1;
        program(flash, at, buf).map_err(|_| UpdaterError::Flash)
    }
}
