//! Mappings: deployments and feedback over the DDI vectors, Edge modules
//! over the manifest vectors, Ditto over its vector, attribute and
//! metadata policies and their reverse.

// Tests are exempt from unwrap_used (clippy.toml); this covers their helper fns.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use twin_model::aws::shadow::SectionUpdate;
use twin_model::aws::topic::ShadowName;
use twin_model::ditto::ProtocolMessage;
use twin_model::hawkbit::ddi::{ActionFeedback, ActionId, DeploymentBase, Document, Status};
use twin_model::iothub::edge::EdgeDeploymentManifest;
use twin_model::iothub::twin::Twin;
use twin_model::mapping::attributes::{
    AttributeOptions, DropReason, ValueOverflow, attributes_to_twin, twin_to_attributes,
};
use twin_model::mapping::deployment::{
    DeploymentProgress, ProgressState, deployment_from_desired, deployment_to_patch,
};
use twin_model::mapping::ditto_shadow::ditto_to_shadow_updates;
use twin_model::mapping::edge_modules::{
    EDGE_MODULE_TYPE, modules_to_software_modules, software_modules_to_modules,
};
use twin_model::mapping::tags::{
    METADATA_PREFIX, metadata_to_tags, tags_to_metadata, tags_to_target_tags,
};
use twin_model::patch::twin::apply_twin_patch;
use twin_model::timestamp::Timestamp;
use twin_model::validate;

#[test]
fn every_ddi_deployment_round_trips_through_a_twin() {
    let Some(dir) = testkit::vectors::dir("ddi") else {
        return;
    };
    let now = Timestamp::parse("2024-01-01T00:00:00.0000000Z");
    let mut twin = Twin::new("device-1");
    let mut previous: Option<DeploymentBase> = None;
    for v in dir.with_prefix("deployment-base_") {
        let mut original = DeploymentBase::from_json(&v.bytes()).unwrap();
        original.action_history = None;
        let patch = deployment_to_patch(&original).unwrap();
        validate::twin::validate_patch(&patch).unwrap_or_else(|e| panic!("{}: {e}", v.name()));
        // Applied on top of the previous deployment, the patch must leave
        // exactly this deployment behind.
        apply_twin_patch(&mut twin, &patch, &now).unwrap();
        validate::twin::validate_twin(&twin).unwrap_or_else(|e| panic!("{}: {e}", v.name()));
        let back = deployment_from_desired(twin.desired().unwrap()).unwrap();
        assert_eq!(back, original, "{}", v.name());
        assert_ne!(previous.as_ref(), Some(&back));
        previous = Some(back);
    }
    // Round trip in the other order too (the richer one first).
    let mut twin = Twin::new("device-2");
    for v in dir.with_prefix("deployment-base_").iter().rev() {
        let mut original = DeploymentBase::from_json(&v.bytes()).unwrap();
        original.action_history = None;
        apply_twin_patch(&mut twin, &deployment_to_patch(&original).unwrap(), &now).unwrap();
        assert_eq!(
            deployment_from_desired(twin.desired().unwrap()).unwrap(),
            original,
            "{}",
            v.name()
        );
    }
}

#[test]
fn ddi_feedback_round_trips_through_reported_progress() {
    let Some(dir) = testkit::vectors::dir("ddi") else {
        return;
    };
    for v in dir
        .with_prefix("feedback_")
        .into_iter()
        .filter(|v| !v.name().contains("INVALID"))
    {
        let fb = ActionFeedback::from_json(&v.bytes()).unwrap();
        let progress = DeploymentProgress::from_feedback(&ActionId::from(8), &fb).unwrap();
        let reported = progress.to_reported_patch().unwrap();
        let again = DeploymentProgress::from_reported(&reported).unwrap();
        assert_eq!(again.to_feedback(), fb, "{}", v.name());
    }
    for v in dir.with_prefix("status_") {
        let status: Status = serde_json::from_slice(&v.bytes()).unwrap();
        let mut fb = ActionFeedback::new(status.execution.clone(), status.result.finished.clone());
        fb.status = status;
        let progress = DeploymentProgress::from_feedback(&ActionId::from(8), &fb).unwrap();
        assert_eq!(progress.state, ProgressState::Installing);
        assert_eq!(progress.to_feedback(), fb, "{}", v.name());
    }
}

#[test]
fn edge_manifest_modules_round_trip_as_software_modules() {
    let Some(dir) = testkit::vectors::dir("twin") else {
        return;
    };
    for v in dir.with_prefix("iothub-edge-deployment-manifest-") {
        let manifest = EdgeDeploymentManifest::from_json(&v.bytes()).unwrap();
        let sms = modules_to_software_modules(&manifest.edge_agent.modules).unwrap();
        assert_eq!(sms.len(), manifest.edge_agent.modules.len());
        for sm in &sms {
            assert_eq!(sm.module_type, EDGE_MODULE_TYPE);
            assert!(
                sm.metadata.iter().any(|e| e.key == "edge.image"),
                "{}",
                v.name()
            );
        }
        assert_eq!(
            software_modules_to_modules(&sms).unwrap(),
            manifest.edge_agent.modules,
            "{}",
            v.name()
        );
    }
}

#[test]
fn ditto_modify_thing_becomes_shadow_updates() {
    let Some(dir) = testkit::vectors::dir("twin") else {
        return;
    };
    let msg =
        ProtocolMessage::from_json(&dir.file("ditto-protocol-modify-thing.json").bytes()).unwrap();
    let cmds = ditto_to_shadow_updates(&msg, "fancy-thing_53").unwrap();
    // attributes: clear then write; accelerometer: reported clear+write, desired clear+write.
    assert_eq!(cmds.len(), 6);
    assert_eq!(cmds[0].shadow, ShadowName::Classic);
    assert_eq!(
        serde_json::to_value(&cmds[0].request).unwrap(),
        json!({"state": {"reported": {"attributes": null}}})
    );
    assert_eq!(
        serde_json::to_value(&cmds[1].request).unwrap(),
        json!({"state": {"reported": {"attributes": {"location": {"latitude": 44.673856, "longitude": 8.261719}}}}})
    );
    assert_eq!(cmds[2].shadow, ShadowName::Named("accelerometer".into()));
    assert!(matches!(
        cmds[2].request.state.reported,
        Some(SectionUpdate::Clear)
    ));
    assert_eq!(
        serde_json::to_value(&cmds[3].request).unwrap(),
        json!({"state": {"reported": msg.value.as_ref().unwrap()["features"]["accelerometer"]["properties"]}})
    );
    assert_eq!(
        serde_json::to_value(&cmds[5].request).unwrap(),
        json!({"state": {"desired": {"x": 4, "y": 3, "z": 5, "unit": "g"}}})
    );
    for c in &cmds {
        assert!(validate::shadow::validate_update(&c.request).is_ok());
    }
    // A nested merge is one update; a bad thing name is refused.
    let merge: ProtocolMessage = serde_json::from_value(json!({"topic": "ns/t/things/twin/commands/merge", "path": "/features/fw/properties/state", "value": {"phase": "done"}})).unwrap();
    let cmds = ditto_to_shadow_updates(&merge, "t").unwrap();
    assert_eq!(cmds.len(), 1);
    assert_eq!(
        serde_json::to_value(&cmds[0].request).unwrap(),
        json!({"state": {"reported": {"state": {"phase": "done"}}}})
    );
    assert!(ditto_to_shadow_updates(&merge, "bad name").is_err());
    let live: ProtocolMessage =
        serde_json::from_value(json!({"topic": "ns/t/things/live/commands/modify", "path": "/"}))
            .unwrap();
    assert!(ditto_to_shadow_updates(&live, "t").is_err());
}

#[test]
fn attribute_overflow_policy_is_deterministic_and_reported() {
    let mut tags = Map::new();
    for i in 0..60 {
        tags.insert(format!("t{i:03}"), json!(i));
    }
    tags.insert("long".into(), json!("v".repeat(129)));
    tags.insert("k".repeat(130), json!(1));
    let mut reported = Map::new();
    for i in 0..60 {
        reported.insert(
            format!("r{i:03}"),
            json!({"nested": {"deep": format!("x{i}")}}),
        );
    }
    let opts = AttributeOptions::default();
    let m = twin_to_attributes(Some(&tags), Some(&reported), &opts);
    assert_eq!(m.attributes.len(), 100);
    assert!(m.attributes.contains_key("tags.t059"));
    assert_eq!(m.attributes["reported.r000.nested.deep"], "x0");
    assert_eq!(m.attributes["tags.t007"], "7");
    let reasons: Vec<(&str, DropReason)> = m
        .dropped
        .iter()
        .map(|d| (d.key.as_str(), d.reason))
        .collect();
    assert_eq!(reasons[0].1, DropReason::KeyTooLong);
    assert_eq!(reasons[1], ("tags.long", DropReason::ValueTooLong));
    assert_eq!(reasons.len(), 2 + 20);
    assert!(
        reasons[2..]
            .iter()
            .all(|(k, r)| *r == DropReason::OverLimit && k.starts_with("reported.r"))
    );
    assert_eq!(m, twin_to_attributes(Some(&tags), Some(&reported), &opts));
    let t = twin_to_attributes(
        Some(&tags),
        None,
        &AttributeOptions {
            value_overflow: ValueOverflow::Truncate,
            ..AttributeOptions::default()
        },
    );
    assert_eq!(t.attributes["tags.long"].chars().count(), 128);
    assert_eq!(t.truncated, ["tags.long"]);
    assert!(!t.is_lossless());
}

#[test]
fn target_tags_and_metadata() {
    let tags = json!({"env": "prod", "site": {"building": 4, "floor": "2"}, "big": {"a": "x".repeat(3000), "b": "y".repeat(3000)}});
    let tags = tags.as_object().unwrap();
    let names = tags_to_target_tags(tags);
    assert!(names.names.contains(&"env=prod".to_owned()));
    assert!(names.names.contains(&"site.floor=2".to_owned()));
    assert_eq!(names.dropped.len(), 2);
    let md = tags_to_metadata(tags, METADATA_PREFIX);
    let keys: Vec<&str> = md.entries.iter().map(|e| e.key.as_str()).collect();
    // `big` does not fit 4000 characters and is split one level deeper.
    assert_eq!(
        keys,
        [
            "twin.tags.big.a",
            "twin.tags.big.b",
            "twin.tags.env",
            "twin.tags.site"
        ]
    );
    assert!(md.dropped.is_empty());
    assert_eq!(
        &metadata_to_tags(&md.entries, METADATA_PREFIX).unwrap(),
        tags
    );
}

fn tree() -> impl Strategy<Value = Map<String, Value>> {
    let leaf = prop_oneof![
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(Value::from),
        "\\PC{0,10}".prop_map(Value::String),
        Just(json!({})),
        prop::collection::vec(any::<i8>().prop_map(Value::from), 0..3).prop_map(Value::Array),
    ];
    let value = leaf.prop_recursive(3, 16, 3, |inner| {
        prop::collection::btree_map("[a-zA-Z0-9_-]{1,4}", inner, 1..3)
            .prop_map(|m| Value::Object(m.into_iter().collect()))
    });
    prop::collection::btree_map("[a-zA-Z0-9_-]{1,4}", value, 0..5)
        .prop_map(|m| m.into_iter().collect())
}

proptest! {
    #[test]
    fn attributes_reverse_is_exact_when_lossless(tags in tree(), reported in tree()) {
        let opts = AttributeOptions::default();
        let m = twin_to_attributes(Some(&tags), Some(&reported), &opts);
        for (k, v) in &m.attributes {
            prop_assert!(k.encode_utf16().count() <= 128 && v.encode_utf16().count() <= 128);
        }
        prop_assert!(m.attributes.len() <= 100);
        if m.is_lossless() {
            let back = attributes_to_twin(&m.attributes, &opts).unwrap();
            prop_assert_eq!(back.tags, tags);
            prop_assert_eq!(back.reported, reported);
            prop_assert!(back.unmapped.is_empty());
        }
    }

    #[test]
    fn metadata_reverse_is_exact_when_nothing_dropped(tags in tree()) {
        let md = tags_to_metadata(&tags, METADATA_PREFIX);
        for e in &md.entries {
            prop_assert!(e.key.encode_utf16().count() <= 128 && e.value.encode_utf16().count() <= 4000);
        }
        if md.is_lossless() {
            prop_assert_eq!(metadata_to_tags(&md.entries, METADATA_PREFIX).unwrap(), tags);
        }
    }

    #[test]
    fn progress_feedback_round_trip(state in 0usize..9, cnt in proptest::option::of(0u32..10), code in proptest::option::of(any::<i32>())) {
        let states = [ProgressState::Downloading, ProgressState::Downloaded, ProgressState::Installing, ProgressState::Scheduled,
            ProgressState::Resumed, ProgressState::Success, ProgressState::Failure, ProgressState::Canceled, ProgressState::Rejected];
        let p = DeploymentProgress { action_id: "1".into(), state: states[state], progress: cnt.map(|c| twin_model::hawkbit::ddi::Progress { cnt: c, of: Some(10) }), code, details: vec!["d".into()] };
        prop_assert_eq!(DeploymentProgress::from_feedback(&"1".into(), &p.to_feedback()).unwrap(), p);
    }
}

#[test]
fn unprefixed_attributes_are_reported_as_unmapped() {
    let mut attrs = BTreeMap::new();
    attrs.insert("VIN".to_owned(), "JH4TB2H26CC000000".to_owned());
    attrs.insert("tags.env".to_owned(), "prod".to_owned());
    let back = attributes_to_twin(&attrs, &AttributeOptions::default()).unwrap();
    assert_eq!(back.unmapped.len(), 1);
    assert_eq!(back.tags["env"], "prod");
}

fn deployment_strategy() -> impl Strategy<Value = DeploymentBase> {
    use twin_model::hawkbit::ddi::{
        Artifact, ArtifactLinks, Chunk, Deployment, Handling, Hashes, Link, MaintenanceWindow,
        Metadata,
    };
    let relation = prop_oneof![
        Just("download"),
        Just("download-http"),
        Just("md5sum"),
        Just("md5sum-http"),
        Just("mirror"),
    ];
    let links = prop::collection::btree_map(
        relation.prop_map(str::to_owned),
        "https://[a-z]{1,8}\\.example/[a-z./]{1,20}".prop_map(Link::new),
        0..4,
    );
    let artifact = (
        "[a-zA-Z0-9._ -]{1,16}",
        proptest::option::of(0u64..1 << 40),
        proptest::option::of(proptest::option::of("[0-9a-f]{40}")),
        links,
    )
        .prop_map(|(filename, size, sha1, links)| {
            let mut a = Artifact::new(filename);
            a.size = size;
            a.hashes = sha1.map(|sha1| Hashes {
                sha1,
                md5: None,
                sha256: Some("ab".repeat(32)),
            });
            a.links = ArtifactLinks(links);
            a
        });
    let chunk = (
        "[a-zA-Z]{1,6}",
        "[0-9.]{1,6}",
        "[a-z ]{1,10}",
        proptest::option::of(any::<bool>()),
        prop::collection::vec(artifact, 0..3),
        prop::collection::vec(
            ("[a-z]{1,5}", "\\PC{0,10}").prop_map(|(key, value)| Metadata { key, value }),
            0..2,
        ),
    )
        .prop_map(|(part, version, name, encrypted, artifacts, metadata)| {
            let mut c = Chunk::new(part, name, version);
            c.encrypted = encrypted;
            c.artifacts = artifacts;
            c.metadata = metadata;
            c
        });
    let handling = proptest::option::of(prop_oneof![
        Just(Handling::Skip),
        Just(Handling::Attempt),
        Just(Handling::Forced)
    ]);
    let window = proptest::option::of(prop_oneof![
        Just(MaintenanceWindow::Available),
        Just(MaintenanceWindow::Unavailable)
    ]);
    (
        "[0-9]{1,6}",
        handling.clone(),
        handling,
        window,
        prop::collection::vec(chunk, 0..3),
    )
        .prop_map(|(id, download, update, maintenance_window, chunks)| {
            let d = Deployment {
                download,
                update,
                maintenance_window,
                chunks,
            };
            DeploymentBase::new(id, d)
        })
}

proptest! {
    #[test]
    fn any_deployment_round_trips_through_desired_properties(first in deployment_strategy(), second in deployment_strategy()) {
        let now = Timestamp::parse("2024-01-01T00:00:00Z");
        let mut twin = Twin::new("d");
        apply_twin_patch(&mut twin, &deployment_to_patch(&first).unwrap(), &now).unwrap();
        prop_assert_eq!(&deployment_from_desired(twin.desired().unwrap()).unwrap(), &first);
        // A later deployment replaces the earlier one exactly.
        apply_twin_patch(&mut twin, &deployment_to_patch(&second).unwrap(), &now).unwrap();
        prop_assert_eq!(&deployment_from_desired(twin.desired().unwrap()).unwrap(), &second);
        prop_assert!(validate::twin::validate_twin(&twin).is_ok());
    }
}

#[test]
fn attributes_hawkbit_would_refuse_for_their_characters_are_dropped_and_reported() {
    let tags = json!({"site": "Zürich", "größe": "L", "ok": "plain-ASCII (v1.2) #3"});
    let reported = json!({"fw": "1.0", "emoji": "✓"});
    let m = twin_to_attributes(
        tags.as_object(),
        reported.as_object(),
        &AttributeOptions::default(),
    );
    assert_eq!(
        m.attributes.keys().map(String::as_str).collect::<Vec<_>>(),
        ["reported.fw", "tags.ok"]
    );
    let mut dropped: Vec<(&str, DropReason)> = m
        .dropped
        .iter()
        .map(|d| (d.key.as_str(), d.reason))
        .collect();
    dropped.sort_by_key(|(k, _)| *k);
    assert_eq!(
        dropped,
        [
            ("reported.emoji", DropReason::UnsupportedCharacters),
            ("tags.größe", DropReason::UnsupportedCharacters),
            ("tags.site", DropReason::UnsupportedCharacters),
        ]
    );
    assert!(!m.is_lossless());
    // What is kept passes hawkBit's check character by character.
    assert!(
        m.attributes
            .iter()
            .all(|(k, v)| twin_model::hawkbit::target::is_attribute_text(k)
                && twin_model::hawkbit::target::is_attribute_text(v))
    );
}
