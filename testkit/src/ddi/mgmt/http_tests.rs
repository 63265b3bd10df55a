//! The Management API over HTTP, next to DDI on the same server.

use serde_json::{Value, json};

use crate::ddi::{DdiServer, Fault, FaultRule, RouteKind, TenantConfig};

const USER: &str = "admin";
const PASSWORD: &str = "secret";

fn server() -> DdiServer {
    DdiServer::builder()
        .tenant("DEFAULT", TenantConfig::with_gateway_token("gw"))
        .tenant("OTHER", TenantConfig::default())
        .mgmt_user("DEFAULT", USER, PASSWORD)
        .mgmt_user("OTHER", "other", "pw2")
        .start()
}

struct Api<'a> {
    server: &'a DdiServer,
    http: reqwest::blocking::Client,
    user: &'a str,
    password: &'a str,
}

impl<'a> Api<'a> {
    fn new(server: &'a DdiServer) -> Self {
        Self {
            server,
            http: reqwest::blocking::Client::new(),
            user: USER,
            password: PASSWORD,
        }
    }

    fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.server.mgmt_url()))
            .basic_auth(self.user, Some(self.password));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().expect("request");
        let status = r.status().as_u16();
        let text = r.text().expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    fn get(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, None)
    }

    fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, Some(body))
    }

    fn put(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::PUT, path, Some(body))
    }

    fn delete(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::DELETE, path, None)
    }
}

fn ids(page: &Value) -> Vec<String> {
    page["content"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| t["controllerId"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn basic_auth_per_tenant() {
    let s = server();
    let mut api = Api::new(&s);
    api.password = "wrong";
    assert_eq!(api.get("/targets").0, 401);
    let anonymous = reqwest::blocking::get(format!("{}/targets", s.mgmt_url())).expect("get");
    assert_eq!(anonymous.status(), 401);
    // the other tenant's user sees the other tenant, also as TENANT\user
    let other = Api {
        user: "OTHER\\other",
        password: "pw2",
        ..Api::new(&s)
    };
    assert_eq!(
        other.post("/targets", json!([{"controllerId": "o1"}])).0,
        201
    );
    assert_eq!(s.controller_count("OTHER"), 1);
    assert_eq!(s.controller_count("DEFAULT"), 0);
    assert_eq!(Api::new(&s).get("/targets").1["total"], 0);
}

#[test]
fn created_targets_are_ddi_controllers() {
    let s = server();
    let api = Api::new(&s);
    let (status, created) = api.post(
        "/targets",
        json!([
            {"controllerId": "dev-1", "name": "Device 1", "description": "first", "securityToken": "tok-1"},
            {"controllerId": "dev-2"}
        ]),
    );
    assert_eq!(status, 201, "{created}");
    assert_eq!(created[0]["name"], "Device 1");
    assert_eq!(created[1]["name"], "dev-2", "the name defaults to the id");
    let generated = created[1]["securityToken"].as_str().expect("token");
    assert_eq!(generated.len(), 32);
    assert!(generated.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(created[0]["updateStatus"], "unknown");
    let links = created[0]["_links"].as_object().expect("links");
    for rel in [
        "self",
        "assignedDS",
        "installedDS",
        "attributes",
        "actions",
        "metadata",
    ] {
        assert!(links.contains_key(rel), "{rel}");
    }
    // the token works on DDI, and the poll shows in the target
    let http = reqwest::blocking::Client::new();
    let poll = http
        .get(s.controller_url("dev-2"))
        .header("Authorization", format!("TargetToken {generated}"))
        .send()
        .expect("poll");
    assert_eq!(poll.status(), 200);
    let (_, t) = api.get("/targets/dev-2");
    assert_eq!(t["updateStatus"], "registered");
    assert!(t["pollStatus"]["lastRequestAt"].is_i64());
    // attributes written through configData show in the Management API
    assert_eq!(api.get("/targets/dev-1/attributes").0, 204, "none yet");
    let put = http
        .put(format!("{}/configData", s.controller_url("dev-1")))
        .header("Authorization", "GatewayToken gw")
        .json(&json!({"data": {"VIN": "JH4", "hw": "2"}}))
        .send()
        .expect("configData");
    assert_eq!(put.status(), 200);
    assert_eq!(
        api.get("/targets/dev-1/attributes"),
        (200, json!({"VIN": "JH4", "hw": "2"}))
    );
    // update and delete
    let (status, t) = api.put(
        "/targets/dev-1",
        json!({"description": "changed", "securityToken": "tok-new"}),
    );
    assert_eq!(
        (status, &t["description"], &t["name"]),
        (200, &json!("changed"), &json!("Device 1"))
    );
    assert_eq!(
        s.controller("dev-1").and_then(|c| c.token),
        Some("tok-new".into())
    );
    assert_eq!(api.delete("/targets/dev-1").0, 200);
    assert!(s.controller("dev-1").is_none());
    let (status, info) = api.get("/targets/dev-1");
    assert_eq!(
        (status, info["errorCode"].as_str()),
        (404, Some("hawkbit.server.error.repo.entitiyNotFound"))
    );
}

#[test]
fn validation_and_conflicts() {
    let s = server();
    let api = Api::new(&s);
    assert_eq!(api.post("/targets", json!([{"controllerId": "a"}])).0, 201);
    let (status, info) = api.post(
        "/targets",
        json!([{"controllerId": "b"}, {"controllerId": "a"}]),
    );
    assert_eq!(
        (status, info["errorCode"].as_str()),
        (409, Some("hawkbit.server.error.repo.entitiyAlreayExists"))
    );
    assert!(
        s.controller("b").is_none(),
        "a refused batch creates nothing"
    );
    let long = "x".repeat(257);
    for bad in [
        json!([{"controllerId": "with space"}]),
        json!([{"controllerId": long}]),
        json!([{"controllerId": ""}]),
        json!([{"name": "no id"}]),
        json!([{"controllerId": "c", "name": "n".repeat(129)}]),
        json!([{"controllerId": "c", "description": "d".repeat(513)}]),
        json!([{"controllerId": "c", "securityToken": "t".repeat(129)}]),
    ] {
        let (status, info) = api.post("/targets", bad.clone());
        assert_eq!(
            (status, info["errorCode"].as_str()),
            (400, Some("hawkbit.server.error.repo.constraintViolation")),
            "{bad}"
        );
    }
    let (status, info) = api.post("/targets", json!({"controllerId": "not an array"}));
    assert_eq!(
        (status, info["errorCode"].as_str()),
        (400, Some("hawkbit.server.error.rest.body.notReadable"))
    );
    assert_eq!(api.put("/targets/nope", json!({"name": "x"})).0, 404);
    assert_eq!(api.call(reqwest::Method::PATCH, "/targets/a", None).0, 405);
    assert_eq!(api.get("/distributionsets").0, 404);
}

#[test]
fn paging_sorting_and_fiql() {
    let s = server();
    let api = Api::new(&s);
    let targets: Vec<Value> = (0..7)
        .map(|i| json!({"controllerId": format!("hub{}-dev{i}", i % 2), "name": format!("n{}", 6 - i)}))
        .collect();
    assert_eq!(api.post("/targets", Value::Array(targets)).0, 201);
    s.register_controller("plug-and-play", None);
    let (_, page) = api.get("/targets?offset=2&limit=3&sort=controllerId:ASC");
    assert_eq!(
        (page["total"].as_u64(), page["size"].as_u64()),
        (Some(8), Some(3))
    );
    assert_eq!(ids(&page), ["hub0-dev4", "hub0-dev6", "hub1-dev1"]);
    let (_, page) = api.get("/targets?sort=name:DESC&limit=2");
    assert_eq!(ids(&page), ["plug-and-play", "hub0-dev0"]);
    let (_, page) = api.get("/targets?limit=100000");
    assert_eq!(page["size"], 8, "the limit is clamped to 500");
    // default order: creation (plug-and-play adopted last)
    assert_eq!(
        ids(&api.get("/targets").1).last().map(String::as_str),
        Some("plug-and-play")
    );
    let q = |q: &str| {
        let url = format!(
            "/targets?limit=500&q={}",
            url::form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
        );
        api.get(&url)
    };
    assert_eq!(
        ids(&q("controllerId==hub1-*").1),
        ["hub1-dev1", "hub1-dev3", "hub1-dev5"]
    );
    assert_eq!(ids(&q("controllerId==hub1-*;name==n1").1), ["hub1-dev5"]);
    assert_eq!(ids(&q("name==n6,name==n5").1), ["hub0-dev0", "hub1-dev1"]);
    assert_eq!(q("controllerId!=hub*").1["total"], 1);
    assert_eq!(
        api.post(
            "/targets/hub0-dev0/metadata",
            json!([{"key": "managedBy", "value": "hub;0"}])
        )
        .0,
        201
    );
    assert_eq!(ids(&q("metadata.managedBy==\"hub;0\"").1), ["hub0-dev0"]);
    for bad in ["(name==a)", "name=in=(a,b)", "name"] {
        let (status, info) = q(bad);
        assert_eq!(
            (status, info["errorCode"].as_str()),
            (400, Some("hawkbit.server.error.rest.param.rsqlParamSyntax")),
            "{bad}"
        );
    }
    let (status, info) = q("nosuchfield==1");
    assert_eq!(
        (status, info["errorCode"].as_str()),
        (
            400,
            Some("hawkbit.server.error.rest.param.rsqlInvalidField")
        )
    );
    assert_eq!(api.get("/targets?sort=nope:ASC").0, 400);
}

#[test]
fn metadata_limits_and_operations() {
    let s = server();
    let api = Api::new(&s);
    api.post("/targets", json!([{"controllerId": "m"}]));
    let (status, created) = api.post(
        "/targets/m/metadata",
        json!([{"key": "a", "value": "1"}, {"key": "b", "value": "2"}]),
    );
    assert_eq!((status, created.as_array().map(Vec::len)), (201, Some(2)));
    assert_eq!(
        api.post("/targets/m/metadata", json!([{"key": "a", "value": "x"}]))
            .0,
        409
    );
    assert_eq!(
        api.get("/targets/m/metadata/a").1,
        json!({"key": "a", "value": "1"})
    );
    assert_eq!(
        api.put("/targets/m/metadata/a", json!({"key": "a", "value": "9"}))
            .1,
        json!({"key": "a", "value": "9"})
    );
    assert_eq!(api.delete("/targets/m/metadata/b").0, 200);
    assert_eq!(api.get("/targets/m/metadata/b").0, 404);
    let (_, page) = api.get("/targets/m/metadata");
    assert_eq!(
        (page["total"].as_u64(), &page["content"][0]["value"]),
        (Some(1), &json!("9"))
    );
    for bad in [
        json!([{"key": "k".repeat(129), "value": "v"}]),
        json!([{"key": "k", "value": "v".repeat(4001)}]),
        json!([{"key": "", "value": "v"}]),
    ] {
        assert_eq!(api.post("/targets/m/metadata", bad).0, 400);
    }
    let fill: Vec<Value> = (0..99)
        .map(|i| json!({"key": format!("k{i}"), "value": "v"}))
        .collect();
    assert_eq!(api.post("/targets/m/metadata", Value::Array(fill)).0, 201);
    let (status, info) = api.post(
        "/targets/m/metadata",
        json!([{"key": "one-too-many", "value": "v"}]),
    );
    assert_eq!(
        (status, info["errorCode"].as_str()),
        (403, Some("hawkbit.server.error.quota.tooManyEntries"))
    );
}

#[test]
fn tags_and_assignments() {
    let s = server();
    let api = Api::new(&s);
    api.post(
        "/targets",
        json!([{"controllerId": "t1"}, {"controllerId": "t2"}]),
    );
    let (status, tags) = api.post(
        "/targettags",
        json!([{"name": "disabled", "description": "off", "colour": "red"}, {"name": "eu"}]),
    );
    assert_eq!(status, 201, "{tags}");
    let id = tags[0]["id"].as_u64().expect("id");
    assert_eq!(
        tags[0]["_links"]["assignedTargets"]["href"]
            .as_str()
            .map(|h| h.contains("/assigned")),
        Some(true)
    );
    assert_eq!(api.post("/targettags", json!([{"name": "eu"}])).0, 409);
    assert_eq!(
        api.post(
            "/targettags",
            json!([{"name": "x", "colour": "c".repeat(17)}])
        )
        .0,
        400
    );
    let (_, page) = api.get("/targettags?q=name%3D%3Ddisabled");
    assert_eq!(
        (page["total"].as_u64(), &page["content"][0]["id"]),
        (Some(1), &json!(id))
    );
    // single assignment, then a batch with a missing target under each policy
    assert_eq!(
        api.post(&format!("/targettags/{id}/assigned/t1"), Value::Null)
            .0,
        200
    );
    assert_eq!(api.get("/targets/t1/tags").1[0]["name"], "disabled");
    assert_eq!(
        api.post(
            &format!("/targettags/{id}/assigned"),
            json!(["t2", "ghost"])
        )
        .0,
        404
    );
    assert_eq!(
        api.get("/targets/t2/tags").1,
        json!([]),
        "FAIL assigns nothing"
    );
    assert_eq!(
        api.post(
            &format!("/targettags/{id}/assigned?onNotFoundPolicy=ON_WHAT_FOUND_AND_FAIL"),
            json!(["t2", "ghost"])
        )
        .0,
        404
    );
    assert_eq!(api.get("/targets/t2/tags").1[0]["name"], "disabled");
    assert_eq!(
        api.call(
            reqwest::Method::DELETE,
            &format!("/targettags/{id}/assigned?onNotFoundPolicy=ON_WHAT_FOUND_AND_SUCCESS"),
            Some(json!(["t2", "ghost"]))
        )
        .0,
        200
    );
    assert_eq!(api.get("/targets/t2/tags").1, json!([]));
    let (_, assigned) = api.get(&format!("/targettags/{id}/assigned"));
    assert_eq!(ids(&assigned), ["t1"]);
    let url = format!(
        "/targets?q={}",
        url::form_urlencoded::byte_serialize(b"tag==disabled").collect::<String>()
    );
    assert_eq!(ids(&api.get(&url).1), ["t1"]);
    assert_eq!(
        api.put(
            &format!("/targettags/{id}"),
            json!({"description": "soft deleted"})
        )
        .1["description"],
        "soft deleted"
    );
    assert_eq!(api.delete(&format!("/targettags/{id}")).0, 200);
    assert_eq!(api.get("/targets/t1/tags").1, json!([]));
    assert_eq!(api.get(&format!("/targettags/{id}")).0, 404);
    assert_eq!(api.get("/targettags/abc").0, 400);
}

#[test]
fn faults_reach_management_routes() {
    let s = server();
    let api = Api::new(&s);
    s.inject(FaultRule::once(RouteKind::MgmtTargets, Fault::RateLimited));
    s.inject(FaultRule::once(RouteKind::MgmtTargets, Fault::Status(503)));
    assert_eq!(api.get("/targets").0, 429);
    assert_eq!(api.get("/targets").0, 503);
    assert_eq!(api.get("/targets").0, 200);
    api.post(
        "/targets",
        json!([{"controllerId": "f1"}, {"controllerId": "f2"}]),
    );
    s.inject(FaultRule::once(RouteKind::MgmtTarget, Fault::Status(500)).for_controller("f2"));
    assert_eq!(api.get("/targets/f1").0, 200);
    assert_eq!(api.get("/targets/f2").0, 500);
    let started = std::time::Instant::now();
    s.inject(FaultRule::once(
        RouteKind::MgmtTargetMetadata,
        Fault::Delay(std::time::Duration::from_millis(150)),
    ));
    assert_eq!(api.get("/targets/f1/metadata").0, 200);
    assert!(started.elapsed() >= std::time::Duration::from_millis(150));
    assert_eq!(s.request_count(RouteKind::MgmtTargets), 4);
    assert_eq!(s.request_count(RouteKind::MgmtTarget), 2);
    let logged = s.requests();
    assert!(logged.iter().any(|r| r.route == RouteKind::MgmtTarget
        && r.controller.as_deref() == Some("f2")
        && r.status == 500));
}
