//! Property tests: encode/decode round trips, the topic rule, and a manager
//! that never panics and ends every activity once, whatever the agents send.
// Helpers outside #[test] functions are not covered by clippy.toml's test exemption.
#![allow(clippy::unwrap_used)]

use desired_state::manager::{CloudMessage, Manager, ManagerConfig, ManagerOutput};
use desired_state::model::OwnerConsent;
use desired_state::model::ditto::{ApplyValue, ConsentValue, FeedbackValue, ThingId};
use desired_state::model::software_updatable::{
    Artifact, Checksums, InstallRequest, Link, OperationStatus, OperationStatusKind,
    SoftwareModuleAction, SoftwareModuleId, SoftwareUpdatableStatus,
};
use desired_state::model::{
    Action, ActionStatus, Association, Baseline, Command, CommandKind, Component, ComponentRef,
    Config, DesiredState, Domain, Envelope, Feedback, Inventory, KeyValue, SoftwareNode,
    SoftwareType, Status,
};
use proptest::prelude::*;

fn text() -> impl Strategy<Value = String> {
    prop_oneof!["[a-z0-9:._-]{0,8}", "\\PC{0,6}"]
}

fn config() -> impl Strategy<Value = Config> {
    prop::collection::vec(
        (text(), text()).prop_map(|(k, v)| KeyValue::new(k, v)),
        0..4,
    )
    .prop_map(Config)
}

fn component() -> impl Strategy<Value = Component> {
    (text(), text(), config()).prop_map(|(id, version, config)| Component {
        id,
        version,
        config,
    })
}

fn desired_state() -> impl Strategy<Value = DesiredState> {
    let baseline = (text(), text(), text(), prop::collection::vec(text(), 0..3)).prop_map(
        |(title, description, preconditions, components)| Baseline {
            title,
            description,
            preconditions,
            components,
        },
    );
    let domain = (text(), config(), prop::collection::vec(component(), 0..4)).prop_map(
        |(id, config, components)| Domain {
            id,
            config,
            components,
        },
    );
    (
        prop::collection::vec(baseline, 0..3),
        prop::collection::vec(domain, 0..3),
    )
        .prop_map(|(baselines, domains)| DesiredState { baselines, domains })
}

fn status() -> impl Strategy<Value = Status> {
    prop_oneof![
        prop::sample::select(Status::KNOWN.to_vec()),
        "[A-Z_]{1,12}".prop_map(Status::from)
    ]
}

fn action_status() -> impl Strategy<Value = ActionStatus> {
    prop_oneof![
        prop::sample::select(ActionStatus::KNOWN.to_vec()),
        "[A-Z_]{1,12}".prop_map(ActionStatus::from)
    ]
}

fn feedback() -> impl Strategy<Value = Feedback> {
    let action = (
        text(),
        text(),
        prop::option::of(action_status()),
        0u8..=100,
        text(),
    )
        .prop_map(|(id, v, status, progress, message)| Action {
            component: ComponentRef::new(id, v),
            status,
            progress,
            message,
        });
    (
        text(),
        prop::option::of(status()),
        text(),
        prop::collection::vec(action, 0..4),
    )
        .prop_map(|(baseline, status, message, actions)| Feedback {
            baseline,
            status,
            message,
            actions,
        })
}

fn inventory() -> impl Strategy<Value = Inventory> {
    let node = (
        text(),
        text(),
        text(),
        config(),
        prop::option::of(prop::sample::select(SoftwareType::KNOWN.to_vec())),
    )
        .prop_map(|(id, version, name, parameters, kind)| SoftwareNode {
            id,
            version,
            name,
            parameters,
            kind,
        });
    let assoc = (text(), text()).prop_map(|(s, t)| Association::new(s, t));
    (
        prop::collection::vec(node, 0..4),
        prop::collection::vec(assoc, 0..3),
    )
        .prop_map(|(software_nodes, associations)| Inventory {
            software_nodes,
            associations,
            ..Inventory::default()
        })
}

fn install_request() -> impl Strategy<Value = InstallRequest> {
    let checksums =
        (text(), text(), text()).prop_map(|(md5, sha1, sha256)| Checksums { md5, sha1, sha256 });
    let link = (text(), text()).prop_map(|(url, md5url)| Link { url, md5url });
    let artifact = (
        text(),
        any::<u64>(),
        prop::collection::btree_map("[A-Z]{2,5}", link, 0..3),
        checksums,
    )
        .prop_map(|(filename, size, download, checksums)| Artifact {
            filename,
            size,
            download,
            checksums,
        });
    let module = ((text(), text()), prop::collection::vec(artifact, 0..3)).prop_map(
        |((name, version), artifacts)| SoftwareModuleAction {
            software_module: SoftwareModuleId { name, version },
            artifacts,
            meta_data: Default::default(),
        },
    );
    (
        text(),
        any::<i64>(),
        any::<bool>(),
        prop::collection::vec(module, 0..3),
    )
        .prop_map(
            |(correlation_id, weight, forced, software_modules)| InstallRequest {
                correlation_id,
                weight,
                forced,
                software_modules,
                ..InstallRequest::default()
            },
        )
}

fn value_round_trip<
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
>(
    v: T,
) {
    let bytes = serde_json::to_vec(&v).unwrap();
    let back: T = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(back, v);
    assert_eq!(
        serde_json::to_vec(&back).unwrap(),
        bytes,
        "encoding is canonical"
    );
}

fn round_trip<T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug>(
    env: Envelope<T>,
) {
    let bytes = env.to_vec();
    let back = Envelope::<T>::from_slice(&bytes).unwrap();
    assert_eq!(back, env);
    assert_eq!(back.to_vec(), bytes, "encoding is canonical");
}

proptest! {
    #[test]
    fn ditto_values_round_trip(fb in feedback(), ds in desired_state(), id in text(), ts in any::<i64>(), cid in text()) {
        let thing = ThingId { namespace: "ns".into(), name: "dev".into() };
        value_round_trip(thing.feedback(FeedbackValue { activity_id: id.clone(), timestamp: ts, desired_state_feedback: fb }));
        value_round_trip(ApplyValue { activity_id: id.clone(), timestamp: ts, desired_state: Some(ds) });
        let consent = ConsentValue { activity_id: id, timestamp: ts, owner_consent: OwnerConsent { command: Some(CommandKind::Update) } };
        let msg = thing.consent_request(&cid, consent);
        prop_assert_eq!(msg.correlation_id(), Some(cid.as_str()));
        value_round_trip(msg);
    }

    #[test]
    fn software_updatable_round_trips(req in install_request(), status in "[A-Z_]{1,20}", progress in 0u8..=100) {
        value_round_trip(req.clone());
        let op = OperationStatus {
            correlation_id: req.correlation_id,
            status: Some(OperationStatusKind::from(status)),
            progress,
            ..OperationStatus::default()
        };
        value_round_trip(SoftwareUpdatableStatus { last_operation: Some(op), ..SoftwareUpdatableStatus::default() });
    }

    #[test]
    fn desired_state_round_trips(ds in desired_state(), id in text(), ts in any::<i64>()) {
        round_trip(Envelope::new(id, ts, ds));
    }

    #[test]
    fn feedback_round_trips(fb in feedback(), id in text(), ts in any::<i64>()) {
        round_trip(Envelope::new(id, ts, fb));
    }

    #[test]
    fn inventory_round_trips(inv in inventory(), id in text()) {
        round_trip(Envelope::new(id, 0, inv));
    }

    #[test]
    fn command_round_trips(kind in "[A-Z]{1,10}", baseline in text()) {
        round_trip(Envelope::new("a", 1, Command { command: Some(CommandKind::from(kind)), baseline }));
    }

    #[test]
    fn statuses_keep_any_text(s in "\\PC{0,20}") {
        let status = Status::from(s.as_str());
        let action = ActionStatus::from(s.as_str());
        prop_assert_eq!(status.as_str(), s.as_str());
        prop_assert_eq!(action.as_str(), s.as_str());
    }

    #[test]
    fn topic_prefix_has_no_dash_and_ends_with_update(domain in "\\PC{0,16}") {
        let p = desired_state::topic::prefix(&domain);
        prop_assert!(!p.contains('-'));
        prop_assert!(p.ends_with("update"));
        prop_assert_eq!(desired_state::topic::prefix(&p), p.clone(), "idempotent");
    }

    #[test]
    fn decoders_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = Envelope::<DesiredState>::from_slice(&bytes);
        let _ = Envelope::<Feedback>::from_slice(&bytes);
        let mut m = Manager::new(ManagerConfig::with_agents(["a"]));
        m.handle_publish(0, "deviceupdate/desiredstate", &bytes);
        m.handle_publish(0, "aupdate/desiredstatefeedback", &bytes);
        prop_assert!(m.drain_outputs().count() >= 1);
    }

    /// Whatever two agents report, in any order, with timeouts in between,
    /// the activity ends with exactly one final status.
    #[test]
    fn every_activity_ends_exactly_once(
        events in prop::collection::vec((0usize..2, prop::sample::select(Status::KNOWN.to_vec()), any::<bool>()), 0..40)
    ) {
        let mut cfg = ManagerConfig::with_agents(["a", "b"]);
        cfg.owner_consent_commands = vec![CommandKind::Update];
        let mut m = Manager::new(cfg);
        let ds = DesiredState {
            baselines: vec![],
            domains: vec![Domain::new("a", vec![Component::new("x", "1")]), Domain::new("b", vec![Component::new("y", "1")])],
        };
        m.handle_desired_state(0, Envelope::new("p", 0, ds));
        let mut finals = 0;
        let mut now = 0;
        let count = |m: &mut Manager| m.drain_outputs().filter(|o| matches!(o,
            ManagerOutput::ToCloud(c @ CloudMessage::Feedback(e)) if e.activity_id == "p" && c.status().is_some_and(Status::is_final))).count();
        for (d, status, tick) in events {
            let domain = ["a", "b"][d];
            let actions = vec![Action::new(ComponentRef::new(format!("{domain}:x"), "1"), ActionStatus::Identified)];
            m.handle_agent_feedback(now, domain, Envelope::new("p", now, Feedback::new(status).with_actions(actions)));
            if tick {
                now += 700_000;
                m.handle_timeout(now);
            }
            finals += count(&mut m);
        }
        // Past every deadline the activity must be over.
        for _ in 0..4 {
            now += 3_600_000;
            m.handle_timeout(now);
            finals += count(&mut m);
        }
        prop_assert_eq!(finals, 1);
        prop_assert_eq!(m.activity_id(), None);
    }
}
