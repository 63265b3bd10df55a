//! Capped exponential backoff, bounded by attempts and by total time. Pure.

use crate::error::{Error, ErrorKind, Result};
use std::time::Duration;

/// When and how often to retry.
///
/// Checked by [`EngineBuilder::build`](super::EngineBuilder::build) when it
/// is part of an [`EngineConfig`](super::EngineConfig).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial: Duration,
    max_delay: Duration,
    total: Duration,
    jitter: f64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::new()
    }
}

impl RetryPolicy {
    /// 8 attempts, 500 ms doubling up to 60 s, 10 minutes in total, 20 % jitter.
    pub fn new() -> Self {
        Self {
            max_attempts: 8,
            initial: Duration::from_millis(500),
            max_delay: Duration::from_secs(60),
            total: Duration::from_secs(600),
            jitter: 0.2,
        }
    }

    /// The waiting rule of the Azure device synchronizer sample for twins:
    /// 100 checks, 30 s doubling to 300 s, 48 hours, no jitter.
    pub fn twin_check() -> Self {
        let mut p = Self::new();
        p.max_attempts(100)
            .initial_delay(Duration::from_secs(30))
            .max_delay(Duration::from_secs(300))
            .time_limit(Duration::from_secs(48 * 3600))
            .jitter(0.0);
        p
    }

    /// Attempts in all, the first one included (default 8; at least 1).
    pub fn max_attempts(&mut self, attempts: u32) -> &mut Self {
        self.max_attempts = attempts;
        self
    }

    /// The delay after the first failure (default 500 ms), doubled after
    /// each further one.
    pub fn initial_delay(&mut self, delay: Duration) -> &mut Self {
        self.initial = delay;
        self
    }

    /// The longest delay (default 60 s; not below the initial delay).
    pub fn max_delay(&mut self, delay: Duration) -> &mut Self {
        self.max_delay = delay;
        self
    }

    /// Gives up once the next attempt would start later than this after the
    /// first one (default 10 minutes).
    pub fn time_limit(&mut self, limit: Duration) -> &mut Self {
        self.total = limit;
        self
    }

    /// Shortens each delay by up to `fraction` (0 to 1; default 0.2),
    /// deterministically from the seed, so that many devices retrying
    /// together spread out.
    pub fn jitter(&mut self, fraction: f64) -> &mut Self {
        self.jitter = fraction;
        self
    }

    /// The attempt limit.
    pub fn get_max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// Refuses settings [`Self::next_delay`] would have to bend: no attempt
    /// at all, a maximum below the initial delay, jitter outside 0 to 1.
    pub(crate) fn validate(&self, what: &str) -> Result<()> {
        let problem = if self.max_attempts == 0 {
            "allows no attempt"
        } else if self.max_delay < self.initial {
            "has a maximum delay below its initial delay"
        } else if !(0.0..=1.0).contains(&self.jitter) {
            "has a jitter outside 0 to 1"
        } else {
            return Ok(());
        };
        Err(Error::new(ErrorKind::InvalidConfig).with_context(format!("{what} {problem}")))
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
        // Unchecked settings (outside an engine) must not make `mul_f64` panic.
        let jitter = if self.jitter.is_finite() {
            self.jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        if jitter > 0.0 {
            let r = splitmix(seed ^ u64::from(failures)) as f64 / u64::MAX as f64;
            delay = delay.mul_f64(1.0 - jitter * r);
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

    fn policy(attempts: u32, initial: u64, max: u64, total: u64) -> RetryPolicy {
        let mut p = RetryPolicy::new();
        p.max_attempts(attempts)
            .initial_delay(Duration::from_secs(initial))
            .max_delay(Duration::from_secs(max))
            .time_limit(Duration::from_secs(total))
            .jitter(0.0);
        p
    }

    #[test]
    fn doubles_caps_and_stops() {
        let p = policy(5, 1, 4, 100);
        let d: Vec<_> = (1..6)
            .map(|n| p.next_delay(n, Duration::ZERO, None, 0))
            .collect();
        let s = |x| Some(Duration::from_secs(x));
        assert_eq!(d, [s(1), s(2), s(4), s(4), None]);
    }

    #[test]
    fn total_time_bounds_retries_and_hints_win() {
        let p = policy(50, 1, 4, 10);
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

    #[test]
    fn bad_settings_are_refused_by_validate_and_harmless_here() {
        assert!(RetryPolicy::new().validate("retry").is_ok());
        assert!(RetryPolicy::twin_check().validate("twin wait").is_ok());
        let e = policy(0, 1, 4, 10).validate("retry").unwrap_err();
        assert_eq!(e.context(), Some("retry allows no attempt"));
        assert!(policy(3, 5, 4, 10).validate("retry").is_err());
        let mut wild = policy(3, 1, 4, 10);
        wild.jitter(f64::NAN);
        assert!(wild.validate("retry").is_err());
        assert_eq!(
            wild.next_delay(1, Duration::ZERO, None, 7),
            Some(Duration::from_secs(1))
        );
        wild.jitter(5.0);
        assert!(wild.next_delay(1, Duration::ZERO, None, 7).is_some());
    }

    proptest! {
        #[test]
        fn delays_stay_within_bounds(failures in 1u32..40, elapsed in 0u64..1000, seed in any::<u64>()) {
            let mut p = RetryPolicy::new();
            p.max_attempts(30)
                .initial_delay(Duration::from_millis(100))
                .max_delay(Duration::from_secs(30))
                .time_limit(Duration::from_secs(600))
                .jitter(0.5);
            if let Some(d) = p.next_delay(failures, Duration::from_secs(elapsed), None, seed) {
                prop_assert!(d <= Duration::from_secs(30));
                prop_assert!(d >= Duration::from_millis(50).min(Duration::from_secs(15)) / 2);
                prop_assert!(Duration::from_secs(elapsed) + d <= Duration::from_secs(600));
                prop_assert!(failures < 30);
            }
        }
    }
}
