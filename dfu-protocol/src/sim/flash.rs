//! A NOR flash in RAM that enforces NOR rules and can lose power mid-operation.

use std::vec;
use std::vec::Vec;

use embedded_storage::nor_flash::{
    ErrorType, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};

/// How much of the operation that loses power takes effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tear {
    /// Nothing: power went before the operation started.
    None,
    /// The first half of the bytes (a program leaves the unit at the cut
    /// programmed only partly, so it is neither erased nor what was asked).
    Half,
    /// All of it, but power went before the caller learnt it succeeded.
    Full,
}

/// A power cut scheduled at one program/erase operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PowerCut {
    /// Index of the program/erase operation (counted from 0 since creation) that is torn.
    pub at_op: u64,
    /// How much of it lands.
    pub tear: Tear,
}

/// Errors of [`SimFlash`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// Offset or length not aligned as the geometry requires.
    #[error("unaligned access")]
    NotAligned,
    /// Access beyond the capacity.
    #[error("out of bounds")]
    OutOfBounds,
    /// A write unit was programmed twice without an erase in between.
    #[error("write unit programmed twice without erase")]
    NotErased,
    /// The simulated power is off.
    #[error("power is off")]
    PowerOff,
}

impl NorFlashError for SimError {
    fn kind(&self) -> NorFlashErrorKind {
        match self {
            Self::NotAligned => NorFlashErrorKind::NotAligned,
            Self::OutOfBounds => NorFlashErrorKind::OutOfBounds,
            Self::NotErased | Self::PowerOff => NorFlashErrorKind::Other,
        }
    }
}

/// Simulated NOR flash with write unit `W` bytes and erase page `E` bytes.
///
/// Rules enforced: reads, writes and erases aligned to their sizes; erase
/// sets bytes to `0xFF`; each write unit may be programmed once between
/// erases (what `NorFlash` without `MultiwriteNorFlash` promises), and
/// programming can only clear bits. Every program and erase counts as one
/// operation; [`SimFlash::schedule_cut`] tears one of them and turns the
/// power off, after which every access fails until [`SimFlash::power_on`].
#[derive(Debug, Clone)]
pub struct SimFlash<const W: usize = 4, const E: usize = 4096> {
    mem: Vec<u8>,
    /// One flag per write unit: programmed since its last erase.
    programmed: Vec<bool>,
    ops: u64,
    cut: Option<PowerCut>,
    powered: bool,
    erases: u64,
    bytes_programmed: u64,
}

impl<const W: usize, const E: usize> SimFlash<W, E> {
    /// An erased flash of `capacity` bytes (rounded up to whole pages).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.next_multiple_of(E);
        Self {
            mem: vec![0xFF; capacity],
            programmed: vec![false; capacity / W],
            ops: 0,
            cut: None,
            powered: true,
            erases: 0,
            bytes_programmed: 0,
        }
    }

    /// Program and erase operations so far.
    pub fn ops(&self) -> u64 {
        self.ops
    }

    /// Pages erased so far (wear and timing estimate).
    pub fn erases(&self) -> u64 {
        self.erases
    }

    /// Bytes programmed so far.
    pub fn bytes_programmed(&self) -> u64 {
        self.bytes_programmed
    }

    /// Tears operation `cut.at_op` and cuts the power there.
    pub fn schedule_cut(&mut self, cut: PowerCut) {
        self.cut = Some(cut);
    }

    /// Cancels a scheduled cut that has not happened.
    pub fn cancel_cut(&mut self) {
        self.cut = None;
    }

    /// Whether the power is on.
    pub fn is_powered(&self) -> bool {
        self.powered
    }

    /// Restores power (the content is whatever the cut left).
    pub fn power_on(&mut self) {
        self.powered = true;
    }

    /// The raw content.
    pub fn contents(&self) -> &[u8] {
        &self.mem
    }

    /// Writes bytes directly, bypassing NOR rules (factory programming in
    /// tests); bytes beyond the capacity are dropped.
    pub fn factory_program(&mut self, offset: usize, data: &[u8]) {
        if offset >= self.mem.len() {
            return;
        }
        let end = (offset + data.len()).min(self.mem.len());
        if let (Some(dst), Some(src)) = (self.mem.get_mut(offset..end), data.get(..end - offset)) {
            dst.copy_from_slice(src);
        }
        let first = offset / W;
        let last = end.div_ceil(W);
        for p in self.programmed.iter_mut().take(last).skip(first) {
            *p = true;
        }
    }

    /// Counts one operation; returns how much of it should land.
    fn step(&mut self) -> Result<Tear, SimError> {
        if !self.powered {
            return Err(SimError::PowerOff);
        }
        let op = self.ops;
        self.ops += 1;
        match self.cut {
            Some(c) if c.at_op == op => {
                self.cut = None;
                self.powered = false;
                Ok(c.tear)
            }
            _ => Ok(Tear::Full),
        }
    }
}

impl<const W: usize, const E: usize> ErrorType for SimFlash<W, E> {
    type Error = SimError;
}

impl<const W: usize, const E: usize> ReadNorFlash for SimFlash<W, E> {
    const READ_SIZE: usize = 1;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), SimError> {
        if !self.powered {
            return Err(SimError::PowerOff);
        }
        let start = offset as usize;
        let src = self
            .mem
            .get(start..start + bytes.len())
            .ok_or(SimError::OutOfBounds)?;
        bytes.copy_from_slice(src);
        Ok(())
    }

    fn capacity(&self) -> usize {
        self.mem.len()
    }
}

impl<const W: usize, const E: usize> NorFlash for SimFlash<W, E> {
    const WRITE_SIZE: usize = W;
    const ERASE_SIZE: usize = E;

    fn erase(&mut self, from: u32, to: u32) -> Result<(), SimError> {
        let (from, to) = (from as usize, to as usize);
        if from % E != 0 || to % E != 0 || from > to {
            return Err(SimError::NotAligned);
        }
        if to > self.mem.len() {
            return Err(SimError::OutOfBounds);
        }
        let mut page = from;
        while page < to {
            let tear = self.step()?;
            let end = match tear {
                Tear::None => page,
                Tear::Half => page + E / 2,
                Tear::Full => page + E,
            };
            self.mem[page..end].fill(0xFF);
            for p in &mut self.programmed[page / W..end / W] {
                *p = false;
            }
            self.erases += 1;
            if !self.powered {
                return Err(SimError::PowerOff);
            }
            page += E;
        }
        Ok(())
    }

    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), SimError> {
        let start = offset as usize;
        if !start.is_multiple_of(W) || !bytes.len().is_multiple_of(W) {
            return Err(SimError::NotAligned);
        }
        let end = start + bytes.len();
        if end > self.mem.len() {
            return Err(SimError::OutOfBounds);
        }
        if !self.powered {
            return Err(SimError::PowerOff);
        }
        if self.programmed[start / W..end / W].iter().any(|p| *p) {
            return Err(SimError::NotErased);
        }
        let tear = self.step()?;
        let land = match tear {
            Tear::None => 0,
            Tear::Half => bytes.len() / 2,
            Tear::Full => bytes.len(),
        };
        for (dst, src) in self.mem[start..start + land].iter_mut().zip(bytes) {
            *dst &= *src;
        }
        if tear == Tear::Half {
            // The unit at the cut is left half-programmed: some bits cleared.
            if let Some(b) = self.mem.get_mut(start + land) {
                *b &= 0x5A;
            }
        }
        let touched_end = if tear == Tear::Half {
            (start + land + 1).min(end)
        } else {
            start + land
        };
        for p in &mut self.programmed[start / W..touched_end.div_ceil(W)] {
            *p = true;
        }
        self.bytes_programmed += land as u64;
        if !self.powered {
            return Err(SimError::PowerOff);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nor_rules_are_enforced() {
        let mut f = SimFlash::<4, 256>::new(1024);
        assert_eq!(f.write(2, &[0; 4]), Err(SimError::NotAligned));
        assert_eq!(f.write(0, &[0; 3]), Err(SimError::NotAligned));
        assert_eq!(f.erase(0, 100), Err(SimError::NotAligned));
        assert_eq!(f.write(1024, &[0; 4]), Err(SimError::OutOfBounds));
        f.write(0, &[1, 2, 3, 4]).unwrap();
        assert_eq!(f.write(0, &[1, 2, 3, 4]), Err(SimError::NotErased));
        f.erase(0, 256).unwrap();
        assert!(f.contents()[..256].iter().all(|b| *b == 0xFF));
        f.write(0, &[1, 2, 3, 4]).unwrap();
        assert_eq!(f.ops(), 3);
    }

    #[test]
    fn a_cut_tears_one_operation_and_stops_everything_after() {
        let mut f = SimFlash::<4, 256>::new(1024);
        f.schedule_cut(PowerCut {
            at_op: 1,
            tear: Tear::Half,
        });
        f.write(0, &[0; 8]).unwrap();
        assert_eq!(f.write(8, &[0; 8]), Err(SimError::PowerOff));
        assert_eq!(&f.contents()[8..16], &[0, 0, 0, 0, 0x5A, 0xFF, 0xFF, 0xFF]);
        let mut b = [0u8; 4];
        assert_eq!(f.read(0, &mut b), Err(SimError::PowerOff));
        f.power_on();
        f.read(0, &mut b).unwrap();
        assert_eq!(b, [0; 4]);
        // The torn unit cannot be programmed again without an erase.
        assert_eq!(f.write(12, &[0; 4]), Err(SimError::NotErased));
    }
}
