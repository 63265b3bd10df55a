//! Planner invariants over generated registries, and a 100k-device plan.
// Helpers outside #[test] functions unwrap too; clippy.toml only exempts the tests themselves.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use registry_sync::model::{Credentials, DeviceStatus, Secret, Snapshot};
use registry_sync::plan::{Completeness, DirectMapping, MassDeleteGuard, Operation, Removal};
use registry_sync::{DeviceRecord, Planner, Policy, Scope};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Instant;

fn record(
    id: String,
    disabled: bool,
    key: Option<u8>,
    tags: Vec<(String, String)>,
    attrs: Vec<(String, String)>,
) -> DeviceRecord {
    let mut d = DeviceRecord::new(id);
    if disabled {
        d = d.with_status(DeviceStatus::disabled("off"));
    }
    if let Some(k) = key {
        d = d.with_credentials(Credentials::new(Secret::new(format!("key{k}")), None));
    }
    for (k, v) in tags {
        d = d.with_tag(&k, &v);
    }
    for (k, v) in attrs {
        d = d.with_attribute(&k, &v);
    }
    d
}

fn kv() -> impl Strategy<Value = Vec<(String, String)>> {
    proptest::collection::vec(("(req|env|fw)", "[ab]"), 0..3)
}

fn device(prefixes: &'static [&'static str]) -> impl Strategy<Value = DeviceRecord> {
    (
        proptest::sample::select(prefixes),
        0u8..12,
        any::<bool>(),
        proptest::option::of(0u8..2),
        kv(),
        kv(),
        proptest::option::of(proptest::sample::select(&["hub1", "hub2"][..])),
    )
        .prop_map(|(prefix, n, disabled, key, tags, attrs, owner)| {
            let mut d = record(format!("{prefix}d{n}"), disabled, key, tags, attrs);
            if let Some(o) = owner {
                d = d.with_tag("managedBy", o);
            }
            d
        })
}

fn unique(devices: Vec<DeviceRecord>) -> Vec<DeviceRecord> {
    let mut seen = BTreeSet::new();
    devices
        .into_iter()
        .filter(|d| seen.insert(d.id.clone()))
        .collect()
}

#[derive(Debug, Clone)]
struct Case {
    policy: Policy,
    master: Vec<DeviceRecord>,
    replica: Vec<DeviceRecord>,
}

fn case() -> impl Strategy<Value = Case> {
    (any::<bool>(), any::<bool>(), any::<bool>()).prop_flat_map(|(by_prefix, soft, require)| {
        let replica_prefixes: &'static [&'static str] =
            if by_prefix { &["p.", "q."] } else { &[""] };
        (
            proptest::collection::vec(device(&[""]), 0..12)
                .prop_map(unique)
                .prop_shuffle(),
            proptest::collection::vec(device(replica_prefixes), 0..12)
                .prop_map(unique)
                .prop_shuffle(),
        )
            .prop_map(move |(master, replica)| {
                let scope = if by_prefix {
                    Scope::id_prefix("p.")
                } else {
                    Scope::tag("managedBy", "hub1")
                };
                let mut policy = Policy::new(scope);
                if soft {
                    policy.removal(Removal::Disable {
                        reason: "gone".into(),
                    });
                }
                if require {
                    let mut c = Completeness::new();
                    c.require_tags(["req"]);
                    policy.completeness(&c);
                }
                policy.guard(MassDeleteGuard::new().force(true));
                Case {
                    policy,
                    master,
                    replica,
                }
            })
    })
}

proptest! {
    #[test]
    fn replanning_after_applying_gives_an_empty_plan(c in case()) {
        let planner = Planner::new(&c.policy, Arc::new(DirectMapping)).unwrap();
        let master = Snapshot::from_records(c.master).unwrap();
        let replica = Snapshot::from_records(c.replica).unwrap();
        let plan = planner.plan(&master, &replica).unwrap();
        let after = replica.apply(&plan);
        let again = planner.plan(&master, &after).unwrap();
        prop_assert!(again.is_empty(), "{:?}", again.operations());
        prop_assert_eq!(again.deferred(), plan.deferred());
    }

    #[test]
    fn plans_do_not_depend_on_input_order(c in case(), seed in any::<u64>()) {
        let planner = Planner::new(&c.policy, Arc::new(DirectMapping)).unwrap();
        let a = planner.plan(
            &Snapshot::from_records(c.master.clone()).unwrap(),
            &Snapshot::from_records(c.replica.clone()).unwrap(),
        ).unwrap();
        let rotate = |mut v: Vec<DeviceRecord>| {
            if !v.is_empty() {
                let n = (seed as usize) % v.len();
                v.rotate_left(n);
                v.reverse();
            }
            v
        };
        let b = planner.plan(
            &Snapshot::from_records(rotate(c.master)).unwrap(),
            &Snapshot::from_records(rotate(c.replica)).unwrap(),
        ).unwrap();
        prop_assert_eq!(a, b);
    }

    #[test]
    fn only_owned_devices_are_touched(c in case()) {
        let planner = Planner::new(&c.policy, Arc::new(DirectMapping)).unwrap();
        let replica = Snapshot::from_records(c.replica).unwrap();
        let plan = planner.plan(&Snapshot::from_records(c.master).unwrap(), &replica).unwrap();
        for op in plan.operations() {
            let existing = replica.get(op.operation.device_id().as_str());
            match &op.operation {
                Operation::Create { .. } => prop_assert!(existing.is_none()),
                _ => prop_assert!(existing.is_some_and(|d| c.policy.get_scope().owns(d))),
            }
        }
    }
}

/// 100,000 devices each side with 1 % drift: the planner finds exactly the drift.
#[test]
fn plans_100k_devices_with_one_percent_drift() {
    const N: usize = 100_000;
    let owner = |d: DeviceRecord| d.with_tag("managedBy", "hub1");
    let base = |i: usize| {
        DeviceRecord::new(format!("device-{i:08}"))
            .with_credentials(Credentials::new(Secret::new(format!("k{i}")), None))
            .with_attribute("fw", "1.0")
    };
    let master: Vec<DeviceRecord> = (0..N).map(base).collect();
    // Drift: 1/3 missing in replica, 1/3 changed, 1/3 extra in replica.
    let mut replica = Vec::with_capacity(N);
    let (mut missing, mut changed, mut extra) = (0, 0, 0);
    for i in 0..N {
        match i % 100 {
            0 if i % 300 == 0 => missing += 1,
            0 if i % 300 == 100 => {
                changed += 1;
                replica.push(owner(base(i).with_attribute("fw", "0.9")));
            }
            0 => {
                extra += 1;
                replica.push(owner(base(i)));
                replica.push(owner(DeviceRecord::new(format!("stale-{i:08}"))));
            }
            _ => replica.push(owner(base(i))),
        }
    }
    let master = Snapshot::from_records(master).unwrap();
    let replica = Snapshot::from_records(replica).unwrap();
    let mut policy = Policy::new(Scope::tag("managedBy", "hub1"));
    policy.guard(MassDeleteGuard::new().max_fraction(0.01).min_count(0));
    let planner = Planner::new(&policy, Arc::new(DirectMapping)).unwrap();
    let started = Instant::now();
    let plan = planner.plan(&master, &replica).unwrap();
    let took = started.elapsed();
    let count = |name: &str| {
        plan.operations()
            .iter()
            .filter(|o| o.operation.name() == name)
            .count()
    };
    assert_eq!(
        (count("create"), count("update"), count("delete")),
        (missing, changed, extra)
    );
    assert_eq!(missing + changed + extra, N / 100);
    // Generous bound for unoptimised test builds; the release benchmark covers 1M.
    assert!(took.as_secs() < 10, "{took:?}");
}
