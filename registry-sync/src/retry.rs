//! Capped exponential backoff, bounded by attempts and by total time. Pure.

use std::time::Duration;

/// When and how often to retry.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial: Duration,
    max_delay: Duration,
    total: Duration,
    jitter: f64,
}

impl Default for RetryPolicy {
    /// 8 attempts, 500 ms doubling up to 60 s, 10 minutes in total, 20 % jitter.
    fn default() -> Self {
        Self {
            max_attempts: 8,
            initial: Duration::from_millis(500),
            max_delay: Duration::from_secs(60),
            total: Duration::from_secs(600),
            jitter: 0.2,
        }
    }
}

impl RetryPolicy {
    /// At most `max_attempts` attempts (at least 1), delays from `initial`
    /// doubling up to `max_delay`, giving up once `total` would be exceeded.
    /// No jitter.
    pub fn new(max_attempts: u32, initial: Duration, max_delay: Duration, total: Duration) -> Self {
        Self {
            max_attempts: max_attempts.max(1),
            initial,
            max_delay: max_delay.max(initial),
            total,
            jitter: 0.0,
        }
    }

    /// The waiting rule of the Azure device synchronizer sample for twins
    /// (30 s doubling to 300 s, 100 checks, 48 hours).
    pub fn twin_check() -> Self {
        Self::new(
            100,
            Duration::from_secs(30),
            Duration::from_secs(300),
            Duration::from_secs(48 * 3600),
        )
    }

    /// Shortens each delay by up to `fraction` (0..=1), deterministically from
    /// the seed, so that many devices retrying together spread out.
    pub fn jitter(&mut self, fraction: f64) -> &mut Self {
        self.jitter = if fraction.is_finite() {
            fraction.clamp(0.0, 1.0)
        } else {
            0.0
        };
        self
    }

    /// The attempt limit.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The delay before the next attempt after `failures` failed attempts
    /// (1 or more) and `elapsed` since the first one, or `None` to give up.
    /// A registry's retry-after `hint` is honoured when longer.
    pub fn next_delay(
        &self,
        failures: u32,
        elapsed: Duration,
        hint: Option<Duration>,
        seed: u64,
    ) -> Option<Duration> {
        if failures >= self.max_attempts {
            return None;
        }
        let exp = failures.saturating_sub(1).min(31);
        let mut delay = self.initial.saturating_mul(1u32 << exp).min(self.max_delay);
        if self.jitter > 0.0 {
            let r = splitmix(seed ^ u64::from(failures)) as f64 / u64::MAX as f64;
            delay = delay.mul_f64(1.0 - self.jitter * r);
        }
        if let Some(h) = hint {
            delay = delay.max(h);
        }
        (elapsed.saturating_add(delay) <= self.total).then_some(delay)
    }
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn doubles_caps_and_stops() {
        let p = RetryPolicy::new(
            5,
            Duration::from_secs(1),
            Duration::from_secs(4),
            Duration::from_secs(100),
        );
        let d: Vec<_> = (1..6)
            .map(|n| p.next_delay(n, Duration::ZERO, None, 0))
            .collect();
        let s = |x| Some(Duration::from_secs(x));
        assert_eq!(d, [s(1), s(2), s(4), s(4), None]);
    }

    #[test]
    fn total_time_bounds_retries_and_hints_win() {
        let p = RetryPolicy::new(
            50,
            Duration::from_secs(1),
            Duration::from_secs(4),
            Duration::from_secs(10),
        );
        assert_eq!(
            p.next_delay(1, Duration::from_secs(9), None, 0),
            Some(Duration::from_secs(1))
        );
        assert_eq!(p.next_delay(3, Duration::from_secs(9), None, 0), None);
        assert_eq!(
            p.next_delay(1, Duration::ZERO, Some(Duration::from_secs(7)), 0),
            Some(Duration::from_secs(7))
        );
    }

    proptest! {
        #[test]
        fn delays_stay_within_bounds(failures in 1u32..40, elapsed in 0u64..1000, seed in any::<u64>()) {
            let mut p = RetryPolicy::new(30, Duration::from_millis(100), Duration::from_secs(30), Duration::from_secs(600));
            p.jitter(0.5);
            if let Some(d) = p.next_delay(failures, Duration::from_secs(elapsed), None, seed) {
                prop_assert!(d <= Duration::from_secs(30));
                prop_assert!(d >= Duration::from_millis(50).min(Duration::from_secs(15)) / 2);
                prop_assert!(Duration::from_secs(elapsed) + d <= Duration::from_secs(600));
                prop_assert!(failures < 30);
            }
        }
    }
}
