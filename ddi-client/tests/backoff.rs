//! Invariants of the retry policy, which is a pure function.

use std::time::Duration;

use ddi_client::Backoff;
use proptest::prelude::*;

proptest! {
    #[test]
    fn delays_are_capped_jittered_and_bounded(
        base_ms in 0u64..10_000,
        max_ms in 0u64..600_000,
        retries in 0u32..20,
        retry in 0u32..64,
        jitter in proptest::num::f64::ANY,
    ) {
        let b = Backoff::new(Duration::from_millis(base_ms), Duration::from_millis(max_ms), retries);
        let cap = b.cap(retry);
        prop_assert!(cap <= Duration::from_millis(max_ms.max(base_ms)));
        prop_assert!(b.cap(retry) <= b.cap(retry + 1), "caps never shrink");
        match b.delay(retry, jitter) {
            None => prop_assert!(retry >= retries),
            Some(d) => {
                prop_assert!(retry < retries);
                prop_assert!(d >= cap / 2 && d <= cap, "{d:?} outside [{:?}, {cap:?}]", cap / 2);
            }
        }
    }
}
