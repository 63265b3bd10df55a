//! Per-class token buckets sized by tier and units (2023 quota page) or by
//! an explicit rate; the hub answers 429 `ThrottlingException` above them.

use std::time::Instant;

/// The operation classes IoT Hub throttles separately.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OperationClass {
    /// Identity registry create, get, list, update, delete; bulk calls per device.
    Identity,
    /// Twin reads.
    TwinRead,
    /// Twin updates.
    TwinUpdate,
    /// Queries.
    Query,
    /// Job operations (create, get).
    Jobs,
}

impl OperationClass {
    const ALL: [Self; 5] = [
        Self::Identity,
        Self::TwinRead,
        Self::TwinUpdate,
        Self::Query,
        Self::Jobs,
    ];

    fn index(self) -> usize {
        match self {
            Self::Identity => 0,
            Self::TwinRead => 1,
            Self::TwinUpdate => 2,
            Self::Query => 3,
            Self::Jobs => 4,
        }
    }
}

/// IoT Hub tiers, for [`Throttling::tier`].
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HubTier {
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

/// The rates the simulator enforces, per [`OperationClass`] (none by default).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Throttling {
    rates: [Option<(f64, f64)>; 5],
}

impl Throttling {
    /// No throttling.
    pub fn none() -> Self {
        Self::default()
    }

    /// The quotas of `tier` with `units` units (§2.5 of the reference),
    /// bursts of one second's worth (at least one operation).
    pub fn tier(tier: HubTier, units: u32) -> Self {
        let u = f64::from(units.max(1));
        let big = matches!(tier, HubTier::S3 | HubTier::B3);
        let s2 = matches!(tier, HubTier::S2 | HubTier::B2);
        let per_min = |small: f64, large: f64| {
            if big {
                large * u / 60.0
            } else {
                small * u / 60.0
            }
        };
        let twin_read = if big {
            500.0 * u
        } else if s2 {
            (10.0 * u).max(100.0)
        } else {
            100.0
        };
        let twin_update = if big {
            250.0 * u
        } else if s2 {
            (5.0 * u).max(50.0)
        } else {
            50.0
        };
        let mut t = Self::none();
        for (class, rate) in [
            (OperationClass::Identity, per_min(100.0, 5000.0)),
            (OperationClass::TwinRead, twin_read),
            (OperationClass::TwinUpdate, twin_update),
            (OperationClass::Query, per_min(20.0, 1000.0)),
            (OperationClass::Jobs, per_min(100.0, 5000.0)),
        ] {
            t.rates[class.index()] = Some((rate, rate.ceil().max(1.0)));
        }
        t
    }

    /// Sets `class` to `per_second` with bursts of `burst` operations.
    #[must_use]
    pub fn with_rate(mut self, class: OperationClass, per_second: f64, burst: u32) -> Self {
        let rate = if per_second.is_finite() && per_second > 0.0 {
            per_second
        } else {
            1e-6
        };
        self.rates[class.index()] = Some((rate, f64::from(burst.max(1))));
        self
    }

    /// The sustained rate of `class` in operations per second, if limited.
    pub fn rate(&self, class: OperationClass) -> Option<f64> {
        self.rates[class.index()].map(|(r, _)| r)
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

/// The live buckets.
#[derive(Debug, Default)]
pub(crate) struct Buckets {
    buckets: [Option<Bucket>; 5],
}

impl Buckets {
    pub(crate) fn new(t: &Throttling, now: Instant) -> Self {
        let mut b = Self::default();
        for class in OperationClass::ALL {
            b.buckets[class.index()] = t.rates[class.index()].map(|(rate, burst)| Bucket {
                rate,
                burst,
                tokens: burst,
                last: now,
            });
        }
        b
    }

    /// Charges `cost` to `class`; false means 429. A cost above the burst
    /// passes when the bucket is full and leaves it in debt, so a 100-device
    /// bulk call is paced rather than refused forever.
    pub(crate) fn take(&mut self, class: OperationClass, cost: u32, now: Instant) -> bool {
        let Some(b) = &mut self.buckets[class.index()] else {
            return true;
        };
        let dt = now.saturating_duration_since(b.last).as_secs_f64();
        b.tokens = (b.tokens + dt * b.rate).min(b.burst);
        b.last = b.last.max(now);
        let cost = f64::from(cost);
        if b.tokens + 1e-9 >= cost.min(b.burst) {
            b.tokens -= cost;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn tiers_follow_the_quota_page() {
        let s1 = Throttling::tier(HubTier::S1, 1);
        assert!((s1.rate(OperationClass::Identity).unwrap() * 60.0 - 100.0).abs() < 1e-9);
        assert!((s1.rate(OperationClass::Query).unwrap() * 60.0 - 20.0).abs() < 1e-9);
        let s3 = Throttling::tier(HubTier::S3, 2);
        assert!((s3.rate(OperationClass::Identity).unwrap() * 60.0 - 10_000.0).abs() < 1e-6);
        assert_eq!(s3.rate(OperationClass::TwinUpdate), Some(500.0));
        assert_eq!(
            Throttling::tier(HubTier::S2, 20).rate(OperationClass::TwinRead),
            Some(200.0)
        );
        assert_eq!(Throttling::none().rate(OperationClass::Jobs), None);
    }

    #[test]
    fn a_bucket_admits_its_rate_and_charges_bulk_per_device() {
        let t0 = Instant::now();
        let t = Throttling::none().with_rate(OperationClass::Identity, 100.0, 100);
        let mut b = Buckets::new(&t, t0);
        assert!(b.take(OperationClass::Identity, 100, t0));
        assert!(!b.take(OperationClass::Identity, 1, t0));
        assert!(
            b.take(OperationClass::Query, 1_000_000, t0),
            "unlimited class"
        );
        assert!(!b.take(
            OperationClass::Identity,
            50,
            t0 + Duration::from_millis(400)
        ));
        assert!(b.take(
            OperationClass::Identity,
            50,
            t0 + Duration::from_millis(500)
        ));
    }
}
