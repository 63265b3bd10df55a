//! Every file of `shared/vectors/twin` decodes into its model and re-encodes
//! to the same JSON (compared as values); negative files fail clearly.

// Tests are exempt from unwrap_used (clippy.toml); this covers their helper fns.
#![allow(clippy::unwrap_used)]

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use twin_model::aws::shadow::{
    CLIENT_TOKEN_MAX_BYTES, ShadowDeltaMessage, ShadowDocument, ShadowUpdateRequest,
};
use twin_model::ditto::ProtocolMessage;
use twin_model::hawkbit::ddi::ConfigData;
use twin_model::hawkbit::target::{Tag, Target};
use twin_model::iothub::configuration::Configuration;
use twin_model::iothub::edge::EdgeDeploymentManifest;
use twin_model::iothub::event_grid::IotHubEvent;
use twin_model::iothub::import_export::ExportImportDevice;
use twin_model::iothub::query::{QueryItems, QueryPage};
use twin_model::iothub::twin::{Twin, TwinPatch};
use twin_model::validate;

/// Decodes as `T` and re-encodes; returns both JSON values.
fn round_trip<T: DeserializeOwned + Serialize>(bytes: &[u8]) -> (Value, Value) {
    let original: Value = serde_json::from_slice(bytes).expect("vector is json");
    let model: T = serde_json::from_slice(bytes).expect("decodes into the model");
    let again = serde_json::to_value(&model).expect("encodes");
    (original, again)
}

fn assert_round_trip<T: DeserializeOwned + Serialize>(name: &str, bytes: &[u8]) {
    let (original, again) = round_trip::<T>(bytes);
    assert_eq!(original, again, "{name} does not re-encode equivalently");
}

fn assert_lines_round_trip(name: &str, bytes: &[u8]) {
    let devices = ExportImportDevice::from_json_lines(bytes).expect("lines decode");
    let text = std::str::from_utf8(bytes).unwrap();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), devices.len(), "{name}");
    for (line, device) in lines.iter().zip(&devices) {
        let original: Value = serde_json::from_str(line).unwrap();
        assert_eq!(
            original,
            serde_json::to_value(device).unwrap(),
            "{name}: {line}"
        );
    }
}

/// The model for each file, chosen by name prefix. Every file must match
/// exactly one rule, so a new vector cannot slip through untested.
fn check(name: &str, bytes: &[u8]) {
    match name {
        n if n.starts_with("iothub-export-devices") || n.starts_with("iothub-import-devices") => {
            assert_lines_round_trip(n, bytes);
        }
        n if n.starts_with("iothub-export-device-with-twin") => {
            assert_round_trip::<ExportImportDevice>(n, bytes)
        }
        n if n.starts_with("iothub-lifecycle-notification-") => {
            assert_round_trip::<Twin>(n, bytes);
            let twin = Twin::from_json(bytes).unwrap();
            assert!(validate::twin::validate_twin(&twin).is_ok(), "{n}");
        }
        n if n.starts_with("iothub-twin-patch-") => assert_round_trip::<TwinPatch>(n, bytes),
        n if n.starts_with("iothub-edge-deployment-manifest-") => {
            assert_round_trip::<EdgeDeploymentManifest>(n, bytes)
        }
        n if n.starts_with("iothub-adm-configuration-") => {
            assert_round_trip::<Configuration>(n, bytes)
        }
        n if n.starts_with("iothub-query-") => {
            let page = QueryPage::decode("raw", None, bytes).unwrap();
            let QueryItems::Rows(rows) = page.items else {
                panic!("{n}: expected rows")
            };
            let original: Value = serde_json::from_slice(bytes).unwrap();
            assert_eq!(original, serde_json::to_value(rows).unwrap(), "{n}");
        }
        n if n.starts_with("iothub-module-twins-") => {
            // The CLI fixture wraps real module twins and a configuration.
            let doc: Value = serde_json::from_slice(bytes).unwrap();
            let twins = doc["moduleTwins"].as_array().expect("moduleTwins");
            assert!(!twins.is_empty());
            for t in twins {
                let twin: Twin = serde_json::from_value(t.clone()).unwrap();
                assert!(twin.module_id.is_some(), "{n}");
                assert!(validate::twin::validate_twin(&twin).is_ok(), "{n}");
                assert_eq!(t, &serde_json::to_value(&twin).unwrap(), "{n}");
            }
            let cfg: Configuration = serde_json::from_value(doc["configuration"].clone()).unwrap();
            assert_eq!(
                doc["configuration"],
                serde_json::to_value(&cfg).unwrap(),
                "{n}"
            );
        }
        n if n.starts_with("eventgrid-") => {
            let events = IotHubEvent::decode_batch(bytes).unwrap();
            let original: Value = serde_json::from_slice(bytes).unwrap();
            assert_eq!(original, serde_json::to_value(&events).unwrap(), "{n}");
            for e in &events {
                assert!(e.device_id().is_some(), "{n}");
                if let Some(twin) = &e.data().twin {
                    assert!(validate::twin::validate_twin(twin).is_ok(), "{n}");
                }
            }
        }
        n if n.starts_with("aws-shadow-") && n.contains("invalid") => {
            let req = ShadowUpdateRequest::from_json(bytes).unwrap();
            let errors = validate::shadow::validate_update(&req).expect_err(n);
            assert!(!errors.is_empty(), "{n}");
        }
        n if n.starts_with("aws-shadow-") && n.contains("schema") => {
            // Greengrass' JSON Schema for /update: its limits must be ours.
            let schema: Value = serde_json::from_slice(bytes).unwrap();
            let max = schema["properties"]["clientToken"]["maxLength"]
                .as_u64()
                .unwrap();
            assert_eq!(usize::try_from(max).unwrap(), CLIENT_TOKEN_MAX_BYTES, "{n}");
        }
        n if n.starts_with("aws-shadow-update-request") => {
            assert_round_trip::<ShadowUpdateRequest>(n, bytes);
            let req = ShadowUpdateRequest::from_json(bytes).unwrap();
            assert!(validate::shadow::validate_update(&req).is_ok(), "{n}");
        }
        n if n.starts_with("aws-shadow-update-delta") => {
            assert_round_trip::<ShadowDeltaMessage>(n, bytes)
        }
        n if n.starts_with("aws-shadow-") => assert_round_trip::<ShadowDocument>(n, bytes),
        n if n.starts_with("ditto-protocol-") => {
            assert_round_trip::<ProtocolMessage>(n, bytes);
            let msg = ProtocolMessage::from_json(bytes).unwrap();
            let thing: twin_model::ditto::Thing =
                serde_json::from_value(msg.value.clone().unwrap()).unwrap();
            assert_eq!(
                msg.value.unwrap(),
                serde_json::to_value(&thing).unwrap(),
                "{n}"
            );
        }
        n if n.starts_with("hawkbit-ddi-configdata") => assert_round_trip::<ConfigData>(n, bytes),
        n if n.starts_with("hawkbit-mgmt-target") => assert_round_trip::<Target>(n, bytes),
        n if n.starts_with("hawkbit-mgmt-tag") => assert_round_trip::<Tag>(n, bytes),
        n => panic!("no decoder rule for vector {n}"),
    }
}

#[test]
fn every_twin_vector_decodes_and_re_encodes() {
    let Some(dir) = testkit::vectors::dir("twin") else {
        return;
    };
    let all = dir.all();
    assert!(all.len() >= 20, "expected the full twin vector set");
    for prefix in ["iothub-", "eventgrid-", "aws-shadow-", "ditto-", "hawkbit-"] {
        for v in dir.with_prefix(prefix) {
            check(v.name(), &v.bytes());
        }
    }
    for v in &all {
        let known = ["iothub-", "eventgrid-", "aws-shadow-", "ditto-", "hawkbit-"]
            .iter()
            .any(|p| v.name().starts_with(p));
        assert!(known, "vector {} has no known prefix", v.name());
    }
}

#[test]
fn messy_values_decode() {
    let Some(dir) = testkit::vectors::dir("twin") else {
        return;
    };
    let events =
        IotHubEvent::decode_batch(&dir.file("eventgrid-iothub-devicecreated.json").bytes())
            .unwrap();
    let twin = events[0].data().twin.as_ref().unwrap();
    assert!(twin.device_etag.as_ref().unwrap().is_null_literal());
    assert!(twin.status_update_time.as_ref().unwrap().is_never());
    let reported = twin.properties.as_ref().unwrap().reported.as_ref().unwrap();
    let at = reported
        .metadata
        .as_ref()
        .unwrap()
        .last_updated
        .as_ref()
        .unwrap();
    assert_eq!(at.instant().unwrap().nanos, 438_399_700);
    let body = Twin::from_json(
        &dir.file("iothub-lifecycle-notification-create-device-body.json")
            .bytes(),
    )
    .unwrap();
    let desired = body.properties.unwrap().desired.unwrap();
    assert_eq!(
        desired.metadata.unwrap().last_updated.unwrap().instant(),
        None
    );
    let lines = ExportImportDevice::from_json_lines(
        &dir.file("iothub-import-devices-mixed-modes.jsonl").bytes(),
    )
    .unwrap();
    let modes: Vec<_> = lines
        .iter()
        .map(|l| l.effective_import_mode().to_string())
        .collect();
    assert_eq!(modes, ["delete", "createOrUpdate", "create"]);
}

#[test]
fn enum_casing_varies() {
    let twin: Twin = serde_json::from_str(
        r#"{"deviceId":"d","status":"Enabled","connectionState":"connected","authenticationType":"SelfSigned"}"#,
    )
    .unwrap();
    let out = serde_json::to_value(&twin).unwrap();
    assert_eq!(out["status"], "enabled");
    assert_eq!(out["connectionState"], "Connected");
    assert_eq!(out["authenticationType"], "selfSigned");
    let odd: Twin = serde_json::from_str(r#"{"deviceId":"d","status":"suspended"}"#).unwrap();
    assert_eq!(serde_json::to_value(&odd).unwrap()["status"], "suspended");
}
