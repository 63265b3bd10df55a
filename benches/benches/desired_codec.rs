//! Decode plus encode of desired-state's documents with our models, against
//! parsing the same bytes into `serde_json::Value` and writing them back in
//! the same run (issue 7; no numeric goal, the figure is the ratio).
//!
//! Three documents at the benchmark's scale of 1,000 components across the
//! five harness domains, each in its envelope as it travels over MQTT:
//!
//! * `desired_codec_desired_state`: the desired state the cloud publishes;
//! * `desired_codec_feedback`: the manager's feedback with one action per
//!   component (statuses, progress, messages);
//! * `desired_codec_inventory`: the merged current-state inventory (a
//!   hardware node, a root and 200 components per domain, associations).
//!
//! `cargo bench -p benches --bench desired_codec`, then
//! `cargo run -p benches --bin ratios` prints the ratios.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use desired_state::model::{
    Action, ActionStatus, Association, ComponentRef, Config, DesiredState, Envelope, Feedback,
    HardwareNode, Inventory, SoftwareNode, SoftwareType, Status,
};
use desired_state::mqtt::harness::{DOMAINS, desired_state};
use std::hint::black_box;

const COMPONENTS: usize = 1_000;
const STAMP: i64 = 1_716_200_000_000;

fn feedback() -> Feedback {
    let actions = (0..COMPONENTS)
        .map(|i| {
            let mut a = Action::new(
                ComponentRef::new(format!("component-{i}"), "1.0.0"),
                ActionStatus::UpdateSuccess,
            )
            .with_message("update completed successfully");
            a.progress = 100;
            a
        })
        .collect();
    Feedback::new(Status::Running)
        .with_message("activating")
        .with_actions(actions)
}

fn inventory() -> Inventory {
    let mut inv = Inventory {
        hardware_nodes: vec![HardwareNode {
            id: "device".into(),
            version: "rev-b".into(),
            name: "Edge gateway".into(),
            parameters: Config::new().with("serial", "SN-0001").with("cpu", "arm64"),
            addressable: false,
        }],
        ..Inventory::default()
    };
    for d in DOMAINS {
        let root = format!("{d}:update-agent");
        inv.software_nodes.push(SoftwareNode {
            id: root.clone(),
            version: "0.1.0".into(),
            name: format!("{d} update agent"),
            parameters: Config::new().with("domain", d),
            kind: Some(SoftwareType::Application),
        });
        inv.associations.push(Association::new("device", root));
    }
    for i in 0..COMPONENTS {
        let d = DOMAINS[i % DOMAINS.len()];
        let id = format!("{d}:component-{i}");
        inv.software_nodes.push(SoftwareNode {
            id: id.clone(),
            version: "1.0.0".into(),
            name: format!("component-{i}"),
            parameters: Config::new().with("status", "Running").with(
                "image",
                format!("registry.example.com/{d}/component-{i}:1.0.0"),
            ),
            kind: Some(SoftwareType::Container),
        });
        inv.associations
            .push(Association::new(format!("{d}:update-agent"), id));
    }
    inv
}

/// One group: our typed decode + encode of `$payload`'s envelope against
/// `serde_json::Value` on the same bytes. A macro rather than a generic
/// function so that this crate needs no direct serde dependency.
macro_rules! pair {
    ($c:expr, $group:expr, $ty:ty, $payload:expr) => {{
        let bytes = Envelope::new("activity-1", STAMP, $payload).to_vec();
        // The typed side must decode the very bytes it is timed on.
        assert!(
            Envelope::<$ty>::from_slice(&bytes).is_ok(),
            "{}: our decode",
            $group
        );
        let mut g = $c.benchmark_group($group);
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function("ours", |b| {
            b.iter(|| {
                let env = Envelope::<$ty>::from_slice(black_box(&bytes))
                    .unwrap_or_else(|e| panic!("{e}"));
                black_box(env.to_vec())
            });
        });
        g.bench_function("serde_json_value", |b| {
            b.iter(|| {
                let v: serde_json::Value =
                    serde_json::from_slice(black_box(&bytes)).unwrap_or_else(|e| panic!("{e}"));
                black_box(serde_json::to_vec(&v).unwrap_or_default())
            });
        });
        g.finish();
    }};
}

fn benches(c: &mut Criterion) {
    pair!(
        c,
        "desired_codec_desired_state",
        DesiredState,
        desired_state(COMPONENTS)
    );
    pair!(c, "desired_codec_feedback", Feedback, feedback());
    pair!(c, "desired_codec_inventory", Inventory, inventory());
}

criterion_group!(codec, benches);
criterion_main!(codec);
