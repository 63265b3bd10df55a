//! The Event Grid decoder against the captured vectors and generated events.

use proptest::prelude::*;
use registry_sync::connectors::event_grid::{EventGridMessage, decode_event_grid};
use registry_sync::model::ChangeKind;
use serde_json::{Value, json};

fn changes(body: &[u8]) -> Vec<registry_sync::model::ChangeEvent> {
    decode_event_grid(body)
        .expect("body decodes")
        .into_iter()
        .map(|r| match r.expect("element decodes") {
            EventGridMessage::Change(c) => *c,
            other => panic!("unexpected {other:?}"),
        })
        .collect()
}

#[test]
fn every_event_grid_vector_decodes() {
    let Some(dir) = testkit::vectors::dir("twin") else {
        return;
    };
    for v in dir.with_prefix("eventgrid-") {
        let events = changes(&v.bytes());
        assert!(!events.is_empty(), "{}", v.name());
        for e in events {
            let want = if v.name().contains("devicecreated") {
                ChangeKind::Created
            } else if v.name().contains("deviceconnected") {
                ChangeKind::Connected
            } else {
                panic!("no expectation for {}", v.name())
            };
            assert_eq!(e.kind, want, "{}", v.name());
            assert_eq!(e.device.as_str(), "LogicAppTestDevice", "{}", v.name());
            assert_eq!(e.source.as_deref(), Some("egtesthub1"), "{}", v.name());
            assert!(
                e.order.time().is_some(),
                "{}: 7-digit fractions parse",
                v.name()
            );
            if want == ChangeKind::Created {
                let twin = e.record.as_ref().expect("created events carry the twin");
                assert_eq!(twin.etag.as_ref().map(|t| t.as_str()), Some("AAAAAAAAAAE="));
                assert!(twin.status.is_enabled());
                assert!(twin.reported.is_empty(), "$version/$metadata are dropped");
            } else {
                let seq = e
                    .order
                    .sequence()
                    .expect("connection events carry a sequence");
                assert_eq!(seq.len(), 64, "{}", v.name());
            }
        }
    }
}

#[test]
fn both_envelopes_decode_to_the_same_event() {
    let Some(dir) = testkit::vectors::dir("twin") else {
        return;
    };
    let grid = changes(&dir.file("eventgrid-iothub-devicecreated.json").bytes());
    let cloud = changes(
        &dir.file("eventgrid-iothub-devicecreated-cloudevents.json")
            .bytes(),
    );
    assert_eq!(grid, cloud);
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "[a-zA-Z./:-]{0,12}".prop_map(Value::String),
        Just(json!("Microsoft.Devices.DeviceCreated")),
        Just(json!("1.0")),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(
                prop_oneof![
                    Just("id".to_owned()),
                    Just("eventType".to_owned()),
                    Just("type".to_owned()),
                    Just("specversion".to_owned()),
                    Just("data".to_owned()),
                    Just("deviceId".to_owned()),
                    Just("twin".to_owned()),
                    Just("subject".to_owned()),
                    "[a-z]{1,6}",
                ],
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn arbitrary_json_never_panics(v in json_value()) {
        let body = serde_json::to_vec(&v).unwrap();
        let _ = decode_event_grid(&body);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = decode_event_grid(&bytes);
    }

    /// Events written in either envelope decode back to what was written.
    #[test]
    fn generated_events_round_trip(
        id in "[a-f0-9-]{1,36}",
        device in "[A-Za-z0-9._:-]{1,20}",
        created in any::<bool>(),
        cloud in any::<bool>(),
        secs in 0i64..4_000_000_000,
        tag in proptest::option::of("[a-z]{1,5}"),
    ) {
        let event_type = if created { "Microsoft.Devices.DeviceCreated" } else { "Microsoft.Devices.DeviceDeleted" };
        let time = time::OffsetDateTime::from_unix_timestamp(secs).unwrap();
        let time_text = time.format(&time::format_description::well_known::Rfc3339).unwrap();
        let mut twin = json!({"deviceId": device, "etag": "AAAA", "status": "enabled", "properties": {"reported": {"$version": 1}}});
        if let Some(t) = &tag {
            twin["tags"] = json!({ "t": t });
        }
        let data = json!({"hubName": "h", "deviceId": device, "twin": twin});
        let event = if cloud {
            json!({"id": id, "source": "/x", "subject": format!("devices/{device}"), "type": event_type, "time": time_text, "data": data, "specversion": "1.0"})
        } else {
            json!({"id": id, "topic": "/x", "subject": format!("devices/{device}"), "eventType": event_type, "eventTime": time_text, "data": data, "dataVersion": "1", "metadataVersion": "1"})
        };
        let body = serde_json::to_vec(&json!([event])).unwrap();
        let got = changes(&body);
        prop_assert_eq!(got.len(), 1);
        let e = &got[0];
        prop_assert_eq!(&e.id, &id);
        prop_assert_eq!(e.device.as_str(), device.as_str());
        prop_assert_eq!(&e.kind, if created { &ChangeKind::Created } else { &ChangeKind::Deleted });
        prop_assert_eq!(e.order.time(), Some(std::time::SystemTime::from(time)));
        let rec = e.record.as_ref().unwrap();
        prop_assert_eq!(rec.tags.get("t"), tag.as_deref());
    }
}

#[test]
fn every_lifecycle_route_vector_decodes() {
    use registry_sync::connectors::lifecycle::{LifecycleProperties, decode_lifecycle};
    let Some(dir) = testkit::vectors::dir("twin") else {
        return;
    };
    for v in dir.with_prefix("iothub-lifecycle-notification-") {
        let module = v.name().contains("module");
        let op = if module {
            "createModuleIdentity"
        } else {
            "createDeviceIdentity"
        };
        let mut props = LifecycleProperties::new(op);
        props.hub_name = Some("hub");
        props.operation_timestamp = Some("2016-02-30T16:24:48.789Z");
        let e = decode_lifecycle(&props, &v.bytes())
            .unwrap_or_else(|err| panic!("{}: {err}", v.name()));
        assert_eq!(
            e.device.as_str(),
            "11576-ailn-test-0-67333793211",
            "{}",
            v.name()
        );
        // The impossible date is kept out of the order, not fatal.
        assert_eq!(e.order.time(), None, "{}", v.name());
        if module {
            assert_eq!(e.kind, ChangeKind::Other("createModuleIdentity".into()));
            assert!(e.record.is_none());
        } else {
            assert_eq!(e.kind, ChangeKind::Created);
            let twin = e.record.expect("device notifications carry the twin");
            assert_eq!(twin.etag.as_ref().map(|t| t.as_str()), Some("AAAAAAAAAAE="));
        }
    }
}
