//! The simulator over HTTP, as a client sees it.

use std::time::Duration;

use reqwest::blocking::{Client, RequestBuilder, Response};
use serde_json::{Value, json};

use super::*;

struct Hub {
    server: IotHubServer,
    http: Client,
    token: String,
}

impl Hub {
    fn new(server: IotHubServer) -> Self {
        let token = server.sas_token(Duration::from_secs(600));
        Self {
            server,
            http: Client::new(),
            token,
        }
    }

    fn req(&self, method: reqwest::Method, path: &str) -> RequestBuilder {
        let sep = if path.contains('?') { '&' } else { '?' };
        self.http
            .request(
                method,
                format!("{}{path}{sep}api-version={API_VERSION}", self.server.url()),
            )
            .header("Authorization", &self.token)
    }

    fn json(r: Response) -> (u16, Value) {
        let status = r.status().as_u16();
        let text = r.text().unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

#[test]
fn identity_lifecycle_with_etags() {
    let hub = Hub::new(IotHubServer::start("h1"));
    let put = |body: Value, if_match: Option<&str>| {
        let mut r = hub
            .req(reqwest::Method::PUT, "/devices/d1")
            .body(body.to_string());
        if let Some(m) = if_match {
            r = r.header("If-Match", m);
        }
        Hub::json(r.send().unwrap())
    };
    let (s, created) = put(json!({"deviceId": "d1"}), None);
    assert_eq!(s, 200);
    let etag = created["etag"].as_str().unwrap().to_owned();
    assert_eq!(
        put(json!({"deviceId": "d1"}), None).1["Message"]
            .as_str()
            .map(|m| m.starts_with("ErrorCode:DeviceAlreadyExists")),
        Some(true)
    );
    assert_eq!(put(json!({"deviceId": "d1"}), Some("\"bm9wZQ==\"")).0, 412);
    let (s, updated) = put(
        json!({"deviceId": "d1", "status": "disabled", "statusReason": "stolen"}),
        Some(&format!("\"{etag}\"")),
    );
    assert_eq!(s, 200);
    assert_ne!(updated["etag"], created["etag"]);
    assert_eq!(updated["generationId"], created["generationId"]);
    assert_eq!(
        updated["authentication"], created["authentication"],
        "keys kept"
    );
    assert_eq!(
        (updated["status"].as_str(), updated["statusReason"].as_str()),
        (Some("disabled"), Some("stolen"))
    );
    assert_eq!(
        put(json!({"deviceId": "d 2"}), None).0,
        400,
        "path/body mismatch"
    );
    let bad_id = Hub::json(
        hub.req(reqwest::Method::PUT, "/devices/a%23b")
            .body(r##"{"deviceId":"a#b"}"##)
            .send()
            .unwrap(),
    );
    assert_eq!(bad_id.0, 400);
    assert!(
        bad_id.1["Message"]
            .as_str()
            .unwrap()
            .contains("ArgumentInvalid")
    );
    let del = |m: &str| {
        hub.req(reqwest::Method::DELETE, "/devices/d1")
            .header("If-Match", m)
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(del("\"bm9wZQ==\""), 412);
    assert_eq!(del("*"), 204);
    assert_eq!(del("*"), 404);
    let kinds: Vec<MutationKind> = hub.server.mutations().iter().map(|m| m.kind).collect();
    assert_eq!(
        kinds,
        [
            MutationKind::Create,
            MutationKind::Update,
            MutationKind::Delete
        ]
    );
    assert_eq!(hub.server.requests(Route::DevicePut), 6);
}

#[test]
fn auth_and_api_version_are_enforced() {
    let server = IotHubServer::builder("h2")
        .policy("registryRead", "a2V5LWZvci1yZWFkaW5nLW9ubHk=")
        .start();
    let http = Client::new();
    let url = format!("{}/devices/x", server.url());
    let get = |q: &str, auth: Option<&str>| {
        let mut r = http.get(format!("{url}{q}"));
        if let Some(a) = auth {
            r = r.header("Authorization", a);
        }
        Hub::json(r.send().unwrap())
    };
    let good = server.sas_token(Duration::from_secs(60));
    assert_eq!(get("", Some(&good)).0, 400, "no api-version");
    let q = format!("?api-version={API_VERSION}");
    assert_eq!(get(&q, Some(&good)).0, 404);
    let expired = sas::token(server.host_name(), OWNER_POLICY, "a2V5", 1).unwrap();
    let (s, body) = get(&q, Some(&expired));
    assert_eq!(s, 401);
    assert!(
        body["Message"]
            .as_str()
            .unwrap()
            .starts_with("ErrorCode:IotHubUnauthorizedAccess;")
    );
    assert!(body["ExceptionMessage"].is_string());
    let far = 4_000_000_000;
    let forged = sas::token(
        server.host_name(),
        OWNER_POLICY,
        "a2V5LWZvci1yZWFkaW5nLW9ubHk=",
        far,
    )
    .unwrap();
    assert_eq!(get(&q, Some(&forged)).0, 401);
    let reader = sas::token(
        server.host_name(),
        "registryRead",
        "a2V5LWZvci1yZWFkaW5nLW9ubHk=",
        far,
    )
    .unwrap();
    assert_eq!(get(&q, Some(&reader)).0, 404, "second policy accepted");
    assert!(
        server
            .connection_string(Some("registryRead"))
            .unwrap()
            .contains("SharedAccessKeyName=registryRead")
    );
}

#[test]
fn twins_query_and_reported() {
    let hub = Hub::new(IotHubServer::start("h3"));
    let ids: Vec<String> = (0..25).map(|i| format!("dev-{i:02}")).collect();
    hub.server.seed(ids.iter().enumerate().map(|(i, id)| {
        (
            id.as_str(),
            json!({"site": if i % 2 == 0 { "even" } else { "odd" }}),
        )
    }));
    assert!(hub.server.mutations().is_empty(), "seeding is not logged");
    let twin = Hub::json(
        hub.req(reqwest::Method::GET, "/twins/dev-00")
            .send()
            .unwrap(),
    )
    .1;
    let patch = json!({"tags": {"site": null, "owner": {"team": "x"}}, "properties": {"desired": {"fw": "2"}}});
    let stale = hub
        .req(reqwest::Method::PATCH, "/twins/dev-00")
        .header("If-Match", "\"AAAAAAAAAAA=\"")
        .body(patch.to_string())
        .send()
        .unwrap();
    assert_eq!(stale.status(), 412);
    let (s, patched) = Hub::json(
        hub.req(reqwest::Method::PATCH, "/twins/dev-00")
            .header("If-Match", twin["etag"].as_str().unwrap())
            .body(patch.to_string())
            .send()
            .unwrap(),
    );
    assert_eq!(s, 200);
    assert_eq!(patched["tags"], json!({"owner": {"team": "x"}}));
    assert_eq!(patched["properties"]["desired"]["fw"], "2");
    assert_eq!(
        patched["version"].as_i64(),
        Some(twin["version"].as_i64().unwrap() + 1)
    );
    let bad = json!({"tags": {"a.b": 1}});
    let refused = hub
        .req(reqwest::Method::PATCH, "/twins/dev-00")
        .body(bad.to_string())
        .send()
        .unwrap();
    assert_eq!(refused.status(), 400);
    assert_eq!(
        hub.server.twin("dev-00").unwrap()["etag"],
        patched["etag"],
        "a refused patch changes nothing"
    );
    let huge =
        json!([{"id": "dev-01", "importMode": "updateTwin", "tags": {"k": "x".repeat(9000)}}]);
    let (s, result) = Hub::json(
        hub.req(reqwest::Method::POST, "/devices")
            .body(huge.to_string())
            .send()
            .unwrap(),
    );
    assert_eq!(
        (s, result["errors"][0]["errorCode"].as_str()),
        (400, Some("ArgumentInvalid"))
    );
    assert!(
        hub.server
            .report("dev-00", json!({"temp": 21}).as_object().unwrap())
    );
    assert_eq!(
        hub.server.twin("dev-00").unwrap()["properties"]["reported"]["temp"],
        21
    );

    let mut continuation: Option<String> = None;
    let mut ids = Vec::new();
    loop {
        let mut r = hub
            .req(reqwest::Method::POST, "/devices/query")
            .header("x-ms-max-item-count", "10")
            .body(r#"{"query":"SELECT * FROM devices"}"#);
        if let Some(c) = &continuation {
            r = r.header("x-ms-continuation", c);
        }
        let resp = r.send().unwrap();
        assert_eq!(resp.headers()["x-ms-item-type"], "twin");
        continuation = resp
            .headers()
            .get("x-ms-continuation")
            .map(|c| c.to_str().unwrap().to_owned());
        let page: Vec<Value> = resp.json().unwrap();
        assert!(page.len() <= 10);
        ids.extend(
            page.iter()
                .map(|t| t["deviceId"].as_str().unwrap().to_owned()),
        );
        if continuation.is_none() {
            break;
        }
    }
    assert_eq!(ids, hub.server.device_ids());
    let snapshot = hub.server.snapshot();
    assert_eq!(snapshot.len(), 25);
    assert_eq!(snapshot[0]["tags"], json!({"owner": {"team": "x"}}));
    let odd: Vec<Value> = hub
        .req(reqwest::Method::POST, "/devices/query")
        .body(r#"{"query":"SELECT * FROM devices WHERE tags.site = 'odd'"}"#)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(odd.len(), 12);
}

#[test]
fn bulk_calls_report_per_device_errors() {
    let hub = Hub::new(IotHubServer::start("h4"));
    hub.server
        .add_fault(FaultRule::new(Some(Route::Bulk), HubFault::ItemFailure, 1).for_device("c"));
    let body = json!([
        {"id": "a", "importMode": "create", "tags": {"t": "1"}},
        {"id": "b", "importMode": "update"},
        {"id": "c", "importMode": "create"},
    ]);
    let (s, result) = Hub::json(
        hub.req(reqwest::Method::POST, "/devices")
            .body(body.to_string())
            .send()
            .unwrap(),
    );
    assert_eq!(s, 400);
    assert_eq!(result["isSuccessful"], false);
    let failed: Vec<(&str, &str)> = result["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["deviceId"].as_str().unwrap(),
                e["errorCode"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(failed, [("b", "DeviceNotFound"), ("c", "ServerError")]);
    assert_eq!(hub.server.device_ids(), ["a"]);
    let (s, ok) = Hub::json(
        hub.req(reqwest::Method::POST, "/devices")
            .body(json!([{"id": "c", "importMode": "create"}]).to_string())
            .send()
            .unwrap(),
    );
    assert_eq!((s, ok["isSuccessful"].as_bool()), (200, Some(true)));
    let twice = json!([{"id": "x"}, {"id": "x"}]);
    assert_eq!(
        hub.req(reqwest::Method::POST, "/devices")
            .body(twice.to_string())
            .send()
            .unwrap()
            .status(),
        400
    );
    let many: Vec<Value> = (0..101).map(|i| json!({"id": format!("m{i}")})).collect();
    assert_eq!(
        hub.req(reqwest::Method::POST, "/devices")
            .body(Value::Array(many).to_string())
            .send()
            .unwrap()
            .status(),
        400
    );
    assert_eq!(hub.server.len(), 2);
}

#[test]
fn import_job_over_the_blob_store() {
    let hub = Hub::new(IotHubServer::builder("h5").job_reads(2).start());
    let container = hub.server.container_sas_url("imports");
    let (base, sas) = container.split_once('?').unwrap();
    let put = hub.http.put(format!("{base}/devices.txt?{sas}")).header("x-ms-blob-type", "BlockBlob")
        .body("{\"id\":\"j1\",\"importMode\":\"create\"}\n{\"id\":\"j2\",\"importMode\":\"delete\"}\n").send().unwrap();
    assert_eq!(put.status(), 201);
    assert_eq!(
        hub.http
            .put(format!("{base}/x"))
            .body("x")
            .send()
            .unwrap()
            .status(),
        403,
        "no SAS"
    );
    let job = json!({"type": "import", "inputBlobContainerUri": container, "outputBlobContainerUri": container});
    let (s, created) = Hub::json(
        hub.req(reqwest::Method::POST, "/jobs/create")
            .body(job.to_string())
            .send()
            .unwrap(),
    );
    assert_eq!(s, 200);
    assert_eq!(
        hub.req(reqwest::Method::POST, "/jobs/create")
            .body(job.to_string())
            .send()
            .unwrap()
            .status(),
        409
    );
    let id = created["jobId"].as_str().unwrap();
    let status = |_: u8| {
        Hub::json(
            hub.req(reqwest::Method::GET, &format!("/jobs/{id}"))
                .send()
                .unwrap(),
        )
        .1["status"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        [status(1), status(2), status(3)],
        ["enqueued", "completed", "completed"]
    );
    assert_eq!(hub.server.device_ids(), ["j1"]);
    let log = String::from_utf8(hub.server.blob("imports", "importErrors.log").unwrap()).unwrap();
    assert!(
        log.contains("j2") && log.contains("DeviceNotFound"),
        "{log}"
    );
}

#[test]
fn throttling_and_faults() {
    let t = Throttling::none().with_rate(OperationClass::Identity, 0.05, 2);
    let hub = Hub::new(IotHubServer::builder("h6").throttling(t).start());
    let get = || hub.req(reqwest::Method::GET, "/devices/x").send().unwrap();
    assert_eq!(get().status(), 404);
    assert_eq!(get().status(), 404);
    let (s, body) = Hub::json(get());
    assert_eq!(s, 429);
    assert!(
        body["Message"]
            .as_str()
            .unwrap()
            .contains("ThrottlingException")
    );
    assert_eq!(hub.server.throttled(), 1);
    assert_eq!(
        hub.req(reqwest::Method::GET, "/twins/x")
            .send()
            .unwrap()
            .status(),
        404,
        "other class"
    );

    hub.server.add_fault(FaultRule::new(
        Some(Route::TwinGet),
        HubFault::Status(503),
        1,
    ));
    assert_eq!(
        hub.req(reqwest::Method::GET, "/twins/x")
            .send()
            .unwrap()
            .status(),
        503
    );
    hub.server.add_fault(FaultRule::new(
        Some(Route::TwinGet),
        HubFault::DropConnection,
        1,
    ));
    assert!(
        hub.req(reqwest::Method::GET, "/twins/x")
            .send()
            .and_then(|r| r.bytes())
            .is_err()
    );
    hub.server.add_fault(
        FaultRule::new(None, HubFault::Delay(Duration::from_secs(3)), 1).for_device("slow"),
    );
    let started = std::time::Instant::now();
    let r = hub
        .req(reqwest::Method::GET, "/twins/slow")
        .timeout(Duration::from_millis(100))
        .send();
    assert!(r.is_err_and(|e| e.is_timeout()) && started.elapsed() < Duration::from_secs(3));
}

#[test]
fn lifecycle_events_for_every_route() {
    let hub = Hub::new(IotHubServer::start("h7"));
    hub.server.seed([("seeded", Value::Null)]);
    let mut events = hub.server.subscribe_events();
    let put = hub
        .req(reqwest::Method::PUT, "/devices/p1")
        .body(r#"{"deviceId":"p1"}"#)
        .send()
        .unwrap();
    assert_eq!(put.status(), 200);
    let bulk = json!([{"id": "b1", "importMode": "create", "tags": {"k": "v"}}, {"id": "p1", "importMode": "delete"}]);
    assert_eq!(
        hub.req(reqwest::Method::POST, "/devices")
            .body(bulk.to_string())
            .send()
            .unwrap()
            .status(),
        200
    );
    let mut seen = Vec::new();
    while let Ok(e) = events.try_recv() {
        seen.push((
            e["eventType"].as_str().unwrap().to_owned(),
            e["data"]["deviceId"].as_str().unwrap().to_owned(),
        ));
        assert_eq!(e["data"]["twin"]["deviceId"], e["data"]["deviceId"]);
        assert_eq!(e["data"]["hubName"], "h7");
    }
    let created = "Microsoft.Devices.DeviceCreated".to_owned();
    let deleted = "Microsoft.Devices.DeviceDeleted".to_owned();
    assert_eq!(
        seen,
        [
            (created.clone(), "p1".to_owned()),
            (created, "b1".to_owned()),
            (deleted, "p1".to_owned())
        ]
    );
}
