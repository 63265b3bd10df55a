//! Capped exponential backoff with jitter, as a pure function.

use core::time::Duration;

/// When and how often to retry transient failures.
///
/// The delay before retry `n` (0-based) is `min(max, base · 2ⁿ)`, of which
/// the upper half is randomised ("equal jitter"): never less than half the
/// capped value, so a fleet that failed together spreads out without any
/// device retrying immediately.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    base: Duration,
    max: Duration,
    max_retries: u32,
}

impl Default for Backoff {
    /// 1 s base (hawkBit's rate limiter resets after 1 s), 60 s cap, 4 retries.
    fn default() -> Self {
        Self {
            base: Duration::from_secs(1),
            max: Duration::from_secs(60),
            max_retries: 4,
        }
    }
}

impl Backoff {
    /// A policy with the given base delay, cap and number of retries.
    pub fn new(base: Duration, max: Duration, max_retries: u32) -> Self {
        Self {
            base,
            max: max.max(base),
            max_retries,
        }
    }

    /// No retries at all.
    pub fn none() -> Self {
        Self::new(Duration::ZERO, Duration::ZERO, 0)
    }

    /// How many retries follow the first attempt.
    pub fn max_retries(&self) -> u32 {
        self.max_retries
    }

    /// The capped delay before retry `retry` without jitter.
    pub fn cap(&self, retry: u32) -> Duration {
        let factor = 1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.max)
    }

    /// The delay before retry `retry` for a jitter sample in `[0, 1]`, or
    /// `None` when retries are exhausted.
    pub fn delay(&self, retry: u32, jitter: f64) -> Option<Duration> {
        if retry >= self.max_retries {
            return None;
        }
        let cap = self.cap(retry);
        let half = cap / 2;
        let jitter = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        Some(half + (cap - half).mul_f64(jitter))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_doubles_caps_and_stops() {
        let b = Backoff::new(Duration::from_secs(1), Duration::from_secs(10), 6);
        let caps: Vec<u64> = (0..6).map(|n| b.cap(n).as_secs()).collect();
        assert_eq!(caps, [1, 2, 4, 8, 10, 10]);
        assert_eq!(b.delay(3, 0.0), Some(Duration::from_secs(4)));
        assert_eq!(b.delay(3, 1.0), Some(Duration::from_secs(8)));
        assert_eq!(b.delay(6, 0.5), None);
        assert_eq!(b.cap(200), Duration::from_secs(10));
        assert_eq!(Backoff::none().delay(0, 0.5), None);
    }
}
