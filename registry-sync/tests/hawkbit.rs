//! The hawkBit connector against testkit's DDI simulator with its Management
//! API: the engine syncing a memory hub into a tenant and back, soft delete,
//! several hubs in one tenant, faults, DDI use of created targets, secrets,
//! the change feed, and the captured hawkBit vectors.
#![cfg(feature = "hawkbit")]

mod common;

use registry_sync::hawkbit::model::{ConfigData, ConfigDataMode, Tag, Target};
use registry_sync::hawkbit::{HawkbitChangeFeed, HawkbitConfig, HawkbitRegistry, TargetMapping};
use registry_sync::journal::MemoryJournal;
use registry_sync::{
    ChangeEvent, ChangeKind, Credentials, DeviceId, DeviceRecord, DeviceStatus, DirectMapping,
    Engine, EngineConfig, ErrorKind, EventSource, ExternalRegistry, MemoryRegistry, Planner,
    Policy, Precondition, Removal, RetryPolicy, Scope, Secret,
};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use testkit::ddi::{DdiServer, Fault, FaultRule, RouteKind, TenantConfig};

const ADMIN: &str = "admin";
const PASSWORD: &str = "mgmt-password-0815";
const GATEWAY: &str = "gateway-token-4711";

fn server() -> DdiServer {
    DdiServer::builder()
        .tenant("DEFAULT", TenantConfig::with_gateway_token(GATEWAY))
        .mgmt_user("DEFAULT", ADMIN, PASSWORD)
        .start()
}

fn config(server: &DdiServer) -> HawkbitConfig {
    HawkbitConfig::new(&server.url(), "DEFAULT", ADMIN, Secret::new(PASSWORD))
        .expect("config")
        .with_gateway_token(Secret::new(GATEWAY))
        .with_timeouts(Duration::from_secs(5), Duration::from_secs(2))
}

fn hawkbit(server: &DdiServer) -> Arc<HawkbitRegistry> {
    Arc::new(HawkbitRegistry::new(config(server)).expect("registry"))
}

fn fast_retries() -> EngineConfig {
    let mut c = EngineConfig::new();
    c.retry(RetryPolicy::new(
        8,
        Duration::from_millis(10),
        Duration::from_millis(100),
        Duration::from_secs(20),
    ))
    .concurrency(4);
    c
}

fn engine(
    master: Arc<dyn ExternalRegistry>,
    replica: Arc<dyn ExternalRegistry>,
    policy: Policy,
) -> Engine {
    Engine::new(
        master,
        replica,
        Planner::new(policy, Arc::new(DirectMapping)),
        Arc::new(MemoryJournal::new()),
        fast_retries(),
    )
}

fn keyed(id: &str, token: &str) -> DeviceRecord {
    DeviceRecord::new(id).with_credentials(Credentials::new(Secret::new(token), None))
}

/// A raw Management API call, as an operator's tooling would make it.
async fn mgmt(
    server: &DdiServer,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .request(method, format!("{}{path}", server.mgmt_url()))
        .basic_auth(ADMIN, Some(PASSWORD));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.expect("mgmt request");
    let status = r.status().as_u16();
    let text = r.text().await.expect("mgmt body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// A Management API `POST` that must answer 201 Created.
async fn post_created(server: &DdiServer, path: &str, body: Value) {
    let (status, answer) = mgmt(server, reqwest::Method::POST, path, Some(body)).await;
    assert_eq!(status, 201, "POST {path}: {answer}");
}

async fn metadata_of(server: &DdiServer, id: &str) -> BTreeMap<String, String> {
    let (status, page) = mgmt(
        server,
        reqwest::Method::GET,
        &format!("/targets/{id}/metadata"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{page}");
    page["content"]
        .as_array()
        .expect("content")
        .iter()
        .map(|e| {
            (
                e["key"].as_str().unwrap_or_default().to_owned(),
                e["value"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

async fn drop_server(server: DdiServer) {
    tokio::task::spawn_blocking(move || drop(server))
        .await
        .expect("server stopped");
}

#[tokio::test]
async fn hub_into_hawkbit_creates_updates_and_deletes() {
    let server = server();
    let hub = Arc::new(MemoryRegistry::new("hub"));
    hub.seed([
        keyed("sensor-1", "token-sensor-1")
            .with_tag("env", "prod")
            .with_attribute("fw", "1.0"),
        keyed("sensor-2", "token-sensor-2").with_attribute("hw", "rev-2 (A)"),
        keyed("sensor-3", "token-sensor-3"),
    ]);
    let tenant = hawkbit(&server);
    let e = engine(
        hub.clone(),
        tenant.clone(),
        Policy::new(Scope::tag("managedBy", "hub-eu1")),
    );

    let report = e.sync_once().await.expect("first sync");
    assert_eq!((report.created, report.failed), (3, 0));
    assert_eq!(server.controller_count("DEFAULT"), 3);
    // metadata carries the tags and the ownership tag
    let md = metadata_of(&server, "sensor-1").await;
    assert_eq!(md.get("env").map(String::as_str), Some("prod"));
    assert_eq!(md.get("managedBy").map(String::as_str), Some("hub-eu1"));
    // attributes went through DDI configData and show in the Management API
    let (status, attrs) = mgmt(
        &server,
        reqwest::Method::GET,
        "/targets/sensor-1/attributes",
        None,
    )
    .await;
    assert_eq!((status, attrs), (200, json!({"fw": "1.0"})));
    let (_, target) = mgmt(&server, reqwest::Method::GET, "/targets/sensor-2", None).await;
    assert_eq!(target["securityToken"], "token-sensor-2");
    // what was written reads back equal: nothing left to do
    assert_eq!(e.sync_once().await.expect("second sync").applied(), 0);

    // the hub changes: a tag, an attribute, a device gone
    hub.seed([keyed("sensor-1", "token-sensor-1")
        .with_tag("env", "dev")
        .with_attribute("fw", "1.1")]);
    hub.delete(&DeviceId::new("sensor-3"), &Precondition::Any)
        .await
        .expect("hub delete");
    let report = e.sync_once().await.expect("third sync");
    assert_eq!((report.updated, report.deleted, report.failed), (1, 1, 0));
    assert_eq!(
        metadata_of(&server, "sensor-1")
            .await
            .get("env")
            .map(String::as_str),
        Some("dev")
    );
    let s1 = tenant
        .get(&DeviceId::new("sensor-1"))
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(s1.attributes.get("fw"), Some("1.1"));
    assert!(server.controller("sensor-3").is_none());
    assert_eq!(e.sync_once().await.expect("fourth sync").applied(), 0);
    drop_server(server).await;
}

#[tokio::test]
async fn soft_delete_tags_the_target_and_keeps_it() {
    let server = server();
    let hub = Arc::new(MemoryRegistry::new("hub"));
    hub.seed([keyed("gone-1", "token-gone-1").with_tag("site", "berlin")]);
    let tenant = hawkbit(&server);
    let mut policy = Policy::new(Scope::tag("managedBy", "hub-eu1"));
    policy.removal(Removal::Disable {
        reason: "removed from hub-eu1".into(),
    });
    let e = engine(hub.clone(), tenant.clone(), policy);
    assert_eq!(e.sync_once().await.expect("create").created, 1);

    hub.delete(&DeviceId::new("gone-1"), &Precondition::Any)
        .await
        .expect("hub delete");
    let report = e.sync_once().await.expect("soft delete");
    assert_eq!((report.disabled, report.failed), (1, 0));
    let d = tenant
        .get(&DeviceId::new("gone-1"))
        .await
        .expect("get")
        .expect("kept");
    assert_eq!(d.status, DeviceStatus::disabled("removed from hub-eu1"));
    assert_eq!(d.tags.get("site"), Some("berlin"), "metadata kept");
    let (_, tags) = mgmt(&server, reqwest::Method::GET, "/targets/gone-1/tags", None).await;
    assert_eq!(tags[0]["name"], "disabled");
    let md = metadata_of(&server, "gone-1").await;
    assert_eq!(
        md.get("registrySync.disabledReason").map(String::as_str),
        Some("removed from hub-eu1")
    );
    // the target and its token are still there
    let poll = reqwest::Client::new()
        .get(server.controller_url("gone-1"))
        .header("Authorization", "TargetToken token-gone-1")
        .send()
        .await
        .expect("poll");
    assert_eq!(poll.status(), 200);
    assert_eq!(e.sync_once().await.expect("again").applied(), 0);

    // an operator deletes the tag: gone-1 looks enabled again, so the next
    // sync disables it again, making the tag anew
    let tag_id = tags[0]["id"].as_u64().expect("tag id");
    let (status, _) = mgmt(
        &server,
        reqwest::Method::DELETE,
        &format!("/targettags/{tag_id}"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    hub.seed([keyed("gone-2", "token-gone-2")]);
    let report = e.sync_once().await.expect("create gone-2");
    assert_eq!((report.created, report.disabled, report.failed), (1, 1, 0));
    let (_, tags) = mgmt(&server, reqwest::Method::GET, "/targets/gone-1/tags", None).await;
    let new_tag = tags[0]["id"].as_u64();
    assert_eq!(tags[0]["name"], "disabled");
    assert_ne!(new_tag, Some(tag_id), "a new tag");
    hub.delete(&DeviceId::new("gone-2"), &Precondition::Any)
        .await
        .expect("hub delete");
    let report = e.sync_once().await.expect("soft delete gone-2");
    assert_eq!((report.disabled, report.failed), (1, 0));
    let (_, tags) = mgmt(&server, reqwest::Method::GET, "/targets/gone-2/tags", None).await;
    assert_eq!(tags[0]["id"].as_u64(), new_tag);

    // the device comes back: enabled again, tag and reason gone
    hub.seed([keyed("gone-1", "token-gone-1").with_tag("site", "berlin")]);
    assert_eq!(e.sync_once().await.expect("revive").updated, 1);
    let d = tenant
        .get(&DeviceId::new("gone-1"))
        .await
        .expect("get")
        .expect("kept");
    assert!(d.status.is_enabled());
    assert!(
        !metadata_of(&server, "gone-1")
            .await
            .contains_key("registrySync.disabledReason")
    );
    drop_server(server).await;
}

#[tokio::test]
async fn hawkbit_as_master_fills_a_memory_replica() {
    let server = server();
    post_created(&server, "/targets", json!([{"controllerId": "gw-1", "name": "Gateway 1", "securityToken": "token-gw-1"}, {"controllerId": "gw-2"}])).await;
    post_created(
        &server,
        "/targets/gw-1/metadata",
        json!([{"key": "site", "value": "hamburg"}]),
    )
    .await;
    // the device itself reports attributes over DDI
    let put = reqwest::Client::new()
        .put(format!("{}/configData", server.controller_url("gw-1")))
        .header("Authorization", "TargetToken token-gw-1")
        .json(&json!({"mode": "merge", "data": {"VIN": "JH4TB2H26CC000000"}}))
        .send()
        .await
        .expect("configData");
    assert_eq!(put.status(), 200);

    let tenant = hawkbit(&server);
    let replica = Arc::new(MemoryRegistry::new("replica"));
    let e = engine(
        tenant,
        replica.clone(),
        Policy::new(Scope::tag("source", "hawkbit")),
    );
    assert_eq!(e.sync_once().await.expect("sync").created, 2);
    let snap = replica.snapshot();
    let gw1 = snap.get("gw-1").expect("gw-1");
    assert_eq!(gw1.tags.get("site"), Some("hamburg"));
    assert_eq!(gw1.attributes.get("VIN"), Some("JH4TB2H26CC000000"));
    assert_eq!(
        gw1.credentials.as_ref().map(Credentials::expose_primary),
        Some("token-gw-1")
    );
    // hawkBit generated a 32-hex token for gw-2
    let generated = snap
        .get("gw-2")
        .and_then(|d| d.credentials.clone())
        .expect("generated token");
    assert_eq!(generated.expose_primary().len(), 32);
    assert_eq!(e.sync_once().await.expect("again").applied(), 0);
    drop_server(server).await;
}

#[tokio::test]
async fn two_hubs_share_one_tenant() {
    let server = server();
    let tenant = hawkbit(&server);
    let eu = Arc::new(MemoryRegistry::new("hub-eu"));
    let us = Arc::new(MemoryRegistry::new("hub-us"));
    eu.seed([keyed("eu-a", "tok-eu-a"), keyed("eu-b", "tok-eu-b")]);
    us.seed([keyed("us-a", "tok-us-a"), keyed("eu-b", "tok-clash")]);
    let by_tag = |v: &str| Policy::new(Scope::tag("managedBy", v));
    let e_eu = engine(eu.clone(), tenant.clone(), by_tag("hub-eu"));
    let e_us = engine(us.clone(), tenant.clone(), by_tag("hub-us"));
    assert_eq!(e_eu.sync_once().await.expect("eu").created, 2);
    let us_report = e_us.sync_once().await.expect("us");
    // eu-b belongs to hub-eu: hub-us leaves it alone
    assert_eq!((us_report.created, us_report.failed), (1, 0));
    let (_, t) = mgmt(&server, reqwest::Method::GET, "/targets/eu-b", None).await;
    assert_eq!(t["securityToken"], "tok-eu-b");

    // hub-eu drops everything: only its own targets go
    for id in ["eu-a", "eu-b"] {
        eu.delete(&DeviceId::new(id), &Precondition::Any)
            .await
            .expect("delete");
    }
    assert_eq!(e_eu.sync_once().await.expect("eu again").deleted, 2);
    assert!(server.controller("us-a").is_some());
    // the clash is now free, so hub-us takes it
    assert_eq!(e_us.sync_once().await.expect("us again").created, 1);

    // a third hub by id prefix, listing only its namespace through FIQL
    let scope = Scope::id_prefix("ap-");
    let filtered = Arc::new(
        HawkbitRegistry::new(
            config(&server).with_filter(HawkbitConfig::scope_filter(&scope).expect("filter")),
        )
        .expect("registry"),
    );
    let ap = Arc::new(MemoryRegistry::new("hub-ap"));
    ap.seed([keyed("x1", "tok-ap-x1")]);
    let e_ap = engine(ap, filtered.clone(), Policy::new(scope));
    assert_eq!(e_ap.sync_once().await.expect("ap").created, 1);
    let page = filtered.list(None, 100).await.expect("list");
    let ids: Vec<&str> = page.devices.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["ap-x1"]);
    assert_eq!(server.controller_count("DEFAULT"), 3);
    assert_eq!(e_ap.sync_once().await.expect("ap again").applied(), 0);
    assert_eq!(e_us.sync_once().await.expect("us last").applied(), 0);
    drop_server(server).await;
}

#[tokio::test]
async fn throttling_and_outages_are_retried_to_convergence() {
    let server = server();
    let hub = Arc::new(MemoryRegistry::new("hub"));
    hub.seed((0..6).map(|i| {
        keyed(&format!("dev-{i}"), &format!("token-{i}"))
            .with_tag("n", &i.to_string())
            .with_attribute("fw", "2.0")
    }));
    server.inject(FaultRule::times(
        RouteKind::MgmtTargets,
        Fault::RateLimited,
        3,
    ));
    server.inject(FaultRule::times(
        RouteKind::MgmtTargetMetadata,
        Fault::Status(503),
        3,
    ));
    server.inject(FaultRule::times(
        RouteKind::ConfigData,
        Fault::Status(502),
        2,
    ));
    server.inject(FaultRule::times(
        RouteKind::MgmtTarget,
        Fault::Delay(Duration::from_millis(50)),
        3,
    ));
    let tenant = hawkbit(&server);
    let e = engine(
        hub.clone(),
        tenant.clone(),
        Policy::new(Scope::tag("managedBy", "hub")),
    );
    let mut done = 0;
    // a create whose follow-ups keep failing is finished by a later run's update
    for _ in 0..3 {
        let r = e.sync_once().await.expect("sync");
        done += r.created + r.updated;
        if r.failed == 0 {
            break;
        }
    }
    assert!(done >= 6, "{done}");
    assert_eq!(e.sync_once().await.expect("converged").applied(), 0);
    assert!(server.pending_faults().is_empty(), "every fault fired");
    for i in 0..6 {
        let d = tenant
            .get(&DeviceId::new(format!("dev-{i}")))
            .await
            .expect("get")
            .expect("exists");
        assert_eq!(
            (d.tags.get("n"), d.attributes.get("fw")),
            (Some(i.to_string().as_str()), Some("2.0"))
        );
    }
    drop_server(server).await;
}

#[tokio::test]
async fn bulk_creates_go_in_one_request() {
    let server = server();
    let hub = Arc::new(MemoryRegistry::new("hub"));
    hub.seed((0..12).map(|i| keyed(&format!("bulk-{i:02}"), &format!("token-{i}"))));
    // one target exists already (foreign): the batch falls back to single creates
    post_created(&server, "/targets", json!([{"controllerId": "bulk-05"}])).await;
    let tenant =
        Arc::new(HawkbitRegistry::new(config(&server).with_max_bulk(5)).expect("registry"));
    let mut cfg = fast_retries();
    cfg.bulk_threshold(2);
    let e = Engine::new(
        hub.clone(),
        tenant.clone(),
        Planner::new(
            Policy::new(Scope::tag("managedBy", "hub")),
            Arc::new(DirectMapping),
        ),
        Arc::new(MemoryJournal::new()),
        cfg,
    );
    let before = server.request_count(RouteKind::MgmtTargets);
    let report = e.sync_once().await.expect("sync");
    assert_eq!(report.created, 11, "bulk-05 is foreign-owned and skipped");
    let posts = server
        .requests()
        .iter()
        .filter(|r| r.route == RouteKind::MgmtTargets && r.method == "POST")
        .count();
    assert_eq!(posts, 1 + 3, "the seed, then three batches of at most five");
    assert!(server.request_count(RouteKind::MgmtTargets) > before);

    // a batch with an existing id is refused whole: each create then goes
    // alone, and the other operations run beside them
    use registry_sync::Operation;
    let ops = vec![
        Operation::Create {
            device: keyed("fresh-1", "tok-f1").with_tag("k", "v"),
        },
        Operation::Create {
            device: keyed("bulk-05", "not-theirs").with_tag("k", "v"),
        },
        Operation::Update {
            device: keyed("bulk-00", "token-0")
                .with_tag("managedBy", "hub")
                .with_tag("k", "2"),
            precondition: Precondition::Any,
        },
        Operation::Delete {
            id: DeviceId::new("bulk-01"),
            precondition: Precondition::Any,
        },
        Operation::Disable {
            id: DeviceId::new("bulk-02"),
            reason: "retired".into(),
            precondition: Precondition::Any,
        },
        Operation::Delete {
            id: DeviceId::new("never-there"),
            precondition: Precondition::Any,
        },
    ];
    let wide = hawkbit(&server);
    let results = wide.apply_bulk(&ops).await.expect("bulk");
    let kinds: Vec<Option<ErrorKind>> = results
        .iter()
        .map(|r| r.as_ref().err().map(registry_sync::Error::kind))
        .collect();
    assert_eq!(
        kinds,
        [
            None,
            Some(ErrorKind::AlreadyExists),
            None,
            None,
            None,
            Some(ErrorKind::NotFound)
        ]
    );
    assert!(server.controller("fresh-1").is_some() && server.controller("bulk-01").is_none());
    let b0 = tenant
        .get(&DeviceId::new("bulk-00"))
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(b0.tags.get("k"), Some("2"));
    let b2 = tenant
        .get(&DeviceId::new("bulk-02"))
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(b2.status, DeviceStatus::disabled("retired"));
    let too_many: Vec<Operation> = (0..6)
        .map(|i| Operation::Delete {
            id: DeviceId::new(format!("x{i}")),
            precondition: Precondition::Any,
        })
        .collect();
    assert_eq!(
        tenant
            .apply_bulk(&too_many)
            .await
            .expect_err("over max")
            .kind(),
        ErrorKind::Rejected
    );
    drop_server(server).await;
}

#[tokio::test]
async fn listing_pages_through_more_than_one_page() {
    let server = server();
    let targets: Vec<Value> = (0..520)
        .map(|i| json!({"controllerId": format!("t{i:04}"), "securityToken": format!("tok-{i}")}))
        .collect();
    post_created(&server, "/targets", Value::Array(targets)).await;
    // one of them carries metadata, another is filtered in by it
    mgmt(
        &server,
        reqwest::Method::POST,
        "/targets/t0517/metadata",
        Some(json!([{"key": "managedBy", "value": "hub-x"}])),
    )
    .await;
    let tenant = hawkbit(&server);
    let listed_before = server.request_count(RouteKind::MgmtTargets);
    let snap = registry_sync::fetch_snapshot(&*tenant, 1000)
        .await
        .expect("snapshot");
    assert_eq!(snap.len(), 520);
    assert_eq!(
        server.request_count(RouteKind::MgmtTargets) - listed_before,
        2,
        "pages of 500"
    );
    assert_eq!(
        snap.get("t0517").and_then(|d| d.tags.get("managedBy")),
        Some("hub-x")
    );
    assert_eq!(
        snap.get("t0003")
            .and_then(|d| d.credentials.as_ref())
            .map(Credentials::expose_primary),
        Some("tok-3")
    );
    let scoped = HawkbitRegistry::new(config(&server).with_filter(
        HawkbitConfig::scope_filter(&Scope::tag("managedBy", "hub-x")).expect("filter"),
    ))
    .expect("registry");
    let page = scoped.list(None, 10).await.expect("list");
    assert_eq!(page.devices.len(), 1);
    assert!(page.next.is_none());
    // small pages hand over with offset tokens
    let first = tenant.list(None, 7).await.expect("first page");
    let token = first.next.clone().expect("more");
    assert_eq!(token.as_str(), "7");
    let second = tenant.list(Some(&token), 7).await.expect("second page");
    assert_eq!(second.devices.first().map(|d| d.id.as_str()), Some("t0007"));
    let bad = registry_sync::PageToken::new("not-a-number");
    assert_eq!(
        tenant
            .list(Some(&bad), 7)
            .await
            .expect_err("bad token")
            .kind(),
        ErrorKind::Decode
    );
    drop_server(server).await;
}

/// IoT Hub style masters: `reported` (flattened with `.`) becomes hawkBit
/// attributes through twin-model's mapping, which keeps to hawkBit's limits.
#[tokio::test]
async fn twin_model_mapping_feeds_attributes_within_the_limits() {
    use twin_model::mapping::attributes::{AttributeOptions, twin_to_attributes};
    let to_attributes = |d: &DeviceRecord| {
        let mut reported = serde_json::Map::new();
        for (k, v) in d.reported.iter() {
            twin_model::mapping::flatten::insert_dotted(&mut reported, k, json!(v))
                .expect("dotted key");
        }
        let mapped = twin_to_attributes(None, Some(&reported), &AttributeOptions::default());
        mapped
            .attributes
            .into_iter()
            .collect::<registry_sync::Properties>()
    };
    let mapping = registry_sync::FnMapping::new(|d: &DeviceRecord| d.tags.clone(), to_attributes);
    let server = server();
    let hub = Arc::new(MemoryRegistry::new("iothub"));
    let mut twin = keyed("twin-1", "tok-twin-1").with_reported("fw.version", "4.2.0");
    for i in 0..120 {
        twin = twin.with_reported(&format!("sensors.s{i:03}"), &format!("{i}"));
    }
    twin = twin.with_reported("notes", &"x".repeat(200));
    hub.seed([twin]);
    let tenant = hawkbit(&server);
    let e = Engine::new(
        hub,
        tenant.clone(),
        Planner::new(
            Policy::new(Scope::tag("managedBy", "iothub")),
            Arc::new(mapping),
        ),
        Arc::new(MemoryJournal::new()),
        fast_retries(),
    );
    let report = e.sync_once().await.expect("sync");
    assert_eq!((report.created, report.failed), (1, 0));
    let d = tenant
        .get(&DeviceId::new("twin-1"))
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(d.attributes.len(), 100, "hawkBit's 100-attribute quota");
    assert_eq!(d.attributes.get("reported.fw.version"), Some("4.2.0"));
    assert!(
        !d.attributes.contains_key("reported.notes"),
        "values over 128 are dropped"
    );
    assert_eq!(e.sync_once().await.expect("again").applied(), 0);
    drop_server(server).await;
}

#[tokio::test]
async fn name_and_description_follow_their_tags() {
    let server = server();
    let hub = Arc::new(MemoryRegistry::new("hub"));
    hub.seed([keyed("pump-7", "tok-pump-7")
        .with_tag("displayName", "Pump 7")
        .with_tag("notes", "basement, left")
        .with_tag("site", "berlin")]);
    let tenant = Arc::new(
        HawkbitRegistry::new(
            config(&server)
                .with_name_tag("displayName")
                .with_description_tag("notes"),
        )
        .expect("registry"),
    );
    let e = engine(
        hub.clone(),
        tenant.clone(),
        Policy::new(Scope::tag("managedBy", "hub")),
    );
    assert_eq!(e.sync_once().await.expect("create").created, 1);
    let (_, t) = mgmt(&server, reqwest::Method::GET, "/targets/pump-7", None).await;
    assert_eq!(
        (&t["name"], &t["description"]),
        (&json!("Pump 7"), &json!("basement, left"))
    );
    let md = metadata_of(&server, "pump-7").await;
    assert!(
        !md.contains_key("displayName") && md.contains_key("site"),
        "{md:?}"
    );
    assert_eq!(e.sync_once().await.expect("again").applied(), 0);
    // renamed on the hub, description dropped
    hub.seed([keyed("pump-7", "tok-pump-7")
        .with_tag("displayName", "Pump 7 (spare)")
        .with_tag("site", "berlin")]);
    assert_eq!(e.sync_once().await.expect("rename").updated, 1);
    let (_, t) = mgmt(&server, reqwest::Method::GET, "/targets/pump-7", None).await;
    assert_eq!(
        (&t["name"], &t["description"]),
        (&json!("Pump 7 (spare)"), &json!(""))
    );
    assert_eq!(e.sync_once().await.expect("settled").applied(), 0);
    drop_server(server).await;
}

#[tokio::test]
async fn created_targets_poll_ddi_with_their_tokens() {
    let server = server();
    let hub = Arc::new(MemoryRegistry::new("hub"));
    hub.seed([keyed("car-1", "token-car-1")]);
    let tenant = hawkbit(&server);
    let e = engine(
        hub,
        tenant.clone(),
        Policy::new(Scope::tag("managedBy", "hub")),
    );
    e.sync_once().await.expect("sync");
    let http = reqwest::Client::new();
    let poll = |token: &str| {
        http.get(server.controller_url("car-1"))
            .header("Authorization", format!("TargetToken {token}"))
            .send()
    };
    assert_eq!(poll("token-car-1").await.expect("poll").status(), 200);
    assert_eq!(poll("wrong").await.expect("poll").status(), 401);
    // a target created without a token gets hawkBit's generated one, which works too
    let bare = tenant
        .create(&DeviceRecord::new("car-2"))
        .await
        .expect("create");
    let token = bare
        .credentials
        .expect("generated token")
        .expose_primary()
        .to_owned();
    let answer = http
        .get(server.controller_url("car-2"))
        .header("Authorization", format!("TargetToken {token}"))
        .send()
        .await
        .expect("poll");
    assert_eq!(answer.status(), 200);
    assert_eq!(server.controller("car-2").map(|c| c.polls), Some(1));
    drop_server(server).await;
}

#[tokio::test]
async fn a_create_cut_short_is_finished_by_the_retry() {
    let server = server();
    let tenant = hawkbit(&server);
    // the POST of an earlier attempt went through, nothing after it did
    post_created(
        &server,
        "/targets",
        json!([{"controllerId": "half", "securityToken": "tok-half"}]),
    )
    .await;
    let device = keyed("half", "tok-half")
        .with_tag("managedBy", "hub")
        .with_attribute("fw", "3");
    let stored = tenant.create(&device).await.expect("finished");
    assert!(stored.same_content(&device), "{stored:?}");
    // a target with another token is someone else's
    mgmt(
        &server,
        reqwest::Method::POST,
        "/targets",
        Some(json!([{"controllerId": "foreign", "securityToken": "theirs"}])),
    )
    .await;
    let err = tenant
        .create(&keyed("foreign", "ours").with_tag("managedBy", "hub"))
        .await
        .expect_err("foreign");
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);
    assert!(
        metadata_of(&server, "foreign").await.is_empty(),
        "left alone"
    );
    drop_server(server).await;
}

#[tokio::test]
async fn errors_are_classified() {
    let server = server();
    let tenant = hawkbit(&server);
    let wrong = HawkbitRegistry::new(
        HawkbitConfig::new(&server.url(), "DEFAULT", ADMIN, Secret::new("nope")).expect("config"),
    )
    .expect("registry");
    assert_eq!(
        wrong.list(None, 10).await.expect_err("401").kind(),
        ErrorKind::Unauthorized
    );
    let e1 = keyed("e-1", "tok").with_tag("k", "v");
    tenant.create(&e1).await.expect("create");
    assert_eq!(
        tenant.create(&e1).await.expect_err("409").kind(),
        ErrorKind::AlreadyExists
    );
    let missing = DeviceId::new("nope");
    assert_eq!(
        tenant
            .delete(&missing, &Precondition::Any)
            .await
            .expect_err("404")
            .kind(),
        ErrorKind::NotFound
    );
    assert_eq!(
        tenant
            .update(&DeviceRecord::new("nope"), &Precondition::Any)
            .await
            .expect_err("404")
            .kind(),
        ErrorKind::NotFound
    );
    assert!(tenant.get(&missing).await.expect("get").is_none());
    assert_eq!(
        tenant
            .create(&DeviceRecord::new("with space"))
            .await
            .expect_err("local")
            .kind(),
        ErrorKind::Rejected
    );
    // hawkBit's quota 429 is a refusal, the DoS filter's 429 is throttling
    server.inject(FaultRule::once(
        RouteKind::MgmtTarget,
        Fault::StatusWithError {
            status: 429,
            error_code: "hawkbit.server.error.quota.tooManyEntries".into(),
            message: "quota".into(),
        },
    ));
    assert_eq!(
        tenant
            .get(&DeviceId::new("e-1"))
            .await
            .expect_err("quota")
            .kind(),
        ErrorKind::Rejected
    );
    server.inject(FaultRule::once(RouteKind::MgmtTarget, Fault::RateLimited));
    assert!(
        tenant
            .get(&DeviceId::new("e-1"))
            .await
            .expect_err("429")
            .is_throttled()
    );
    server.inject(FaultRule::once(RouteKind::MgmtTarget, Fault::Status(500)));
    assert_eq!(
        tenant
            .get(&DeviceId::new("e-1"))
            .await
            .expect_err("500")
            .kind(),
        ErrorKind::Unavailable
    );
    server.inject(FaultRule::once(
        RouteKind::MgmtTarget,
        Fault::Body("{not json".into()),
    ));
    assert_eq!(
        tenant
            .get(&DeviceId::new("e-1"))
            .await
            .expect_err("json")
            .kind(),
        ErrorKind::Decode
    );
    let slow = HawkbitRegistry::new(
        config(&server).with_timeouts(Duration::from_millis(100), Duration::from_secs(1)),
    )
    .expect("registry");
    server.inject(FaultRule::once(
        RouteKind::MgmtTarget,
        Fault::Delay(Duration::from_millis(600)),
    ));
    assert_eq!(
        slow.get(&DeviceId::new("e-1"))
            .await
            .expect_err("timeout")
            .kind(),
        ErrorKind::Timeout
    );
    // the server's own metadata quota (100 entries) is a refusal too
    let body = Value::Array(
        (0..101)
            .map(|i| json!({"key": format!("k{i}"), "value": "v"}))
            .collect(),
    );
    let (status, info) = mgmt(
        &server,
        reqwest::Method::POST,
        "/targets/e-1/metadata",
        Some(body),
    )
    .await;
    assert_eq!(
        (status, info["errorCode"].as_str()),
        (403, Some("hawkbit.server.error.quota.tooManyEntries"))
    );
    // attributes without a gateway token cannot be written
    let no_gateway = HawkbitRegistry::new(
        HawkbitConfig::new(&server.url(), "DEFAULT", ADMIN, Secret::new(PASSWORD)).expect("config"),
    )
    .expect("registry");
    let with_attr = keyed("e-2", "tok").with_attribute("fw", "1");
    assert_eq!(
        no_gateway
            .create(&with_attr)
            .await
            .expect_err("no gateway")
            .kind(),
        ErrorKind::Unsupported
    );
    assert!(
        server.controller("e-2").is_none(),
        "refused before anything was written"
    );
    drop_server(server).await;
}

#[tokio::test]
async fn secrets_never_show_in_debug_outcomes_or_logs() {
    let (logs, _guard) = common::logs::capture();
    let server = server();
    let hub = Arc::new(MemoryRegistry::new("hub"));
    let token = "device-secret-token-7f3a";
    hub.seed([keyed("s-1", token).with_attribute("fw", "1")]);
    let tenant = hawkbit(&server);
    let e = engine(
        hub,
        tenant.clone(),
        Policy::new(Scope::tag("managedBy", "hub")),
    );
    let mut rx = e.outcomes();
    server.inject(FaultRule::once(RouteKind::MgmtTargets, Fault::RateLimited));
    e.sync_once().await.expect("sync");
    let mut outcomes = String::new();
    while let Ok(o) = rx.try_recv() {
        outcomes.push_str(&format!("{o:?}\n"));
    }
    assert!(outcomes.contains("s-1"), "{outcomes}");
    let record = tenant
        .get(&DeviceId::new("s-1"))
        .await
        .expect("get")
        .expect("exists");
    let errors = format!("{:?}", tenant.create(&record).await.expect_err("exists"));
    let logged = logs.text();
    assert!(logged.contains("hawkbit"), "the connector logged something");
    let everything = format!(
        "{outcomes}{tenant:?}{record:?}{errors}{:?}{logged}",
        config(&server)
    );
    for secret in [token, PASSWORD, GATEWAY] {
        assert!(!everything.contains(secret), "{secret} leaked");
    }
    assert_eq!(
        record.credentials.as_ref().map(Credentials::expose_primary),
        Some(token)
    );
    drop_server(server).await;
}

/// Everything the tracing subscriber writes.
#[test]
fn hawkbit_vectors_decode_through_the_connector_models() {
    let Some(dir) = testkit::vectors::dir("twin") else {
        return;
    };
    let mut mapping = TargetMapping::new();
    mapping.name_tag = Some("name".into());
    mapping.description_tag = Some("description".into());
    for v in dir.with_prefix("hawkbit-mgmt-target") {
        let target: Target = serde_json::from_slice(&v.bytes()).expect("target");
        let record = mapping.record(&target, &[], &[], &BTreeMap::new());
        assert_eq!(record.id.as_str(), target.controller_id, "{}", v.name());
        assert_eq!(mapping.name(&record), target.name, "{}", v.name());
        assert_eq!(
            mapping.description(&record),
            target.description,
            "{}",
            v.name()
        );
        assert!(!target.controller_id.is_empty());
        let token = target
            .security_token
            .as_ref()
            .map(|t| t.expose().to_owned());
        assert_eq!(
            record
                .credentials
                .as_ref()
                .map(|c| c.expose_primary().to_owned()),
            token
        );
        assert!(
            !format!("{record:?}").contains(token.as_deref().unwrap_or("\u{0}")),
            "token redacted"
        );
        assert!(
            target
                .links
                .as_ref()
                .is_some_and(|l| l.contains_key("self")),
            "{}",
            v.name()
        );
    }
    for v in dir.with_prefix("hawkbit-mgmt-tag") {
        let tag: Tag = serde_json::from_slice(&v.bytes()).expect("tag");
        assert!(!tag.name.is_empty() && tag.id.is_some(), "{}", v.name());
        let disabled = mapping.record(
            &Target {
                controller_id: "t".into(),
                ..Target::default()
            },
            &[],
            &[Tag {
                name: "disabled".into(),
                ..tag.clone()
            }],
            &BTreeMap::new(),
        );
        assert!(!disabled.status.is_enabled());
    }
    for v in dir.with_prefix("hawkbit-ddi-configdata") {
        let c: ConfigData = serde_json::from_slice(&v.bytes()).expect("configData");
        assert!(!c.data.is_empty(), "{}", v.name());
        if v.name().contains("merge") {
            assert_eq!(c.mode, Some(ConfigDataMode::Merge));
        }
        // what the connector sends decodes the same way on ddi-client's side
        let attrs: registry_sync::Properties = c
            .data
            .iter()
            .filter_map(|(k, v)| Some((k.as_str(), v.as_deref()?)))
            .collect();
        let record = DeviceRecord::new("d").with_attribute("x", "y");
        let mut record = record;
        record.attributes = attrs;
        assert!(mapping.validate(&record).is_ok(), "{}", v.name());
    }
}

/// The next event of `feed`, or `None` when none comes within `wait`.
async fn next_within(feed: &HawkbitChangeFeed, wait: Duration) -> Option<ChangeEvent> {
    match tokio::time::timeout(wait, feed.next()).await {
        Ok(event) => event.expect("poll"),
        Err(_) => None,
    }
}

/// What `feed` reports within `wait` per event, as `(device, kind)`.
async fn drain(feed: &HawkbitChangeFeed, wait: Duration) -> Vec<(String, ChangeKind)> {
    let mut got = Vec::new();
    while let Some(e) = next_within(feed, wait).await {
        got.push((e.device.as_str().to_owned(), e.kind));
    }
    got
}

#[tokio::test]
async fn the_change_feed_reports_each_change_after_its_start_once() {
    let server = server();
    post_created(
        &server,
        "/targets",
        json!([{"controllerId": "old-1"}, {"controllerId": "old-2"}]),
    )
    .await;
    let tenant = hawkbit(&server);
    let feed = HawkbitChangeFeed::starting_now(&tenant)
        .await
        .expect("feed")
        .with_interval(Duration::from_millis(20));
    // what existed before the start is not news, however often it is polled
    let quiet = Duration::from_millis(300);
    assert_eq!(drain(&feed, quiet).await, []);

    post_created(
        &server,
        "/targets/old-1/metadata",
        json!([{"key": "site", "value": "bremen"}]),
    )
    .await;
    post_created(&server, "/targets", json!([{"controllerId": "new-1"}])).await;
    let mut got = drain(&feed, Duration::from_secs(2)).await;
    got.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        got,
        [
            ("new-1".to_owned(), ChangeKind::Created),
            ("old-1".to_owned(), ChangeKind::Updated)
        ]
    );
    // the overlap window polls them again and again; nothing is repeated
    assert_eq!(drain(&feed, quiet).await, []);
    let (_, new1) = mgmt(&server, reqwest::Method::GET, "/targets/new-1", None).await;
    assert!(feed.cursor() >= new1["lastModifiedAt"].as_i64().expect("stamp"));

    // a second change of the same target is news again
    let (status, _) = mgmt(
        &server,
        reqwest::Method::PUT,
        "/targets/new-1",
        Some(json!({"description": "moved"})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        drain(&feed, Duration::from_secs(1)).await,
        [("new-1".to_owned(), ChangeKind::Updated)]
    );
    drop_server(server).await;
}

#[tokio::test]
async fn the_change_feed_pages_through_targets_stamped_in_the_same_millisecond() {
    let server = server();
    let tenant = hawkbit(&server);
    let feed = HawkbitChangeFeed::starting_now(&tenant)
        .await
        .expect("feed")
        .with_interval(Duration::from_millis(20))
        .with_page_size(2);
    // one batch create: hawkBit stamps all five in one transaction
    let ids: Vec<String> = (1..=5).map(|i| format!("batch-{i}")).collect();
    let body: Vec<Value> = ids.iter().map(|id| json!({"controllerId": id})).collect();
    post_created(&server, "/targets", json!(body)).await;
    let mut got = drain(&feed, Duration::from_millis(500)).await;
    got.sort_by(|a, b| a.0.cmp(&b.0));
    let want: Vec<(String, ChangeKind)> = ids
        .iter()
        .map(|id| (id.clone(), ChangeKind::Created))
        .collect();
    assert_eq!(got, want);

    // resuming from a saved cursor with no overlap reports what carries that
    // stamp or a newer one, once each
    let resumed = HawkbitChangeFeed::from_cursor(&tenant, feed.cursor())
        .with_overlap(Duration::ZERO)
        .with_interval(Duration::from_millis(20))
        .with_page_size(2);
    let mut again = drain(&resumed, Duration::from_millis(500)).await;
    again.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(again, want);
    drop_server(server).await;
}

/// Waits up to 10 s for `done` to hold on `replica`.
async fn until(replica: &MemoryRegistry, what: &str, done: impl Fn(&MemoryRegistry) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !done(replica) {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn the_change_feed_keeps_a_replica_in_step_without_full_syncs() {
    let server = server();
    post_created(
        &server,
        "/targets",
        json!([{"controllerId": "gw-1", "securityToken": "token-gw-1"}]),
    )
    .await;
    let tenant = hawkbit(&server);
    let feed = HawkbitChangeFeed::starting_now(&tenant)
        .await
        .expect("feed")
        .with_interval(Duration::from_millis(20));
    let replica = Arc::new(MemoryRegistry::new("replica"));
    let mut config = fast_retries();
    // one full sync at the start, then only events
    config.full_sync_interval(Duration::from_secs(3600));
    let engine = Engine::new(
        tenant,
        replica.clone(),
        Planner::new(
            Policy::new(Scope::tag("source", "hawkbit")),
            Arc::new(DirectMapping),
        ),
        Arc::new(MemoryJournal::new()),
        config,
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let run = tokio::spawn(async move {
        engine
            .run(Some(Arc::new(feed)), async {
                let _ = stopped.await;
            })
            .await
    });
    until(&replica, "the first full sync", |r| {
        r.snapshot().get("gw-1").is_some()
    })
    .await;
    post_created(
        &server,
        "/targets/gw-1/metadata",
        json!([{"key": "site", "value": "kiel"}]),
    )
    .await;
    post_created(
        &server,
        "/targets",
        json!([{"controllerId": "gw-2", "securityToken": "token-gw-2"}]),
    )
    .await;
    until(&replica, "the metadata change", |r| {
        r.snapshot()
            .get("gw-1")
            .is_some_and(|d| d.tags.get("site") == Some("kiel"))
    })
    .await;
    until(&replica, "the new target", |r| {
        r.snapshot().get("gw-2").is_some()
    })
    .await;
    stop.send(()).expect("engine running");
    run.await.expect("engine task").expect("engine run");
    drop_server(server).await;
}
