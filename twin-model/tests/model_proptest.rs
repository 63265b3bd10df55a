//! proptest: every model round-trips through JSON, and no byte string
//! makes a decoder panic.

// Tests are exempt from unwrap_used (clippy.toml); this covers their helper fns.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use serde_json::{Map, Value};
use twin_model::aws::shadow::{
    SectionUpdate, ShadowDocument, ShadowState, ShadowUpdateRequest, UpdateState,
};
use twin_model::etag::ETag;
use twin_model::iothub::edge::{
    CreateOptions, EdgeModule, ModuleSettings, ModuleStatus, RestartPolicy,
};
use twin_model::iothub::import_export::{ExportImportDevice, ImportMode};
use twin_model::iothub::metadata::MetadataNode;
use twin_model::iothub::properties::{PropertySection, TwinProperties};
use twin_model::iothub::status::{AuthenticationType, ConnectionState, DeviceStatus};
use twin_model::iothub::twin::{Capabilities, Twin, X509Thumbprint};
use twin_model::timestamp::{Timestamp, UtcInstant};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        any::<bool>().prop_map(Value::Bool),
        (-1_000_000i64..1_000_000).prop_map(Value::from),
        "[a-zA-Z0-9 ]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::btree_map("[a-z]{1,3}", inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn json_map() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::btree_map("[a-z]{1,4}", json_value(), 0..4)
        .prop_map(|m| m.into_iter().collect())
}

fn timestamp() -> impl Strategy<Value = Timestamp> {
    prop_oneof![
        (0i64..4_000_000_000, 0u32..10_000_000).prop_map(|(secs, h)| Timestamp::from_instant(
            UtcInstant {
                secs,
                nanos: h * 100
            }
        )),
        Just(Timestamp::parse("0001-01-01T00:00:00")),
        Just(Timestamp::parse("2016-02-30T16:24:48.789Z")),
    ]
}

fn metadata() -> impl Strategy<Value = MetadataNode> {
    (timestamp(), proptest::option::of(0i64..100)).prop_map(|(t, v)| MetadataNode::stamped(t, v))
}

fn section() -> impl Strategy<Value = PropertySection> {
    (
        json_map(),
        proptest::option::of(metadata()),
        proptest::option::of(0i64..1000),
    )
        .prop_map(|(values, metadata, version)| PropertySection {
            values,
            metadata,
            version,
        })
}

fn twin() -> impl Strategy<Value = Twin> {
    (
        "[a-zA-Z0-9-]{1,12}",
        proptest::option::of("[a-z$]{1,8}"),
        proptest::option::of("[A-Za-z0-9=]{4,12}".prop_map(ETag::new)),
        proptest::option::of(prop_oneof![
            Just(DeviceStatus::Enabled),
            Just(DeviceStatus::Disabled),
            "[a-z]{3}".prop_map(DeviceStatus::from)
        ]),
        proptest::option::of(prop_oneof![
            Just(ConnectionState::Connected),
            Just(ConnectionState::Disconnected)
        ]),
        proptest::option::of(prop_oneof![
            Just(AuthenticationType::Sas),
            Just(AuthenticationType::SelfSigned),
            Just(AuthenticationType::CertificateAuthority),
            Just(AuthenticationType::None)
        ]),
        proptest::option::of(timestamp()),
        proptest::option::of(json_map()),
        proptest::option::of((
            proptest::option::of(section()),
            proptest::option::of(section()),
        )),
        proptest::option::of(any::<bool>()),
        proptest::option::of(0i64..1000),
    )
        .prop_map(
            |(id, module, etag, status, conn, auth, t, tags, props, edge, version)| Twin {
                device_id: id,
                module_id: module,
                etag,
                device_etag: Some(ETag::new("null")),
                version,
                status,
                status_reason: None,
                status_update_time: t.clone(),
                connection_state: conn,
                last_activity_time: t,
                cloud_to_device_message_count: Some(0),
                authentication_type: auth,
                x509_thumbprint: Some(X509Thumbprint::default()),
                model_id: Some(String::new()),
                capabilities: edge.map(|iot_edge| Capabilities { iot_edge }),
                device_scope: None,
                parent_scopes: None,
                attributes: None,
                tags,
                properties: props.map(|(desired, reported)| TwinProperties { desired, reported }),
            },
        )
}

fn section_update() -> impl Strategy<Value = SectionUpdate> {
    prop_oneof![
        Just(SectionUpdate::Clear),
        json_map().prop_map(SectionUpdate::Merge)
    ]
}

fn configuration() -> impl Strategy<Value = twin_model::iothub::configuration::Configuration> {
    use twin_model::iothub::configuration::{
        Configuration, ConfigurationContent, ConfigurationMetrics,
    };
    (
        "[a-z0-9-]{1,12}",
        proptest::option::of(json_map()),
        proptest::option::of(json_map()),
        "[a-z]{1,5}",
        -5i64..5,
        proptest::option::of(timestamp()),
        prop::collection::btree_map("[a-z]{1,4}", 0i64..100, 0..3),
    )
        .prop_map(
            |(id, device, modules, tag, priority, created, results)| Configuration {
                id: Some(id),
                schema_version: Some("1.0".into()),
                labels: Some([("team".to_owned(), tag.clone())].into_iter().collect()),
                content: ConfigurationContent {
                    device_content: device.map(|d| {
                        d.into_iter()
                            .map(|(k, v)| (format!("properties.desired.{k}"), v))
                            .collect()
                    }),
                    modules_content: modules,
                    module_content: None,
                },
                target_condition: Some(format!("tags.team = '{tag}'")),
                priority: Some(priority),
                created_time_utc: created,
                last_updated_time_utc: None,
                etag: Some(ETag::new("MQ==")),
                metrics: Some(ConfigurationMetrics {
                    queries: Default::default(),
                    results,
                }),
                system_metrics: None,
            },
        )
}

proptest! {
    #[test]
    fn configuration_round_trips(c in configuration()) {
        let text = serde_json::to_vec(&c).unwrap();
        prop_assert_eq!(twin_model::iothub::configuration::Configuration::from_json(&text).unwrap(), c);
    }

    #[test]
    fn ditto_thing_round_trips(attrs in proptest::option::of(json_map()), props in json_map(), desired in proptest::option::of(json_map()), id in "[a-z]{1,8}") {
        use twin_model::ditto::{Feature, Thing};
        let thing = Thing {
            thing_id: Some(format!("org.example:{id}")),
            policy_id: Some("org.example:policy".into()),
            definition: None,
            attributes: attrs,
            features: Some([(id.clone(), Feature { definition: None, properties: Some(props), desired_properties: desired })].into_iter().collect()),
            revision: Some(3),
            created: None,
            modified: None,
        };
        let text = serde_json::to_vec(&thing).unwrap();
        prop_assert_eq!(serde_json::from_slice::<Thing>(&text).unwrap(), thing);
    }

    #[test]
    fn documents_message_round_trips(prev in proptest::option::of(json_map()), cur in json_map(), v in 1u64..100, ts in any::<i64>()) {
        use twin_model::aws::shadow::{ShadowDocumentsMessage, ShadowSnapshot};
        let snap = |m: Option<Map<String, Value>>, version| ShadowSnapshot { state: ShadowState { desired: m, reported: None, delta: None }, metadata: None, version: Some(version) };
        let msg = ShadowDocumentsMessage { previous: prev.map(|p| snap(Some(p), v)), current: Some(snap(Some(cur), v + 1)), timestamp: Some(ts), client_token: Some("t".into()) };
        let text = serde_json::to_vec(&msg).unwrap();
        prop_assert_eq!(serde_json::from_slice::<ShadowDocumentsMessage>(&text).unwrap(), msg);
    }

    #[test]
    fn job_properties_round_trip(status in 0usize..9, progress in proptest::option::of(0i64..=100), sas in "[a-z0-9=&?]{0,20}") {
        use twin_model::iothub::job::{JobProperties, JobStatus, JobType, StorageAuthenticationType};
        use twin_model::iothub::secret::Secret;
        let statuses = [JobStatus::Unknown, JobStatus::Enqueued, JobStatus::Running, JobStatus::Completed, JobStatus::Failed,
            JobStatus::Cancelled, JobStatus::Scheduled, JobStatus::Queued, JobStatus::Other("paused".into())];
        let job = JobProperties {
            job_id: Some("j1".into()),
            kind: Some(JobType::Export),
            status: Some(statuses[status].clone()),
            progress,
            output_blob_container_uri: Some(Secret::new(format!("https://x.blob.core.windows.net/c?{sas}"))),
            exclude_keys_in_export: Some(true),
            storage_authentication_type: Some(StorageAuthenticationType::KeyBased),
            ..JobProperties::default()
        };
        let debug = format!("{job:?}");
        prop_assert!(!debug.contains("blob.core"));
        let text = serde_json::to_vec(&job).unwrap();
        prop_assert_eq!(serde_json::from_slice::<JobProperties>(&text).unwrap(), job);
    }

    #[test]
    fn twin_round_trips(t in twin()) {
        let text = serde_json::to_vec(&t).unwrap();
        prop_assert_eq!(Twin::from_json(&text).unwrap(), t);
    }

    #[test]
    fn import_line_round_trips(id in "[a-z0-9]{1,8}", mode in proptest::option::of(0usize..9), tags in proptest::option::of(json_map())) {
        let modes = [ImportMode::Create, ImportMode::CreateOrUpdate, ImportMode::CreateOrUpdateIfMatchETag, ImportMode::Update,
            ImportMode::UpdateIfMatchETag, ImportMode::Delete, ImportMode::DeleteIfMatchETag, ImportMode::UpdateTwin, ImportMode::UpdateTwinIfMatchETag];
        let line = ExportImportDevice { id, import_mode: mode.map(|m| modes[m].clone()), tags, e_tag: Some(ETag::new("MQ==")), ..ExportImportDevice::default() };
        let text = twin_model::decode::to_json_lines(std::slice::from_ref(&line)).unwrap();
        prop_assert!(String::from_utf8_lossy(&text).contains("\"eTag\""));
        prop_assert_eq!(ExportImportDevice::from_json_lines(&text).unwrap(), vec![line]);
    }

    #[test]
    fn shadow_update_round_trips(d in proptest::option::of(section_update()), r in proptest::option::of(section_update()), v in proptest::option::of(0u64..100), tok in proptest::option::of("[a-z]{1,10}")) {
        let req = ShadowUpdateRequest { state: UpdateState { desired: d, reported: r }, client_token: tok, version: v };
        let text = serde_json::to_vec(&req).unwrap();
        prop_assert_eq!(ShadowUpdateRequest::from_json(&text).unwrap(), req);
    }

    #[test]
    fn shadow_document_round_trips(d in proptest::option::of(json_map()), r in proptest::option::of(json_map()), v in proptest::option::of(0u64..100)) {
        let doc = ShadowDocument { state: ShadowState { desired: d, reported: r, delta: None }, version: v, ..ShadowDocument::default() };
        let text = serde_json::to_vec(&doc).unwrap();
        prop_assert_eq!(ShadowDocument::from_json(&text).unwrap(), doc);
    }

    #[test]
    fn edge_module_round_trips(image in "[a-z./:0-9]{1,20}", version in proptest::option::of("[0-9.]{1,5}"), order in proptest::option::of(any::<u32>()), opts in proptest::option::of(json_map())) {
        let m = EdgeModule {
            version,
            kind: "docker".into(),
            status: Some(ModuleStatus::Running),
            restart_policy: Some(RestartPolicy::OnUnhealthy),
            startup_order: order,
            image_pull_policy: None,
            env: None,
            settings: ModuleSettings { image, create_options: opts.map(|o| CreateOptions::from_json(&Value::Object(o))) },
        };
        let text = serde_json::to_vec(&m).unwrap();
        let back: EdgeModule = serde_json::from_slice(&text).unwrap();
        if let Some(o) = &back.settings.create_options {
            prop_assert!(o.parse().unwrap().is_object());
        }
        prop_assert_eq!(back, m);
    }

    #[test]
    fn decoders_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = Twin::from_json(&bytes);
        let _ = ShadowUpdateRequest::from_json(&bytes);
        let _ = ExportImportDevice::from_json_lines(&bytes);
        let _ = twin_model::iothub::event_grid::IotHubEvent::decode_batch(&bytes);
        let _ = twin_model::iothub::edge::EdgeDeploymentManifest::from_json(&bytes);
        let _ = <twin_model::hawkbit::ddi::DeploymentBase as twin_model::hawkbit::ddi::Document>::from_json(&bytes);
    }

    #[test]
    fn twin_text_mutations_never_panic(t in twin(), cut in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut text = serde_json::to_vec(&t).unwrap();
        let i = cut.index(text.len());
        text[i] = byte;
        if let Ok(twin) = Twin::from_json(&text) {
            let _ = twin_model::validate::twin::validate_twin(&twin);
        }
    }
}
