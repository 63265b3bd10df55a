//! The registry HTTP facade over the IoT Hub connector and testkit's IoT Hub
//! simulator: providers create, read and (soft) delete only their own
//! devices, and registry errors come back as HTTP statuses.

use std::sync::Arc;

use examples::facade::{FacadeConfig, router};
use registry_sync::connectors::iothub::{ConnectionString, IotHubConfig, IotHubRegistry};
use testkit::iothub::{FaultRule, HubFault, IotHubServer, Route};

struct Running {
    hub: IotHubServer,
    base: String,
    http: reqwest::Client,
}

async fn start(config: FacadeConfig) -> Running {
    let hub = IotHubServer::start("facade");
    let cs =
        ConnectionString::parse(&hub.connection_string(None).expect("a policy")).expect("valid");
    let registry = IotHubRegistry::new(IotHubConfig::new(cs).base_url(hub.url())).expect("config");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("port");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let app = router(Arc::new(registry), config);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Running {
        hub,
        base,
        http: reqwest::Client::new(),
    }
}

impl Running {
    fn url(&self, provider: &str, id: &str) -> String {
        format!("{}/providers/{provider}/devices/{id}", self.base)
    }
}

#[tokio::test]
async fn providers_create_read_and_soft_delete_their_own_devices() {
    let r = start(FacadeConfig::default()).await;
    let created = r
        .http
        .put(r.url("acme", "meter-1"))
        .json(&serde_json::json!({"tags": {"site": "north"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let body: serde_json::Value = created.json().await.unwrap();
    assert_eq!(body["tags"]["provider"], "acme");
    assert!(body.get("credentials").is_none() && !body.to_string().contains("Key"));
    // In the hub: the identity exists and the twin carries the tags.
    assert_eq!(r.hub.twin("meter-1").unwrap()["tags"]["provider"], "acme");
    assert_eq!(r.hub.twin("meter-1").unwrap()["tags"]["site"], "north");

    let again = r.http.put(r.url("acme", "meter-1")).send().await.unwrap();
    assert_eq!(again.status(), 409);
    let read = r.http.get(r.url("acme", "meter-1")).send().await.unwrap();
    assert_eq!(read.status(), 200);

    // Another provider neither sees nor removes it.
    let other = r.http.get(r.url("globex", "meter-1")).send().await.unwrap();
    assert_eq!(other.status(), 404);
    let other = r
        .http
        .delete(r.url("globex", "meter-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 404);
    // The provider tag cannot be forged.
    let forged = r
        .http
        .put(r.url("globex", "meter-2"))
        .json(&serde_json::json!({"tags": {"provider": "acme"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 422);

    // Delete is soft: disabled with a reason, kept in the hub.
    let gone = r
        .http
        .delete(r.url("acme", "meter-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 204);
    let identity = r.hub.identity("meter-1").unwrap();
    assert_eq!(identity["status"], "disabled");
    assert_eq!(identity["statusReason"], "deleted by provider acme");
    let read: serde_json::Value = r
        .http
        .get(r.url("acme", "meter-1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(read["enabled"], false);
    // Hard deletes only where allowed.
    let hard = r
        .http
        .delete(r.url("acme", "meter-1") + "?hard=true")
        .send()
        .await
        .unwrap();
    assert_eq!(hard.status(), 403);
    assert!(r.hub.identity("meter-1").is_some());
}

#[tokio::test]
async fn hard_delete_when_allowed_and_registry_errors_as_statuses() {
    let r = start(FacadeConfig {
        allow_hard_delete: true,
    })
    .await;
    let created = r.http.put(r.url("acme", "m-9")).send().await.unwrap();
    assert_eq!(created.status(), 201);
    let hard = r
        .http
        .delete(r.url("acme", "m-9") + "?hard=true")
        .send()
        .await
        .unwrap();
    assert_eq!(hard.status(), 204);
    assert!(r.hub.identity("m-9").is_none());

    r.hub
        .add_fault(FaultRule::new(Some(Route::Bulk), HubFault::Status(429), 1));
    let throttled = r.http.put(r.url("acme", "m-10")).send().await.unwrap();
    assert_eq!(throttled.status(), 429);
    r.hub.add_fault(FaultRule::new(
        Some(Route::DeviceGet),
        HubFault::Status(503),
        1,
    ));
    let down = r.http.get(r.url("acme", "m-10")).send().await.unwrap();
    assert_eq!(down.status(), 503);
    let bad_id = r.http.put(r.url("acme", "bad%20id")).send().await.unwrap();
    assert!(bad_id.status().is_client_error(), "{}", bad_id.status());
}
