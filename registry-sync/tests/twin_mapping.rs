//! twin-model's twin → hawkBit mapping plugged into the engine: an IoT Hub
//! (testkit's simulator, through the IoT Hub connector) synced into hawkBit
//! (testkit's DDI simulator, through the Management API connector) with
//! [`TwinAttributes`]: attributes and metadata follow twin-model's policy
//! and limits, and what does not fit is reported, not sent.
#![cfg(all(feature = "iothub", feature = "hawkbit"))]

use std::sync::Arc;
use std::time::Duration;

use registry_sync::connectors::hawkbit::{HawkbitConfig, HawkbitRegistry};
use registry_sync::connectors::iothub::{ConnectionString, IotHubConfig, IotHubRegistry};
use registry_sync::model::Secret;
use registry_sync::plan::{Field, FieldSet, TwinAttributes};
use registry_sync::{DeviceId, Engine, ExternalRegistry, Planner, Policy, Scope};
use serde_json::json;
use testkit::ddi::{DdiServer, TenantConfig};
use testkit::iothub::IotHubServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hub_twins_become_hawkbit_attributes_and_metadata_under_twin_models_policy() {
    let hub_server = IotHubServer::start("twins");
    hub_server.seed([(
        "meter-7",
        json!({"site": {"name": "north", "floor": 3}, "owner": "ops"}),
    )]);
    let mut reported = json!({"firmware": {"version": "1.4.2"}, "blob": "z".repeat(200)});
    if let Some(obj) = reported.as_object_mut() {
        for i in 0..120 {
            obj.insert(format!("k{i:03}"), json!(i));
        }
        assert!(hub_server.report("meter-7", obj));
    }
    let cs = ConnectionString::parse(&hub_server.connection_string(None).expect("policy"))
        .expect("connection string");
    let hub = Arc::new(
        IotHubRegistry::new(IotHubConfig::new(cs).base_url(hub_server.url())).expect("hub"),
    );

    let ddi = DdiServer::builder()
        .tenant("DEFAULT", TenantConfig::with_gateway_token("gw"))
        .mgmt_user("DEFAULT", "admin", "pw")
        .start();
    let tenant = Arc::new(
        HawkbitRegistry::new(
            HawkbitConfig::new(ddi.url(), "DEFAULT", "admin", Secret::new("pw"))
                .gateway_token(Secret::new("gw"))
                .read_tokens(false)
                .request_timeout(Duration::from_secs(5))
                .connect_timeout(Duration::from_secs(2)),
        )
        .expect("hawkbit"),
    );

    let mapping = TwinAttributes::new();
    let mut policy = Policy::new(Scope::tag("managedBy", "twins"));
    policy.fields(FieldSet::all().without(Field::Credentials));
    let planner = Planner::new(&policy, Arc::new(mapping.clone())).expect("planner");
    let engine = Engine::builder(hub.clone(), tenant.clone(), planner)
        .build()
        .expect("engine");
    let report = engine.sync_once().await.expect("sync");
    assert_eq!((report.created, report.failed), (1, 0));

    let target = tenant
        .get(&DeviceId::new("meter-7"))
        .await
        .expect("get")
        .expect("created");
    // Attributes: twin-model's flattening, prefixes and 100-entry cap.
    assert_eq!(target.attributes.get("tags.site.name"), Some("north"));
    assert_eq!(target.attributes.get("tags.site.floor"), Some("3"));
    assert_eq!(
        target.attributes.get("reported.firmware.version"),
        Some("1.4.2")
    );
    assert_eq!(
        target.attributes.get("reported.blob"),
        None,
        "over 128 chars"
    );
    assert_eq!(target.attributes.len(), 100);
    // Metadata: one entry per top-level twin tag (nested values as JSON
    // text), plus the ownership tag.
    assert_eq!(
        target.tags.get("site"),
        Some(r#"{"floor":3,"name":"north"}"#)
    );
    assert_eq!(target.tags.get("owner"), Some("ops"));
    assert_eq!(target.tags.get("managedBy"), Some("twins"));

    // What was left out is reported by the mapping, for the operator.
    let master = hub
        .get(&DeviceId::new("meter-7"))
        .await
        .expect("get")
        .expect("exists");
    let explained = mapping.explain(&master);
    assert!(!explained.is_lossless());
    assert!(
        explained
            .attributes
            .dropped
            .iter()
            .any(|d| d.key == "reported.blob")
    );
    assert_eq!(
        explained.attributes.attributes.len(),
        100,
        "the same attributes the target got"
    );

    // Re-planning is stable: nothing to do.
    assert_eq!(engine.sync_once().await.expect("again").applied(), 0);
}
