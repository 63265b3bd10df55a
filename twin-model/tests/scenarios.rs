//! End-to-end scenarios over the vectors: patches applied to real
//! documents, old Event Grid shapes, every authentication kind, query
//! pages of twins, import-line validation.

// Tests are exempt from unwrap_used (clippy.toml); this covers their helper fns.
#![allow(clippy::unwrap_used)]

use serde_json::{Map, Value, json};
use twin_model::aws::shadow::{ShadowDocument, ShadowUpdateRequest};
use twin_model::iothub::event_grid::{EventType, IotHubEvent};
use twin_model::iothub::identity::{AuthenticationMechanism, DeviceIdentity};
use twin_model::iothub::import_export::ExportImportDevice;
use twin_model::iothub::query::{QueryItems, QueryPage};
use twin_model::iothub::status::AuthenticationType;
use twin_model::iothub::twin::{Twin, TwinPatch};
use twin_model::patch::shadow::apply_shadow_update;
use twin_model::patch::twin::apply_twin_patch;
use twin_model::timestamp::Timestamp;
use twin_model::validate::{self, Rule};

fn strip_nulls(m: &Map<String, Value>) -> Map<String, Value> {
    m.iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| match v {
            Value::Object(o) => (k.clone(), Value::Object(strip_nulls(o))),
            other => (k.clone(), other.clone()),
        })
        .collect()
}

#[test]
fn shadow_vectors_chain_initial_update_stored() {
    let Some(dir) = testkit::vectors::dir("twin") else {
        return;
    };
    let mut doc =
        ShadowDocument::from_json(&dir.file("aws-shadow-initial-reported-only.json").bytes())
            .unwrap();
    let req = ShadowUpdateRequest::from_json(
        &dir.file("aws-shadow-update-request-desired-with-null-delete.json")
            .bytes(),
    )
    .unwrap();
    let stored = ShadowDocument::from_json(
        &dir.file("aws-shadow-stored-document-after-update.json")
            .bytes(),
    )
    .unwrap();
    let out = apply_shadow_update(&mut doc, &req, 1_700_000_000).unwrap();
    assert_eq!(doc.version, stored.version);
    // The Greengrass fixture keeps `"b": null`; the cloud removes it.
    assert_eq!(
        doc.state.desired,
        stored.state.desired.as_ref().map(strip_nulls)
    );
    assert_eq!(doc.state.reported, stored.state.reported);
    let delta = out.delta.unwrap();
    assert_eq!(
        Value::Object(delta.state),
        json!({"color": {"g": 0}, "temperature": 70})
    );
    assert_eq!(delta.client_token.as_deref(), Some("device"));
}

#[test]
fn twin_patch_vector_applies_as_documented() {
    let Some(dir) = testkit::vectors::dir("twin") else {
        return;
    };
    let patch: TwinPatch = serde_json::from_slice(
        &dir.file("iothub-twin-patch-desired-null-removes.json")
            .bytes(),
    )
    .unwrap();
    validate::twin::validate_patch(&patch).unwrap();
    let mut twin: Twin = serde_json::from_value(json!({
        "deviceId": "d", "version": 2,
        "properties": {"desired": {"existingProperty": "old", "otherOldProperty": 1, "untouched": true, "$version": 5}}
    }))
    .unwrap();
    apply_twin_patch(
        &mut twin,
        &patch,
        &Timestamp::parse("2024-01-01T00:00:00.0000000Z"),
    )
    .unwrap();
    assert_eq!(
        Value::Object(twin.desired().cloned().unwrap()),
        json!({"existingProperty": "otherNewValue", "newProperty": {"nestedProperty": "newValue"}, "untouched": true})
    );
    let desired = twin.properties.as_ref().unwrap().desired.as_ref().unwrap();
    assert_eq!(desired.version, Some(6));
    let meta = desired.metadata.as_ref().unwrap();
    assert!(meta.get(&["newProperty", "nestedProperty"]).is_some());
    assert!(meta.get(&["otherOldProperty"]).is_none());
    assert_eq!(twin.version, Some(3));
}

#[test]
fn old_event_grid_shape_with_op_type_decodes() {
    // 2018 payloads carried data.opType and data.operationTimestamp.
    let body = br#"[{"id":"1","topic":"/x","subject":"devices/d1","eventType":"Microsoft.Devices.DeviceDeleted",
      "eventTime":"2018-01-02T19:17:44.4383997Z","data":{"twin":{"deviceId":"d1","etag":"AAAAAAAAAAE=","properties":{}},
      "hubName":"h","deviceId":"d1","operationTimestamp":"2018-01-02T19:17:44.4383997Z","opType":"DeviceDeleted"},
      "dataVersion":"","metadataVersion":"1"}]"#;
    let events = IotHubEvent::decode_batch(body).unwrap();
    assert_eq!(events[0].event_type(), &EventType::DeviceDeleted);
    assert_eq!(events[0].data().op_type.as_deref(), Some("DeviceDeleted"));
    assert!(
        events[0]
            .data()
            .operation_timestamp
            .as_ref()
            .unwrap()
            .instant()
            .is_some()
    );
    let original: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(original, serde_json::to_value(&events).unwrap());
    // A single (non-array) event and an unknown type decode too.
    let single = br#"{"id":"2","source":"/x","type":"Microsoft.Devices.SomethingNew","specversion":"1.0","data":{}}"#;
    let e = IotHubEvent::decode_batch(single).unwrap();
    assert_eq!(
        e[0].event_type(),
        &EventType::Other("Microsoft.Devices.SomethingNew".into())
    );
}

#[test]
fn every_authentication_kind_round_trips_and_validates() {
    let kinds = [
        (
            AuthenticationMechanism::sas("AAAAAAAAAAAAAAAAAAAAAA==", "BBBBBBBBBBBBBBBBBBBBBB=="),
            AuthenticationType::Sas,
        ),
        (
            AuthenticationMechanism::self_signed("ABCDEF0123456789ABCDEF0123456789ABCDEF01", None),
            AuthenticationType::SelfSigned,
        ),
        (
            AuthenticationMechanism::certificate_authority(),
            AuthenticationType::CertificateAuthority,
        ),
        (AuthenticationMechanism::none(), AuthenticationType::None),
    ];
    for (auth, kind) in kinds {
        let device = DeviceIdentity {
            device_id: "dev-1".into(),
            authentication: Some(auth),
            ..DeviceIdentity::default()
        };
        let text = serde_json::to_string(&device).unwrap();
        assert!(
            !format!("{device:?}").contains("AAAAAAAAAAAAAAAAAAAAAA=="),
            "keys must not reach Debug output"
        );
        let back: DeviceIdentity = serde_json::from_str(&text).unwrap();
        assert_eq!(back, device);
        assert_eq!(back.authentication.unwrap().kind, Some(kind));
        validate::twin::validate_identity(&device).unwrap();
    }
    let bad = DeviceIdentity {
        device_id: "dev 1".into(),
        authentication: Some(AuthenticationMechanism::sas("short", "***")),
        ..DeviceIdentity::default()
    };
    let rules: Vec<Rule> = validate::twin::validate_identity(&bad)
        .unwrap_err()
        .0
        .into_iter()
        .map(|v| v.rule)
        .collect();
    assert!(matches!(rules[0], Rule::InvalidId { .. }));
    assert_eq!(rules[1..], [Rule::KeyNotBase64, Rule::KeyNotBase64]);
}

#[test]
fn import_vector_keys_are_flagged_as_the_readme_predicts() {
    let Some(dir) = testkit::vectors::dir("twin") else {
        return;
    };
    let lines = ExportImportDevice::from_json_lines(
        &dir.file("iothub-import-devices-mixed-modes.jsonl").bytes(),
    )
    .unwrap();
    for line in &lines {
        let e = validate::twin::validate_import_line(line).unwrap_err();
        assert!(
            e.iter()
                .all(|v| matches!(v.rule, Rule::KeyLength { .. } | Rule::KeyNotBase64)),
            "{e}"
        );
    }
}

#[test]
fn query_pages_of_twins_and_rows() {
    let body = br#"[{"deviceId":"a","tags":{"x":1}},{"deviceId":"b"}]"#;
    let page = QueryPage::decode("Twin", Some("token-1"), body).unwrap();
    let QueryItems::Twins(twins) = page.items else {
        panic!("expected twins")
    };
    assert_eq!(twins.len(), 2);
    assert_eq!(page.continuation.as_deref(), Some("token-1"));
    let rows = QueryPage::decode("raw", Some(""), br#"[{"n":1}]"#).unwrap();
    assert!(matches!(rows.items, QueryItems::Rows(_)));
    assert_eq!(rows.continuation, None);
    assert!(QueryPage::decode("twin", None, b"{").is_err());
}
