//! The IoT Hub connector against testkit's IoT Hub simulator: syncs in both
//! directions, the bulk and job paths, throttling, faults, SAS renewal,
//! secrets, and the captured import/export vectors.
#![allow(clippy::unwrap_used)]

use registry_sync::connectors::iothub::{
    ConnectionString, IotHubConfig, IotHubRegistry, TokenPolicy, import_line_for,
    record_from_import_line,
};
use registry_sync::connectors::memory::MemoryRegistry;
use registry_sync::engine::{EngineConfig, Outcome, RetryPolicy};
use registry_sync::model::{Credentials, DeviceStatus, Secret};
use registry_sync::plan::{DirectMapping, Operation, Precondition};
use registry_sync::registry::fetch_snapshot;
use registry_sync::{
    DeviceId, DeviceRecord, Engine, ErrorKind, ExternalRegistry, Planner, Policy, Scope,
};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use testkit::iothub::{
    FaultRule, HubFault, IotHubServer, MutationKind, OperationClass, Route, Throttling,
};
use twin_model::iothub::import_export::ExportImportDevice;

const OWNER: (&str, &str) = ("managedBy", "sync");

fn config(server: &IotHubServer) -> IotHubConfig {
    let cs = ConnectionString::parse(&server.connection_string(None).unwrap()).unwrap();
    let mut c = IotHubConfig::new(cs);
    c.base_url(server.url())
        .request_timeout(Duration::from_secs(5));
    c
}

fn connector(server: &IotHubServer) -> Arc<IotHubRegistry> {
    Arc::new(IotHubRegistry::new(&config(server)).unwrap())
}

fn with_jobs(server: &IotHubServer) -> Arc<IotHubRegistry> {
    let url = Secret::new(server.container_sas_url("sync"));
    Arc::new(IotHubRegistry::new(config(server).job_containers(url.clone(), url)).unwrap())
}

fn planner() -> Planner {
    Planner::new(
        &Policy::new(Scope::tag(OWNER.0, OWNER.1)),
        Arc::new(DirectMapping),
    )
    .unwrap()
}

/// A retry policy without jitter.
fn retry(attempts: u32, initial: Duration, max: Duration, total: Duration) -> RetryPolicy {
    let mut r = RetryPolicy::new();
    r.max_attempts(attempts)
        .initial_delay(initial)
        .max_delay(max)
        .time_limit(total)
        .jitter(0.0);
    r
}

fn quick_retry() -> RetryPolicy {
    retry(
        12,
        Duration::from_millis(20),
        Duration::from_millis(500),
        Duration::from_secs(60),
    )
}

fn engine(
    master: Arc<dyn ExternalRegistry>,
    replica: Arc<dyn ExternalRegistry>,
    cfg: EngineConfig,
) -> Engine {
    Engine::builder(master, replica, planner())
        .config(&cfg)
        .build()
        .unwrap()
}

fn master_devices(n: usize) -> Vec<DeviceRecord> {
    (0..n)
        .map(|i| {
            let d = DeviceRecord::new(format!("dev-{i:05}"))
                .with_tag("site.name", if i % 2 == 0 { "north" } else { "south" })
                .with_tag("rack", &(i % 7).to_string())
                .with_attribute("fw.version", "2.1");
            if i % 10 == 3 {
                d.with_status(DeviceStatus::disabled("retired"))
            } else {
                d
            }
        })
        .collect()
}

/// Every device id of the plan was written exactly once, with the given kind.
fn assert_exactly_once(server: &IotHubServer, want: &HashMap<String, MutationKind>) {
    let mut seen: HashMap<String, Vec<MutationKind>> = HashMap::new();
    for m in server.mutations() {
        seen.entry(m.device_id.clone()).or_default().push(m.kind);
    }
    assert_eq!(seen.len(), want.len(), "devices written");
    for (id, kind) in want {
        assert_eq!(seen.get(id).map(Vec::as_slice), Some(&[*kind][..]), "{id}");
    }
}

async fn converged(master: &dyn ExternalRegistry, replica: &dyn ExternalRegistry) -> bool {
    let m = fetch_snapshot(master, 1000).await.unwrap();
    let r = fetch_snapshot(replica, 1000).await.unwrap();
    planner().plan(&m, &r).unwrap().is_empty()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hub_to_memory_through_paged_queries() {
    let server = IotHubServer::start("h-read");
    let ids: Vec<String> = (0..250).map(|i| format!("d{i:04}")).collect();
    server.seed(
        ids.iter()
            .map(|id| (id.as_str(), json!({"site": {"name": "x"}, "n": 3}))),
    );
    assert!(server.report(
        "d0007",
        json!({"fw": {"version": "1.0"}}).as_object().unwrap()
    ));
    let hub = connector(&server);
    let memory = Arc::new(MemoryRegistry::new("tenant"));
    let mut cfg = EngineConfig::new();
    cfg.page_size(100);
    let e = engine(hub.clone(), memory.clone(), cfg);
    let report = e.sync_once().await.unwrap();
    assert_eq!((report.created, report.failed), (250, 0));
    let snap = memory.snapshot();
    let d = snap.get("d0007").unwrap();
    assert_eq!(d.tags.get("site.name"), Some("x"));
    assert_eq!(d.tags.get("n"), Some("3"));
    assert_eq!(d.tags.get(OWNER.0), Some(OWNER.1));
    assert!(server.requests(Route::Query) >= 3, "paged");
    let got = hub.get(&DeviceId::new("d0007")).await.unwrap().unwrap();
    assert_eq!(got.reported.get("fw.version"), Some("1.0"));
    assert!(got.etag.is_some());
    assert!(hub.get(&DeviceId::new("nope")).await.unwrap().is_none());
    assert!(converged(&*hub, &*memory).await);
    let writes: Vec<MutationKind> = server.mutations().iter().map(|m| m.kind).collect();
    assert_eq!(writes, [MutationKind::Reported], "the sync only read");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_to_hub_over_bulk_calls_with_drift() {
    let server = IotHubServer::start("h-bulk");
    let master = Arc::new(MemoryRegistry::new("master"));
    master.seed(master_devices(450));
    // Drift: 30 owned devices the master lacks, 20 stale copies.
    let stale: Vec<String> = (0..20).map(|i| format!("dev-{i:05}")).collect();
    let gone: Vec<String> = (0..30).map(|i| format!("old-{i:03}")).collect();
    server.seed(
        stale
            .iter()
            .chain(&gone)
            .map(|id| (id.as_str(), json!({"managedBy": "sync"}))),
    );
    server.seed([("foreign", json!({"team": "other"}))]);
    let hub = connector(&server);
    let mut cfg = EngineConfig::new();
    cfg.retry(&quick_retry());
    let mut policy_guard = Policy::new(Scope::tag(OWNER.0, OWNER.1));
    policy_guard.guard(
        registry_sync::plan::MassDeleteGuard::new()
            .max_fraction(0.5)
            .min_count(50),
    );
    let planner = Planner::new(&policy_guard, Arc::new(DirectMapping)).unwrap();
    let e = Engine::builder(master.clone(), hub.clone(), planner)
        .config(&cfg)
        .build()
        .unwrap();
    let report = e.sync_once().await.unwrap();
    assert_eq!(
        (
            report.created,
            report.updated,
            report.deleted,
            report.failed
        ),
        (430, 20, 30, 0)
    );
    assert!(server.requests(Route::Bulk) >= 5);
    let mut want: HashMap<String, MutationKind> = HashMap::new();
    for i in 0..450 {
        let kind = if i < 20 {
            MutationKind::Update
        } else {
            MutationKind::Create
        };
        want.insert(format!("dev-{i:05}"), kind);
    }
    for id in &gone {
        want.insert(id.clone(), MutationKind::Delete);
    }
    assert_exactly_once(&server, &want);
    assert!(server.identity("foreign").is_some(), "not owned, kept");
    let twin = server.twin("dev-00003").unwrap();
    assert_eq!(twin["status"], "disabled");
    assert_eq!(twin["statusReason"], "retired");
    assert_eq!(twin["tags"]["site"]["name"], "south");
    assert_eq!(twin["tags"]["rack"], 3, "numbers written as numbers");
    assert_eq!(
        twin["properties"]["desired"]["fw"]["version"], 2.1,
        "text that reads back exactly becomes JSON"
    );
    assert!(converged(&*master, &*hub).await);
    assert_eq!(e.sync_once().await.unwrap().applied(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_job_path_with_a_failed_line() {
    let server = IotHubServer::builder("h-job").job_reads(3).start();
    server.add_fault(
        FaultRule::new(Some(Route::JobCreate), HubFault::ItemFailure, 1).for_device("dev-00042"),
    );
    let master = Arc::new(MemoryRegistry::new("master"));
    master.seed(master_devices(300));
    let hub = with_jobs(&server);
    assert!(hub.capabilities().get_import_jobs());
    let mut cfg = EngineConfig::new();
    cfg.retry(&quick_retry())
        .job_threshold(100)
        .job_poll(&retry(
            50,
            Duration::from_millis(20),
            Duration::from_millis(50),
            Duration::from_secs(30),
        ));
    let e = engine(master.clone(), hub.clone(), cfg);
    let mut rx = e.outcomes();
    let report = e.sync_once().await.unwrap();
    assert_eq!((report.created, report.failed), (300, 0));
    assert_eq!(server.requests(Route::JobCreate), 1);
    assert!(server.requests(Route::JobGet) >= 3);
    let want: HashMap<String, MutationKind> = (0..300)
        .map(|i| (format!("dev-{i:05}"), MutationKind::Create))
        .collect();
    assert_exactly_once(&server, &want);
    let log = String::from_utf8(server.blob("sync", "importErrors.log").unwrap()).unwrap();
    assert!(log.contains("dev-00042"), "{log}");
    let mut completed = None;
    while let Some(Ok(o)) = rx.try_recv() {
        if let Outcome::JobCompleted { items, failed, .. } = o {
            completed = Some((items, failed));
        }
    }
    assert_eq!(completed, Some((300, 1)));
    assert!(converged(&*master, &*hub).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttled_hub_converges_on_single_writes() {
    let t = Throttling::none()
        .with_rate(OperationClass::Identity, 60.0, 5)
        .with_rate(OperationClass::TwinRead, 60.0, 5);
    let server = IotHubServer::builder("h-429").throttling(t).start();
    let master = Arc::new(MemoryRegistry::new("master"));
    master.seed(master_devices(60));
    let hub = connector(&server);
    let mut cfg = EngineConfig::new();
    cfg.retry(&quick_retry())
        .bulk_threshold(10_000)
        .concurrency(8);
    let e = engine(master.clone(), hub.clone(), cfg);
    let report = e.sync_once().await.unwrap();
    assert_eq!((report.created, report.failed), (60, 0));
    assert!(server.throttled() > 0, "the hub pushed back");
    let want: HashMap<String, MutationKind> = (0..60)
        .map(|i| (format!("dev-{i:05}"), MutationKind::Create))
        .collect();
    assert_exactly_once(&server, &want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_and_partial_bulk_failures_are_retried() {
    let server = IotHubServer::start("h-5xx");
    server.add_fault(FaultRule::new(Some(Route::Bulk), HubFault::Status(503), 2));
    for id in ["dev-00005", "dev-00150", "dev-00299"] {
        server
            .add_fault(FaultRule::new(Some(Route::Bulk), HubFault::ItemFailure, 1).for_device(id));
    }
    server.add_fault(FaultRule::new(
        Some(Route::Query),
        HubFault::DropConnection,
        1,
    ));
    let master = Arc::new(MemoryRegistry::new("master"));
    master.seed(master_devices(300));
    let hub = connector(&server);
    let mut cfg = EngineConfig::new();
    cfg.retry(&quick_retry());
    let e = engine(master.clone(), hub.clone(), cfg);
    let mut rx = e.outcomes();
    let report = e.sync_once().await.unwrap();
    assert_eq!((report.created, report.failed), (300, 0));
    let want: HashMap<String, MutationKind> = (0..300)
        .map(|i| (format!("dev-{i:05}"), MutationKind::Create))
        .collect();
    assert_exactly_once(&server, &want);
    let mut partial = 0;
    while let Some(Ok(o)) = rx.try_recv() {
        if let Outcome::BulkPartialFailure { failed, .. } = o {
            partial += failed;
        }
    }
    assert_eq!(partial, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_calls_are_classified() {
    let server = IotHubServer::start("h-calls");
    let hub = IotHubRegistry::new(config(&server).read_keys(true)).unwrap();
    let impatient =
        IotHubRegistry::new(config(&server).request_timeout(Duration::from_millis(300))).unwrap();
    let d = DeviceRecord::new("c1").with_tag("a.b", "1");
    let created = hub.create(&d).await.unwrap();
    assert!(created.credentials.is_some(), "generated keys read back");
    let etag = created.etag.clone().unwrap();
    assert_eq!(
        hub.create(&d).await.unwrap_err().kind(),
        ErrorKind::AlreadyExists
    );
    let stale = Precondition::IfMatch(registry_sync::model::Etag::new("bm9wZQ=="));
    assert_eq!(
        hub.update(&d.clone().with_tag("x", "y"), &stale)
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::PreconditionFailed
    );
    let updated = hub
        .update(
            &d.clone().with_tag("x", "y"),
            &Precondition::IfMatch(etag.clone()),
        )
        .await
        .unwrap();
    assert_eq!(updated.tags.get("x"), Some("y"));
    assert_ne!(updated.etag, Some(etag.clone()));
    let keys = Credentials::new(
        Secret::new("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="),
        Some(Secret::new("ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=")),
    );
    let rekeyed = hub
        .update(
            &updated.clone().with_credentials(keys.clone()),
            &Precondition::Any,
        )
        .await
        .unwrap();
    assert_eq!(rekeyed.credentials, Some(keys));
    assert_eq!(
        hub.disable(&d.id, "lost", &Precondition::IfMatch(etag))
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::PreconditionFailed
    );
    let off = hub
        .disable(&d.id, "lost", &Precondition::Any)
        .await
        .unwrap();
    assert_eq!(off.status, DeviceStatus::disabled("lost"));
    assert_eq!(off.credentials, rekeyed.credentials, "keys kept");
    assert_eq!(off.tags, rekeyed.tags, "twin untouched");
    hub.delete(&d.id, &Precondition::Any).await.unwrap();
    assert_eq!(
        hub.delete(&d.id, &Precondition::Any)
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
    let bad_key = DeviceRecord::new("c9").with_tag("bad key", "v");
    assert_eq!(
        hub.create(&bad_key).await.unwrap_err().kind(),
        ErrorKind::Rejected
    );
    let bad_id = DeviceRecord::new("has space");
    assert_eq!(
        hub.create(&bad_id).await.unwrap_err().kind(),
        ErrorKind::Rejected
    );

    server.add_fault(FaultRule::new(
        Some(Route::DeviceGet),
        HubFault::Delay(Duration::from_secs(3)),
        1,
    ));
    let started = std::time::Instant::now();
    assert_eq!(
        impatient.get(&d.id).await.unwrap_err().kind(),
        ErrorKind::Timeout
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the client gave up first"
    );
    server.add_fault(FaultRule::new(
        Some(Route::DeviceGet),
        HubFault::Status(500),
        1,
    ));
    assert_eq!(
        hub.get(&d.id).await.unwrap_err().kind(),
        ErrorKind::Unavailable
    );
    server.add_fault(FaultRule::new(
        Some(Route::DeviceGet),
        HubFault::DropConnection,
        1,
    ));
    assert_eq!(
        hub.get(&d.id).await.unwrap_err().kind(),
        ErrorKind::Unavailable
    );
    server.add_fault(FaultRule::new(Some(Route::Query), HubFault::GarbageBody, 1));
    assert_eq!(
        hub.list(None, 10).await.unwrap_err().kind(),
        ErrorKind::Decode
    );
    server.add_fault(FaultRule::new(
        Some(Route::DeviceGet),
        HubFault::GarbageBody,
        1,
    ));
    assert_eq!(hub.get(&d.id).await.unwrap_err().kind(), ErrorKind::Decode);

    let too_many: Vec<Operation> = (0..101)
        .map(|i| Operation::Delete {
            id: DeviceId::new(format!("x{i}")),
            precondition: Precondition::Any,
        })
        .collect();
    assert_eq!(
        hub.apply_bulk(&too_many).await.unwrap_err().kind(),
        ErrorKind::Rejected
    );

    let wrong = ConnectionString::parse(&format!(
        "HostName={};SharedAccessKeyName=iothubowner;SharedAccessKey=d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZw==",
        server.host_name()
    ))
    .unwrap();
    let intruder = IotHubRegistry::new(IotHubConfig::new(wrong).base_url(server.url())).unwrap();
    assert_eq!(
        intruder.list(None, 10).await.unwrap_err().kind(),
        ErrorKind::Unauthorized
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sas_tokens_are_renewed_before_expiry() {
    let server = IotHubServer::start("h-sas");
    let hub = IotHubRegistry::new(
        config(&server).token_policy(
            TokenPolicy::new()
                .ttl(Duration::from_secs(3))
                .margin(Duration::from_secs(2)),
        ),
    )
    .unwrap();
    for _ in 0..5 {
        hub.list(None, 10).await.unwrap();
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
    assert!(hub.tokens_issued() >= 2, "{}", hub.tokens_issued());
}

/// Captures everything logged while the closure's future runs.
#[derive(Clone, Default)]
struct Capture(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn secrets_never_show() {
    let capture = Capture::default();
    let sink = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || sink.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = IotHubServer::start("h-secret");
    server.add_fault(
        FaultRule::new(Some(Route::Bulk), HubFault::ItemFailure, 1).for_device("dev-00001"),
    );
    let cs = server.connection_string(None).unwrap();
    let policy_key = cs.rsplit_once("SharedAccessKey=").unwrap().1.to_owned();
    let container = server.container_sas_url("sync");
    let sig = container.rsplit_once("sig=").unwrap().1.to_owned();
    let device_key = "c2VjcmV0LWRldmljZS1rZXktMDEyMzQ1Njc4OWFi";
    let master = Arc::new(MemoryRegistry::new("master"));
    master.seed(
        master_devices(220)
            .into_iter()
            .map(|d| d.with_credentials(Credentials::new(Secret::new(device_key), None))),
    );
    let hub = with_jobs(&server);
    let mut cfg = EngineConfig::new();
    cfg.retry(&quick_retry())
        .job_threshold(200)
        .job_poll(&retry(
            20,
            Duration::from_millis(10),
            Duration::from_millis(20),
            Duration::from_secs(10),
        ));
    let e = engine(master, hub.clone(), cfg);
    let mut rx = e.outcomes();
    e.sync_once().await.unwrap();
    let mut shown = format!(
        "{hub:?} {:?} {:?}",
        config(&server),
        ConnectionString::parse(&cs).unwrap()
    );
    shown.push_str(&ConnectionString::parse(&cs).unwrap().to_string());
    while let Some(Ok(o)) = rx.try_recv() {
        shown.push_str(&format!("{o:?}"));
    }
    shown.push_str(&String::from_utf8_lossy(&capture.0.lock().unwrap()));
    let err = hub.get(&DeviceId::new("x y")).await;
    shown.push_str(&format!("{err:?}"));
    assert!(shown.contains("iothub"), "something was captured");
    for secret in [
        policy_key.as_str(),
        sig.as_str(),
        device_key,
        "SharedAccessSignature",
    ] {
        assert!(!shown.contains(secret), "{secret} leaked");
    }
}

#[test]
fn every_import_export_vector_line_maps() {
    let Some(dir) = testkit::vectors::dir("twin") else {
        return;
    };
    let mut files = dir.with_prefix("iothub-export-");
    files.extend(dir.with_prefix("iothub-import-"));
    let mut lines = 0;
    for v in files {
        let parsed: Vec<ExportImportDevice> = if v.name().ends_with(".jsonl") {
            ExportImportDevice::from_json_lines(&v.bytes()).unwrap()
        } else {
            vec![serde_json::from_slice(&v.bytes()).unwrap()]
        };
        for line in parsed {
            lines += 1;
            let r = record_from_import_line(&line);
            assert_eq!(r.id.as_str(), line.id, "{}", v.name());
            let disabled = line
                .status
                .as_ref()
                .map(|s| s.as_str() == "disabled")
                .unwrap_or(false);
            assert_eq!(!r.status.is_enabled(), disabled, "{}", v.name());
            assert_eq!(
                r.etag.as_ref().map(|e| e.as_str()),
                line.e_tag.as_ref().map(|e| e.as_str())
            );
            let keys = line
                .authentication
                .as_ref()
                .and_then(|a| a.symmetric_key.as_ref())
                .and_then(|k| k.primary_key.as_ref());
            assert_eq!(
                r.credentials.as_ref().map(|c| c.expose_primary()),
                keys.map(|k| k.expose())
            );
            if let Some(tags) = &line.tags {
                assert_eq!(r.tags.len(), tags.len(), "flat tags of {}", v.name());
            }
            // Written back as a create, the line carries the same content.
            let back = import_line_for(&Operation::Create { device: r.clone() }).unwrap();
            assert_eq!(back.id, line.id);
            let again = record_from_import_line(&back);
            assert!(again.same_content(&r), "{}: {again:?} vs {r:?}", v.name());
        }
    }
    assert!(lines >= 9, "{lines}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_grid_events_from_the_hub_drive_the_replica() {
    let server = IotHubServer::start("h-events");
    let mut events = server.subscribe_events();
    let hub = connector(&server);
    let memory = Arc::new(MemoryRegistry::new("tenant"));
    let e = engine(hub.clone(), memory.clone(), EngineConfig::new());
    for i in 0..3 {
        let d = DeviceRecord::new(format!("ev-{i}")).with_tag("site.name", "x");
        hub.create(&d).await.unwrap();
    }
    let take = |rx: &mut tokio::sync::mpsc::UnboundedReceiver<serde_json::Value>| {
        let mut batch = Vec::new();
        while let Ok(ev) = rx.try_recv() {
            batch.push(ev);
        }
        serde_json::to_vec(&batch).unwrap()
    };
    let (report, _) = e.handle_event_grid(&take(&mut events)).await.unwrap();
    assert_eq!(report.created, 3);
    assert_eq!(
        memory.snapshot().get("ev-1").unwrap().tags.get("site.name"),
        Some("x")
    );
    hub.delete(&DeviceId::new("ev-1"), &Precondition::Any)
        .await
        .unwrap();
    let (report, _) = e.handle_event_grid(&take(&mut events)).await.unwrap();
    assert_eq!(report.deleted + report.disabled, 1);
    assert!(converged(&*hub, &*memory).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listings_can_be_scoped_by_a_where_clause() {
    let server = IotHubServer::start("h-scope");
    server.seed([
        ("a", json!({"managedBy": "sync"})),
        ("b", json!({"managedBy": "someone-else"})),
        ("c", json!({"managedBy": "sync", "site": {"name": "n"}})),
    ]);
    let scoped =
        IotHubRegistry::new(config(&server).list_filter("tags.managedBy = 'sync'")).unwrap();
    let all = fetch_snapshot(&scoped, 1).await.unwrap();
    let ids: Vec<&str> = all.devices().iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["a", "c"]);
    assert_eq!(
        server.requests(Route::Query),
        2,
        "one page per device, then none left"
    );
    let bad = IotHubRegistry::new(config(&server).list_filter("tags.x > 1")).unwrap();
    assert_eq!(
        bad.list(None, 10).await.unwrap_err().kind(),
        ErrorKind::Rejected
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_from_the_master_converge_when_listings_read_them() {
    let server = IotHubServer::start("h-keys");
    let master = Arc::new(MemoryRegistry::new("master"));
    let key = |i: usize, which: &str| {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD
            .encode(format!("{which}-key-of-device-{i:05}-padding"))
    };
    master.seed(master_devices(30).into_iter().enumerate().map(|(i, d)| {
        d.with_credentials(Credentials::new(
            Secret::new(key(i, "primary")),
            Some(Secret::new(key(i, "secondary"))),
        ))
    }));
    let hub = Arc::new(IotHubRegistry::new(config(&server).read_keys(true)).unwrap());
    let e = engine(master.clone(), hub.clone(), EngineConfig::new());
    assert_eq!(e.sync_once().await.unwrap().created, 30);
    let identity = server.identity("dev-00007").unwrap();
    assert_eq!(
        identity["authentication"]["symmetricKey"]["primaryKey"],
        key(7, "primary")
    );
    let listed = hub.list(None, 100).await.unwrap();
    assert!(listed.devices.iter().all(|d| d.credentials.is_some()));
    assert_eq!(
        e.sync_once().await.unwrap().applied(),
        0,
        "keys compare equal"
    );
    assert!(converged(&*master, &*hub).await);
}
