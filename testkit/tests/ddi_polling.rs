//! The simulator's root resource: authentication, registration, links,
//! sleep, ETag/304 and media-type rules.

mod support;

use std::time::Duration;

use serde_json::json;
use support::*;
use testkit::ddi::{Assignment, DdiServer, RouteKind, TenantConfig};

#[test]
fn credentials_are_checked_like_hawkbit() {
    let server = token_server();
    let url = server.controller_url("dev-1");
    let none = http().get(&url).send().unwrap();
    assert_eq!(none.status(), 401);
    assert!(none.bytes().unwrap().is_empty(), "401 has an empty body");
    let wrong = http()
        .get(&url)
        .header("Authorization", "TargetToken nope")
        .send()
        .unwrap();
    assert_eq!(wrong.status(), 401);
    // the scheme is case-sensitive with exactly one space
    let lower = http()
        .get(&url)
        .header("Authorization", format!("targettoken {TOKEN}"))
        .send()
        .unwrap();
    assert_eq!(lower.status(), 401);
    let two_spaces = http()
        .get(&url)
        .header("Authorization", format!("TargetToken  {TOKEN}"))
        .send()
        .unwrap();
    assert_eq!(two_spaces.status(), 401);
    assert_eq!(get(&url).status(), 200);
    // another controller's token does not open this one
    server.register_controller("dev-2", Some("other"));
    let foreign = http()
        .get(server.controller_url("dev-2"))
        .header("Authorization", auth())
        .send()
        .unwrap();
    assert_eq!(foreign.status(), 401);
}

#[test]
fn gateway_token_acts_for_any_controller_and_registers_it() {
    let server = DdiServer::builder()
        .tenant("T1", TenantConfig::with_gateway_token("gw-secret"))
        .start();
    let url = server.controller_url_in("T1", "fresh-device");
    let r = http()
        .get(&url)
        .header("Authorization", "GatewayToken gw-secret")
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(server.controller_in("T1", "fresh-device").is_some());
    let wrong = http()
        .get(&url)
        .header("Authorization", "GatewayToken nope")
        .send()
        .unwrap();
    assert_eq!(wrong.status(), 401);
    // unknown tenant: no way to authenticate
    let other = http()
        .get(server.controller_url_in("NOPE", "x"))
        .header("Authorization", "GatewayToken gw-secret")
        .send()
        .unwrap();
    assert_eq!(other.status(), 401);
}

#[test]
fn first_poll_registers_and_asks_for_attributes() {
    let server = anonymous_server();
    let body: serde_json::Value = http()
        .get(server.controller_url("new-1"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(body["config"]["polling"]["sleep"], json!("00:05:00"));
    assert_eq!(
        link(&body, "configData").as_deref(),
        Some(format!("{}/configData", server.controller_url("new-1")).as_str())
    );
    assert!(body["_links"].get("deploymentBase").is_none());
    let c = server.controller("new-1").unwrap();
    assert_eq!(c.polls, 1);
    // after configData the link goes, and an empty _links is left out entirely
    let r = http()
        .put(format!("{}/configData", server.controller_url("new-1")))
        .json(&json!({"data": {"hw": "x"}}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = http()
        .get(server.controller_url("new-1"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert!(body.get("_links").is_none(), "{body}");
}

#[test]
fn auto_registration_can_be_switched_off() {
    let server = DdiServer::builder()
        .tenant(
            "DEFAULT",
            TenantConfig {
                auto_register: false,
                ..TenantConfig::anonymous()
            },
        )
        .start();
    let r = http().get(server.controller_url("ghost")).send().unwrap();
    assert_eq!(r.status(), 404);
    let body: serde_json::Value = r.json().unwrap();
    assert_eq!(
        body["errorCode"],
        json!("hawkbit.server.error.repo.entityNotFound")
    );
    assert_eq!(
        body["exceptionClass"],
        json!("org.eclipse.hawkbit.repository.exception.EntityNotFoundException")
    );
}

#[test]
fn sleep_uses_iso_8601_from_one_day() {
    let server = DdiServer::builder()
        .tenant(
            "DEFAULT",
            TenantConfig {
                polling_time: Duration::from_secs(36 * 3600 + 1800),
                ..TenantConfig::anonymous()
            },
        )
        .start();
    let body: serde_json::Value = http()
        .get(server.controller_url("d"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(body["config"]["polling"]["sleep"], json!("PT36H30M"));
}

#[test]
fn etag_gives_304_until_something_changes() {
    let server = token_server();
    let url = server.controller_url("dev-1");
    let first = get(&url);
    assert_eq!(first.headers()["content-type"], "application/hal+json");
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    assert!(etag.starts_with("\"0") && etag.ends_with('"'), "{etag}");
    let again = http()
        .get(&url)
        .header("Authorization", auth())
        .header("If-None-Match", &etag)
        .send()
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
    assert!(again.bytes().unwrap().is_empty());
    deploy(&server, b"x", &Assignment::default());
    let changed = http()
        .get(&url)
        .header("Authorization", auth())
        .header("If-None-Match", &etag)
        .send()
        .unwrap();
    assert_eq!(changed.status(), 200);
    assert_ne!(changed.headers()["etag"].to_str().unwrap(), etag);
    assert_eq!(
        server.controller("dev-1").unwrap().polls,
        3,
        "a 304 counts as a poll"
    );
}

#[test]
fn action_links_carry_a_cache_buster_that_changes_with_the_action() {
    let server = token_server();
    let d = deploy(&server, b"x", &Assignment::default());
    let before = link(&poll(&server), "deploymentBase").unwrap();
    assert!(
        before.contains(&format!("/deploymentBase/{}?c=", d.actions[0])),
        "{before}"
    );
    assert_eq!(
        link(&poll(&server), "deploymentBase").unwrap(),
        before,
        "stable while unchanged"
    );
    let r = post_json(
        &format!(
            "{}/deploymentBase/{}/feedback",
            server.controller_url("dev-1"),
            d.actions[0]
        ),
        &feedback("proceeding", "none"),
    );
    assert_eq!(r.status(), 200);
    let after = link(&poll(&server), "deploymentBase").unwrap();
    assert_ne!(after, before);
    // the link works verbatim, query included
    assert_eq!(get(&after).status(), 200);
}

#[test]
fn media_types_and_methods_are_enforced() {
    let server = token_server();
    let url = server.controller_url("dev-1");
    let json = http()
        .get(&url)
        .header("Authorization", auth())
        .header("Accept", "application/json")
        .send()
        .unwrap();
    assert_eq!(json.headers()["content-type"], "application/json");
    let html = http()
        .get(&url)
        .header("Authorization", auth())
        .header("Accept", "text/html")
        .send()
        .unwrap();
    assert_eq!(html.status(), 406);
    let post = http()
        .post(&url)
        .header("Authorization", auth())
        .send()
        .unwrap();
    assert_eq!(post.status(), 405);
    let hal_body = http()
        .put(format!("{url}/configData"))
        .header("Authorization", auth())
        .header("Content-Type", "application/hal+json")
        .body(r#"{"data":{}}"#)
        .send()
        .unwrap();
    assert_eq!(hal_body.status(), 415);
    let long = "x".repeat(257);
    let server = anonymous_server();
    assert_eq!(
        http()
            .get(server.controller_url(&long))
            .send()
            .unwrap()
            .status(),
        400
    );
    assert_eq!(
        http()
            .get(server.controller_url(&"y".repeat(256)))
            .send()
            .unwrap()
            .status(),
        200
    );
}

#[test]
fn non_registering_endpoints_need_a_known_target() {
    let server = anonymous_server();
    let r = http()
        .put(format!("{}/configData", server.controller_url("nobody")))
        .json(&json!({"data": {"a": "b"}}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 404);
    let body: serde_json::Value = r.json().unwrap();
    assert_eq!(
        body["message"],
        json!("Target with given identifier {nobody} does not exist.")
    );
    // confirmationBase registers, as the root does
    let r = http()
        .get(format!(
            "{}/confirmationBase",
            server.controller_url("nobody")
        ))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(server.controller("nobody").is_some());
}

#[test]
fn requests_are_counted_and_logged() {
    let server = token_server();
    server.reset_requests();
    get(&server.controller_url("dev-1"));
    http().get(server.controller_url("dev-1")).send().unwrap();
    assert_eq!(server.request_count(RouteKind::Root), 2);
    assert_eq!(server.total_requests(), 2);
    let log = server.requests();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].authorization.as_deref(), Some(auth().as_str()));
    assert_eq!(log[0].status, 200);
    assert_eq!(log[1].authorization, None);
    assert_eq!(log[1].status, 401);
    assert_eq!(log[1].controller.as_deref(), Some("dev-1"));
}

#[test]
fn cbor_works_in_both_directions() {
    let server = token_server();
    let url = server.controller_url("dev-1");
    // {"data": {"k": "v"}}, encoded by hand
    let config = [
        0xa1, 0x64, b'd', b'a', b't', b'a', 0xa1, 0x61, b'k', 0x61, b'v',
    ];
    let r = http()
        .put(format!("{url}/configData"))
        .header("Authorization", auth())
        .header("Content-Type", "application/cbor")
        .body(config.to_vec())
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        server
            .controller("dev-1")
            .unwrap()
            .attributes
            .get("k")
            .map(String::as_str),
        Some("v")
    );
    let r = http()
        .get(&url)
        .header("Authorization", auth())
        .header("Accept", "application/cbor")
        .send()
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/cbor");
    // {"config": {"polling": {"sleep": "00:05:00"}}}
    let mut expected = vec![0xa1, 0x66];
    expected.extend_from_slice(b"config");
    expected.extend_from_slice(&[0xa1, 0x67]);
    expected.extend_from_slice(b"polling");
    expected.extend_from_slice(&[0xa1, 0x65]);
    expected.extend_from_slice(b"sleep");
    expected.push(0x68);
    expected.extend_from_slice(b"00:05:00");
    assert_eq!(r.bytes().unwrap().to_vec(), expected);
    // feedback in CBOR lands like JSON feedback
    let id = deploy(&server, b"x", &Assignment::default()).actions[0];
    let body = testkit::ddi::json_to_cbor(&feedback("closed", "success"));
    let r = http()
        .post(format!("{url}/deploymentBase/{id}/feedback"))
        .header("Authorization", auth())
        .header("Content-Type", "application/cbor")
        .body(body)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        server.action(id).unwrap().status,
        testkit::ddi::ActionStatus::Finished
    );
    let garbage = http()
        .put(format!("{url}/configData"))
        .header("Authorization", auth())
        .header("Content-Type", "application/cbor")
        .body(vec![0x41, 0x00])
        .send()
        .unwrap();
    assert_eq!(garbage.status(), 400);
}

#[test]
fn polling_jitter_varies_the_sleep_and_defeats_the_etag() {
    let server = DdiServer::builder()
        .tenant(
            "DEFAULT",
            TenantConfig {
                polling_time: Duration::from_secs(3600),
                polling_jitter_percent: 20,
                ..TenantConfig::anonymous()
            },
        )
        .start();
    let url = server.controller_url("j");
    let mut sleeps = std::collections::BTreeSet::new();
    let mut etags = std::collections::BTreeSet::new();
    for _ in 0..10 {
        let r = http().get(&url).send().unwrap();
        etags.insert(r.headers()["etag"].to_str().unwrap().to_owned());
        let body: serde_json::Value = r.json().unwrap();
        let sleep = body["config"]["polling"]["sleep"]
            .as_str()
            .unwrap()
            .to_owned();
        let secs: Vec<u64> = sleep.split(':').map(|p| p.parse().unwrap()).collect();
        let total = secs[0] * 3600 + secs[1] * 60 + secs[2];
        assert!(
            (2880..=4320).contains(&total),
            "{sleep} outside 60 min ± 20 %"
        );
        sleeps.insert(sleep);
    }
    assert!(sleeps.len() > 1 && etags.len() > 1, "{sleeps:?}");
}
