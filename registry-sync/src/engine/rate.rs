//! A token-bucket rate limiter with explicit time, and IoT Hub tier budgets.

use std::time::{Duration, Instant};

/// IoT Hub pricing tiers, for the identity-registry throttle.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IotHubTier {
    /// Free.
    Free,
    /// Basic B1.
    B1,
    /// Basic B2.
    B2,
    /// Basic B3.
    B3,
    /// Standard S1.
    S1,
    /// Standard S2.
    S2,
    /// Standard S3.
    S3,
}

impl IotHubTier {
    /// Identity registry operations (create, get, list, update, delete; bulk
    /// calls are charged per device) allowed per minute per unit.
    pub fn identity_ops_per_minute_per_unit(self) -> u32 {
        match self {
            Self::Free | Self::B1 | Self::S1 | Self::B2 | Self::S2 => 100,
            Self::B3 | Self::S3 => 5000,
        }
    }
}

/// A sustained rate and a burst size.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimit {
    per_second: f64,
    burst: f64,
}

impl RateLimit {
    /// `per_second` operations per second with bursts of up to `burst`
    /// operations. Non-finite or non-positive values are raised to a tiny
    /// positive rate and a burst of 1.
    pub fn new(per_second: f64, burst: u32) -> Self {
        let per_second = if per_second.is_finite() && per_second > 0.0 {
            per_second
        } else {
            1e-6
        };
        Self {
            per_second,
            burst: f64::from(burst.max(1)),
        }
    }

    /// `per_minute` operations per minute, burst of one second's worth (at least 1).
    pub fn per_minute(per_minute: u32) -> Self {
        let per_second = f64::from(per_minute) / 60.0;
        Self::new(per_second, per_second.ceil().max(1.0) as u32)
    }

    /// The identity-registry budget of an IoT Hub of `tier` with `units` units.
    pub fn iot_hub_identity(tier: IotHubTier, units: u32) -> Self {
        Self::per_minute(
            tier.identity_ops_per_minute_per_unit()
                .saturating_mul(units.max(1)),
        )
    }

    /// Sustained operations per second.
    pub fn per_second(&self) -> f64 {
        self.per_second
    }

    /// Burst size.
    pub fn burst(&self) -> f64 {
        self.burst
    }
}

/// A token bucket. Pure: every call takes the current time.
#[derive(Clone, Debug)]
pub struct TokenBucket {
    limit: RateLimit,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket at `now`.
    pub fn new(limit: RateLimit, now: Instant) -> Self {
        Self {
            limit,
            tokens: limit.burst,
            last: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let dt = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + dt * self.limit.per_second).min(self.limit.burst);
        if now > self.last {
            self.last = now;
        }
    }

    /// Takes `cost` tokens at `now`, or says how long to wait before trying again.
    ///
    /// A cost above the burst size is admitted once the bucket is full and
    /// leaves it in debt, so large bulk calls are paced, not refused forever.
    pub fn try_acquire(&mut self, cost: u32, now: Instant) -> Result<(), Duration> {
        self.refill(now);
        let cost = f64::from(cost);
        let need = cost.min(self.limit.burst);
        if self.tokens + 1e-9 >= need {
            self.tokens -= cost;
            Ok(())
        } else {
            let secs = (need - self.tokens) / self.limit.per_second;
            Err(Duration::from_secs_f64(secs.max(1e-6)))
        }
    }

    /// Empties the bucket at `now` (the registry answered "throttled": its
    /// budget is spent whatever this bucket believed).
    pub fn drain(&mut self, now: Instant) {
        self.refill(now);
        self.tokens = self.tokens.min(0.0);
    }

    /// The limit this bucket enforces.
    pub fn limit(&self) -> RateLimit {
        self.limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_match_the_quota_page() {
        assert_eq!(
            RateLimit::iot_hub_identity(IotHubTier::S1, 1).per_second() * 60.0,
            100.0
        );
        let s3 = RateLimit::iot_hub_identity(IotHubTier::S3, 2);
        assert!((s3.per_second() * 60.0 - 10_000.0).abs() < 1e-6);
    }

    #[test]
    fn sustained_rate_is_honoured() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(RateLimit::new(10.0, 1), t0);
        let mut now = t0;
        let mut granted = 0;
        // Simulate 10 s, polling every 10 ms.
        for _ in 0..1000 {
            now += Duration::from_millis(10);
            while b.try_acquire(1, now).is_ok() {
                granted += 1;
            }
        }
        assert!((100..=101).contains(&granted), "{granted}");
    }

    #[test]
    fn wait_hint_is_exact_enough() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(RateLimit::new(2.0, 1), t0);
        assert!(b.try_acquire(1, t0).is_ok());
        let wait = b.try_acquire(1, t0).unwrap_err();
        assert!((wait.as_secs_f64() - 0.5).abs() < 1e-3);
        assert!(b.try_acquire(1, t0 + wait).is_ok());
    }

    #[test]
    fn a_drained_bucket_waits_for_a_refill() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(RateLimit::new(100.0, 50), t0);
        b.drain(t0);
        let wait = b.try_acquire(10, t0).unwrap_err();
        assert!((wait.as_secs_f64() - 0.1).abs() < 1e-6, "{wait:?}");
        assert!(b.try_acquire(10, t0 + Duration::from_millis(100)).is_ok());
        // Debt is kept, not forgiven.
        let mut d = TokenBucket::new(RateLimit::new(100.0, 50), t0);
        assert!(d.try_acquire(80, t0).is_ok());
        d.drain(t0);
        assert!(d.try_acquire(1, t0 + Duration::from_millis(200)).is_err());
    }

    #[test]
    fn big_costs_go_into_debt() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(RateLimit::new(1.0, 5), t0);
        assert!(b.try_acquire(50, t0).is_ok());
        let wait = b.try_acquire(1, t0).unwrap_err();
        assert!(wait >= Duration::from_secs(45));
    }
}
