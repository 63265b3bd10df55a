//! Plain-HTTP helpers shared by the simulator tests: they speak DDI with
//! reqwest directly, so the simulator is checked without any client crate.

// test support: panicking on a failed request is the assertion
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use reqwest::blocking::{Client, Response};
use serde_json::{Value, json};
use testkit::ddi::{ArtifactSpec, Assignment, DdiServer, Deployment, ModuleSpec, TenantConfig};

pub const TOKEN: &str = "token-of-dev-1";

/// A client that never follows redirects (tests look at them).
pub fn http() -> Client {
    Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A server whose DEFAULT tenant needs no credentials.
pub fn anonymous_server() -> DdiServer {
    DdiServer::builder()
        .tenant("DEFAULT", TenantConfig::anonymous())
        .start()
}

/// A server with `dev-1` registered under [`TOKEN`].
pub fn token_server() -> DdiServer {
    let server = DdiServer::start();
    server.register_controller("dev-1", Some(TOKEN));
    server
}

pub fn auth() -> String {
    format!("TargetToken {TOKEN}")
}

pub fn get(url: &str) -> Response {
    http()
        .get(url)
        .header("Authorization", auth())
        .send()
        .unwrap()
}

pub fn get_json(url: &str) -> Value {
    let r = get(url);
    assert_eq!(r.status(), 200, "GET {url}");
    r.json().unwrap()
}

pub fn post_json(url: &str, body: &Value) -> Response {
    http()
        .post(url)
        .header("Authorization", auth())
        .json(body)
        .send()
        .unwrap()
}

pub fn put_json(url: &str, body: &Value) -> Response {
    http()
        .put(url)
        .header("Authorization", auth())
        .json(body)
        .send()
        .unwrap()
}

pub fn feedback(execution: &str, finished: &str) -> Value {
    json!({"status": {"execution": execution, "result": {"finished": finished}}})
}

/// `payload` as module `fw` 1.0 deployed to `dev-1`.
pub fn deploy(server: &DdiServer, payload: &[u8], assignment: &Assignment) -> Deployment {
    server.deploy(
        &["dev-1"],
        ModuleSpec::new("fw", "1.0").artifact(ArtifactSpec::new("fw.bin", payload.to_vec())),
        assignment,
    )
}

/// The root poll of `dev-1`.
pub fn poll(server: &DdiServer) -> Value {
    get_json(&server.controller_url("dev-1"))
}

/// The href of `rel` in the root poll.
pub fn link(poll: &Value, rel: &str) -> Option<String> {
    poll["_links"][rel]["href"].as_str().map(str::to_owned)
}
