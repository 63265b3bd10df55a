//! The mass-delete guard.

use crate::error::{Error, ErrorKind, Result};

/// Refuses plans that remove too much of the replica at once.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MassDeleteGuard {
    max_fraction: f64,
    min_count: usize,
    force: bool,
}

impl Default for MassDeleteGuard {
    fn default() -> Self {
        Self::new()
    }
}

impl MassDeleteGuard {
    /// At most 10 % of the owned devices, always allowing up to 10 removals.
    pub fn new() -> Self {
        Self {
            max_fraction: 0.10,
            min_count: 10,
            force: false,
        }
    }

    /// The largest fraction of the owned replica devices one plan may remove,
    /// from 0 to 1 (default 0.1); [`Planner::new`](super::Planner::new)
    /// refuses other values.
    pub fn max_fraction(&mut self, fraction: f64) -> &mut Self {
        self.max_fraction = fraction;
        self
    }

    /// Removals allowed whatever the fraction, so small registries can shrink
    /// (default 10).
    pub fn min_count(&mut self, count: usize) -> &mut Self {
        self.min_count = count;
        self
    }

    /// Lets every plan through (default false): an operator's explicit decision.
    pub fn force(&mut self, force: bool) -> &mut Self {
        self.force = force;
        self
    }

    /// The largest number of removals allowed with `owned` owned devices.
    pub fn allowed(&self, owned: usize) -> usize {
        if self.force {
            return usize::MAX;
        }
        let by_fraction = (self.max_fraction * owned as f64).floor() as usize;
        by_fraction.max(self.min_count)
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if (0.0..=1.0).contains(&self.max_fraction) {
            Ok(())
        } else {
            Err(Error::new(ErrorKind::InvalidConfig)
                .with_context("mass-delete guard fraction must be within 0 and 1"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guard_limits() {
        let mut g = MassDeleteGuard::new();
        g.max_fraction(0.1).min_count(5);
        assert_eq!(g.allowed(1000), 100);
        assert_eq!(g.allowed(10), 5);
        g.force(true);
        assert_eq!(g.allowed(0), usize::MAX);
    }

    #[test]
    fn fractions_outside_zero_to_one_are_refused() {
        for bad in [-0.1, 1.5, f64::NAN, f64::INFINITY] {
            let e = MassDeleteGuard::new()
                .max_fraction(bad)
                .validate()
                .unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidConfig);
        }
        assert!(MassDeleteGuard::new().max_fraction(1.0).validate().is_ok());
    }
}
