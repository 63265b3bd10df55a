//! Fault injection: scripted statuses, 429 flavours, broken bodies, lying
//! headers, corrupted bytes, redirects and huge documents.

mod support;

use std::io::Read;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use support::*;
use testkit::ddi::{Assignment, Fault, FaultRule, RouteKind};

const PAYLOAD: &[u8] = b"the quick brown fox jumps over the lazy dog, twice: the quick brown fox";

fn artifact_url(server: &testkit::ddi::DdiServer, module: testkit::ddi::ModuleId) -> String {
    format!(
        "{}/softwaremodules/{module}/artifacts/fw.bin",
        server.controller_url("dev-1")
    )
}

#[test]
fn queued_statuses_fire_in_order_then_stop() {
    let server = token_server();
    server.inject(FaultRule::once(RouteKind::Root, Fault::Status(503)));
    server.inject(FaultRule::once(RouteKind::Root, Fault::Status(401)));
    server.inject(FaultRule::once(RouteKind::Root, Fault::Status(410)));
    let url = server.controller_url("dev-1");
    let statuses: Vec<u16> = (0..4).map(|_| get(&url).status().as_u16()).collect();
    assert_eq!(statuses, vec![503, 401, 410, 200]);
    assert!(server.pending_faults().is_empty());
    assert_eq!(server.request_count(RouteKind::Root), 4);
}

#[test]
fn rate_limit_and_quota_429_differ_in_body() {
    let server = token_server();
    server.inject(FaultRule::once(RouteKind::Root, Fault::RateLimited));
    server.inject(FaultRule::once(RouteKind::Root, Fault::QuotaExceeded));
    let url = server.controller_url("dev-1");
    let rate = get(&url);
    assert_eq!(rate.status(), 429);
    assert!(rate.headers().get("retry-after").is_none());
    assert!(rate.bytes().unwrap().is_empty());
    let quota = get(&url);
    assert_eq!(quota.status(), 429);
    let body: Value = quota.json().unwrap();
    assert_eq!(
        body["errorCode"],
        json!("hawkbit.server.error.quota.tooManyEntries")
    );
}

#[test]
fn faults_can_target_one_controller_and_carry_error_bodies() {
    let server = token_server();
    server.register_controller("dev-2", Some("t2"));
    server.inject(
        FaultRule::always(
            RouteKind::Root,
            Fault::StatusWithError {
                status: 404,
                error_code: "hawkbit.server.error.repo.entityNotFound".into(),
                message: "gone".into(),
            },
        )
        .for_controller("dev-2"),
    );
    assert_eq!(get(&server.controller_url("dev-1")).status(), 200);
    let r = http()
        .get(server.controller_url("dev-2"))
        .header("Authorization", "TargetToken t2")
        .send()
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.json::<Value>().unwrap()["message"], json!("gone"));
    server.clear_faults();
    let r = http()
        .get(server.controller_url("dev-2"))
        .header("Authorization", "TargetToken t2")
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[test]
fn truncated_body_aborts_after_the_given_bytes() {
    let server = token_server();
    let d = deploy(&server, PAYLOAD, &Assignment::default());
    server.inject(FaultRule::once(
        RouteKind::ArtifactDownload,
        Fault::Truncate { after: 10 },
    ));
    let mut r = get(&artifact_url(&server, d.module));
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-length"],
        PAYLOAD.len().to_string().as_str(),
        "declares the full length"
    );
    let mut got = Vec::new();
    let result = r.read_to_end(&mut got);
    assert!(
        result.is_err(),
        "the body must end in an error, got {} bytes",
        got.len()
    );
    assert_eq!(&got[..], &PAYLOAD[..10]);
    // JSON answers can be cut too
    server.inject(FaultRule::once(
        RouteKind::Root,
        Fault::Truncate { after: 5 },
    ));
    // hyper may not even flush the head before the abort: either way no document
    let sent = http()
        .get(server.controller_url("dev-1"))
        .header("Authorization", auth())
        .send();
    assert!(sent.is_err() || sent.is_ok_and(|r| r.bytes().is_err()));
}

#[test]
fn slow_body_is_throttled() {
    let server = token_server();
    let d = deploy(&server, PAYLOAD, &Assignment::default());
    server.inject(FaultRule::once(
        RouteKind::ArtifactDownload,
        Fault::Slow {
            bytes_per_second: 100,
        },
    ));
    let started = Instant::now();
    let body = get(&artifact_url(&server, d.module)).bytes().unwrap();
    let took = started.elapsed();
    assert_eq!(&body[..], PAYLOAD, "slow, but complete");
    // 71 bytes at 100 B/s
    assert!(took >= Duration::from_millis(600), "{took:?}");
}

#[test]
fn lying_content_range_and_wrong_hash() {
    let server = token_server();
    let d = deploy(&server, PAYLOAD, &Assignment::default());
    let url = artifact_url(&server, d.module);
    server.inject(FaultRule::once(
        RouteKind::ArtifactDownload,
        Fault::LyingContentRange { claimed_start: 0 },
    ));
    let r = http()
        .get(&url)
        .header("Authorization", auth())
        .header("Range", "bytes=20-")
        .send()
        .unwrap();
    assert_eq!(r.status(), 206);
    let len = PAYLOAD.len();
    assert_eq!(
        r.headers()["content-range"],
        format!("bytes 0-{}/{len}", len - 21).as_str()
    );
    assert_eq!(
        &r.bytes().unwrap()[..],
        &PAYLOAD[20..],
        "the bytes are the requested ones"
    );

    server.inject(FaultRule::once(
        RouteKind::ArtifactDownload,
        Fault::WrongHash,
    ));
    let bad = get(&url).bytes().unwrap();
    assert_eq!(bad.len(), len);
    assert_ne!(Sha256::digest(&bad), Sha256::digest(PAYLOAD));
    assert_eq!(bad.iter().zip(PAYLOAD).filter(|(a, b)| a != b).count(), 1);
    assert_eq!(&get(&url).bytes().unwrap()[..], PAYLOAD, "only once");
}

#[test]
fn redirect_to_cdn_shows_whether_the_token_followed() {
    let server = token_server();
    let d = deploy(&server, PAYLOAD, &Assignment::default());
    server.inject(FaultRule::always(
        RouteKind::ArtifactDownload,
        Fault::RedirectToCdn,
    ));
    let url = artifact_url(&server, d.module);
    let r = get(&url);
    assert_eq!(r.status(), 302);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(&server.cdn_url()), "{location}");
    // reqwest's default policy drops Authorization on a cross-origin redirect
    let following = reqwest::blocking::Client::builder()
        .no_proxy()
        .build()
        .unwrap();
    let body = following
        .get(&url)
        .header("Authorization", auth())
        .send()
        .unwrap()
        .bytes()
        .unwrap();
    assert_eq!(&body[..], PAYLOAD);
    let seen = server.cdn_requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].authorization, None);
    assert_eq!(seen[0].route, RouteKind::CdnDownload);
}

#[test]
fn redirect_loop_never_ends() {
    let server = token_server();
    server.inject(FaultRule::always(RouteKind::Root, Fault::RedirectLoop));
    let url = server.controller_url("dev-1");
    let r = get(&url);
    assert_eq!(r.status(), 302);
    assert!(
        server
            .controller_url("dev-1")
            .ends_with(r.headers()["location"].to_str().unwrap())
    );
    let following = reqwest::blocking::Client::builder()
        .no_proxy()
        .build()
        .unwrap();
    let err = following
        .get(&url)
        .header("Authorization", auth())
        .send()
        .unwrap_err();
    assert!(err.is_redirect(), "{err}");
}

#[test]
fn huge_json_is_valid_and_as_large_as_asked() {
    let server = token_server();
    server.inject(FaultRule::once(
        RouteKind::Root,
        Fault::HugeJson {
            bytes: 8 * 1024 * 1024,
        },
    ));
    let r = get(&server.controller_url("dev-1"));
    assert_eq!(r.status(), 200);
    let body = r.bytes().unwrap();
    assert_eq!(body.len(), 8 * 1024 * 1024);
    let doc: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(doc["config"]["polling"]["sleep"], json!("00:05:00"));
}

#[test]
fn delay_precedes_normal_handling() {
    let server = token_server();
    server.inject(FaultRule::once(
        RouteKind::Root,
        Fault::Delay(Duration::from_millis(300)),
    ));
    let started = Instant::now();
    assert_eq!(get(&server.controller_url("dev-1")).status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[test]
fn everywhere_rules_hit_every_route() {
    let server = token_server();
    let d = deploy(&server, PAYLOAD, &Assignment::default());
    server.inject(FaultRule::everywhere(Fault::Status(500)));
    assert_eq!(get(&server.controller_url("dev-1")).status(), 500);
    assert_eq!(get(&artifact_url(&server, d.module)).status(), 500);
    let cdn = format!("{}/cdn/DEFAULT/{}/fw.bin", server.cdn_url(), d.module);
    assert_eq!(http().get(&cdn).send().unwrap().status(), 500);
    server.clear_faults();
    assert_eq!(http().get(&cdn).send().unwrap().status(), 200);
}

#[test]
fn ignore_range_answers_200_with_everything() {
    let server = token_server();
    let d = deploy(&server, PAYLOAD, &Assignment::default());
    let url = artifact_url(&server, d.module);
    server.inject(FaultRule::once(
        RouteKind::ArtifactDownload,
        Fault::IgnoreRange,
    ));
    let r = http()
        .get(&url)
        .header("Authorization", auth())
        .header("Range", "bytes=10-")
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(&r.bytes().unwrap()[..], PAYLOAD);
    let r = http()
        .get(&url)
        .header("Authorization", auth())
        .header("Range", "bytes=10-")
        .send()
        .unwrap();
    assert_eq!(r.status(), 206, "only once");
}
