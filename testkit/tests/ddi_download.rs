//! Artifact downloads as hawkBit's `FileStreamingUtil` serves them: headers,
//! Range, If-Range, If-Match, 416/412, multipart ranges, MD5SUM, access
//! checks, the artifact list and CDN links.

mod support;

use md5::{Digest as _, Md5};
use serde_json::{Value, json};
use sha1::Sha1;
use support::*;
use testkit::ddi::{
    ActionStatus, ArtifactLinks, ArtifactSpec, Assignment, LinkOrigin, ModuleSpec, RouteKind,
};

const PAYLOAD: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";

fn artifact_url(server: &testkit::ddi::DdiServer) -> String {
    let p = poll(server);
    let doc = get_json(&link(&p, "deploymentBase").expect("a deployment is offered"));
    doc["deployment"]["chunks"][0]["artifacts"][0]["_links"]["download-http"]["href"]
        .as_str()
        .expect("the artifact has a download-http link")
        .to_owned()
}

fn ranged(url: &str, range: &str) -> reqwest::blocking::Response {
    http()
        .get(url)
        .header("Authorization", auth())
        .header("Range", range)
        .send()
        .expect("the server answers")
}

#[test]
fn full_download_has_hawkbit_headers_and_logs_a_status() {
    let server = token_server();
    let id = deploy(&server, PAYLOAD, &Assignment::default()).actions[0];
    let url = artifact_url(&server);
    let r = get(&url);
    assert_eq!(r.status(), 200);
    let sha1 = hex::encode(Sha1::digest(PAYLOAD));
    let h = r.headers().clone();
    assert_eq!(h["etag"].to_str().unwrap(), format!("\"{sha1}\""));
    assert_eq!(h["accept-ranges"], "bytes");
    assert_eq!(h["content-type"], "application/octet-stream");
    assert_eq!(h["content-disposition"], "attachment;filename=fw.bin");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["content-length"], PAYLOAD.len().to_string().as_str());
    assert!(h["last-modified"].to_str().unwrap().ends_with(" GMT"));
    // hawkBit also sets Content-Range on the full answer
    assert_eq!(
        h["content-range"],
        format!("bytes 0-{}/{}", PAYLOAD.len() - 1, PAYLOAD.len()).as_str()
    );
    assert_eq!(&r.bytes().unwrap()[..], PAYLOAD);
    let a = server.action(id).unwrap();
    let logged = a
        .history
        .iter()
        .filter(|e| e.status == ActionStatus::Download)
        .count();
    assert_eq!(logged, 1);
    // a range request neither logs nor counts against the quota
    assert_eq!(ranged(&url, "bytes=0-3").status(), 206);
    let a = server.action(id).unwrap();
    assert_eq!(
        a.history
            .iter()
            .filter(|e| e.status == ActionStatus::Download)
            .count(),
        1
    );
}

#[test]
fn single_ranges_give_206_with_content_range() {
    let server = token_server();
    deploy(&server, PAYLOAD, &Assignment::default());
    let url = artifact_url(&server);
    let len = PAYLOAD.len();
    for (range, from, to) in [
        ("bytes=10-", 10, len - 1),
        ("bytes=0-4", 0, 4),
        ("bytes=-6", len - 6, len - 1),
        ("bytes=30-999", 30, len - 1),
    ] {
        let r = ranged(&url, range);
        assert_eq!(r.status(), 206, "{range}");
        assert_eq!(
            r.headers()["content-range"],
            format!("bytes {from}-{to}/{len}").as_str(),
            "{range}"
        );
        assert_eq!(&r.bytes().unwrap()[..], &PAYLOAD[from..=to], "{range}");
    }
    // the whole file as a range is a plain 200
    assert_eq!(ranged(&url, &format!("bytes=0-{}", len - 1)).status(), 200);
    assert_eq!(ranged(&url, "bytes=0-").status(), 200);
}

#[test]
fn unsatisfiable_or_malformed_ranges_give_416() {
    let server = token_server();
    deploy(&server, PAYLOAD, &Assignment::default());
    let url = artifact_url(&server);
    let len = PAYLOAD.len();
    for range in [
        format!("bytes={len}-"),
        "bytes=9-3".into(),
        "bytes=1-2, 4-5".into(),
        "items=0-1".into(),
        "bytes=abc".into(),
    ] {
        let r = ranged(&url, &range);
        assert_eq!(r.status(), 416, "{range}");
        assert_eq!(
            r.headers()["content-range"],
            format!("bytes */{len}").as_str(),
            "{range}"
        );
    }
}

#[test]
fn if_range_keeps_or_drops_the_range() {
    let server = token_server();
    deploy(&server, PAYLOAD, &Assignment::default());
    let url = artifact_url(&server);
    let etag = get(&url).headers()["etag"].to_str().unwrap().to_owned();
    let last_modified = get(&url).headers()["last-modified"]
        .to_str()
        .unwrap()
        .to_owned();
    let with = |if_range: &str| {
        http()
            .get(&url)
            .header("Authorization", auth())
            .header("Range", "bytes=5-")
            .header("If-Range", if_range)
            .send()
            .unwrap()
    };
    assert_eq!(with(&etag).status(), 206, "matching ETag keeps the range");
    let stale = with("\"0000000000000000000000000000000000000000\"");
    assert_eq!(stale.status(), 200, "stale ETag gets the whole file");
    assert_eq!(&stale.bytes().unwrap()[..], PAYLOAD);
    assert_eq!(
        with(&last_modified).status(),
        206,
        "a date not older than Last-Modified keeps it"
    );
    assert_eq!(
        with("Sun, 06 Nov 1994 08:49:37 GMT").status(),
        200,
        "an older date does not"
    );
}

#[test]
fn if_match_wants_the_bare_sha1() {
    let server = token_server();
    deploy(&server, PAYLOAD, &Assignment::default());
    let url = artifact_url(&server);
    let sha1 = hex::encode(Sha1::digest(PAYLOAD));
    let with = |v: &str| {
        http()
            .get(&url)
            .header("Authorization", auth())
            .header("If-Match", v)
            .send()
            .unwrap()
            .status()
    };
    assert_eq!(with(&sha1), 200);
    assert_eq!(with("*"), 200);
    assert_eq!(
        with(&format!("\"{sha1}\"")),
        412,
        "hawkBit compares with the unquoted hash"
    );
    assert_eq!(with("deadbeef"), 412);
}

#[test]
fn several_ranges_give_hawkbits_multipart_body() {
    let server = token_server();
    deploy(&server, PAYLOAD, &Assignment::default());
    let r = ranged(&artifact_url(&server), "bytes=0-1,10-11");
    assert_eq!(r.status(), 206);
    assert_eq!(
        r.headers()["content-type"],
        "multipart/byteranges; boundary=THIS_STRING_SEPARATES_MULTIPART"
    );
    let len = PAYLOAD.len();
    let expected = format!(
        "\r\n--THIS_STRING_SEPARATES_MULTIPART\r\nContent-Range: bytes 0-1/{len}\r\n01\
         \r\n--THIS_STRING_SEPARATES_MULTIPART\r\nContent-Range: bytes 10-11/{len}\r\nab\
         \r\n--THIS_STRING_SEPARATES_MULTIPART--"
    );
    assert_eq!(r.text().unwrap(), expected);
}

#[test]
fn md5sum_endpoint_is_exact() {
    let server = token_server();
    deploy(&server, PAYLOAD, &Assignment::default());
    let r = get(&format!("{}.MD5SUM", artifact_url(&server)));
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/plain");
    assert_eq!(
        r.headers()["content-disposition"],
        "attachment;filename=fw.bin.MD5SUM"
    );
    assert_eq!(
        r.text().unwrap(),
        format!("{}  fw.bin", hex::encode(Md5::digest(PAYLOAD)))
    );
}

#[test]
fn artifacts_of_unassigned_modules_are_refused() {
    let server = token_server();
    let d = deploy(&server, PAYLOAD, &Assignment::default());
    let other = server.create_module(
        ModuleSpec::new("secret", "1").artifact(ArtifactSpec::new("s.bin", &b"s"[..])),
    );
    let base = server.controller_url("dev-1");
    let r = get(&format!("{base}/softwaremodules/{other}/artifacts/s.bin"));
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.json::<Value>().unwrap()["errorCode"],
        json!("hawkbit.server.error.repo.entityNotFound")
    );
    assert_eq!(
        get(&format!("{base}/softwaremodules/{other}/artifacts")).status(),
        404
    );
    assert_eq!(
        get(&format!(
            "{base}/softwaremodules/{}/artifacts/missing.bin",
            d.module
        ))
        .status(),
        404
    );
    assert_eq!(
        get(&format!("{base}/softwaremodules/999/artifacts/x")).status(),
        404
    );
    // the list of an assigned module
    let list = get_json(&format!("{base}/softwaremodules/{}/artifacts", d.module));
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["filename"], json!("fw.bin"));
    assert_eq!(list[0]["size"], json!(PAYLOAD.len()));
    // downloads need the same credentials as the API
    let anonymous = http()
        .get(format!(
            "{base}/softwaremodules/{}/artifacts/fw.bin",
            d.module
        ))
        .send()
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}

#[test]
fn cdn_links_serve_without_auth_and_record_headers() {
    let server = token_server();
    server.set_artifact_links(ArtifactLinks::all_four(LinkOrigin::Cdn));
    deploy(&server, PAYLOAD, &Assignment::default());
    let doc = get_json(&link(&poll(&server), "deploymentBase").unwrap());
    let links = &doc["deployment"]["chunks"][0]["artifacts"][0]["_links"];
    for rel in ["download", "download-http", "md5sum", "md5sum-http"] {
        assert!(
            links[rel]["href"]
                .as_str()
                .unwrap()
                .starts_with(&server.cdn_url()),
            "{rel}"
        );
    }
    let href = links["download"]["href"].as_str().unwrap();
    let plain = http().get(href).send().unwrap();
    assert_eq!(plain.status(), 200);
    assert_eq!(&plain.bytes().unwrap()[..], PAYLOAD);
    assert_eq!(
        http()
            .get(href)
            .header("Range", "bytes=3-")
            .send()
            .unwrap()
            .status(),
        206
    );
    let md5 = http()
        .get(links["md5sum"]["href"].as_str().unwrap())
        .send()
        .unwrap();
    assert!(md5.text().unwrap().ends_with("  fw.bin"));
    let leaked = http()
        .get(href)
        .header("Authorization", auth())
        .send()
        .unwrap();
    assert_eq!(leaked.status(), 200);
    let seen = server.cdn_requests();
    assert_eq!(seen.len(), 4);
    assert!(seen[..3].iter().all(|r| r.authorization.is_none()));
    assert_eq!(seen[3].authorization.as_deref(), Some(auth().as_str()));
    assert_eq!(server.request_count(RouteKind::CdnDownload), 3);
    // an S3-like CDN refuses a second credential
    server.set_cdn_rejects_authorization(true);
    assert_eq!(
        http()
            .get(href)
            .header("Authorization", auth())
            .send()
            .unwrap()
            .status(),
        400
    );
    assert_eq!(http().get(href).send().unwrap().status(), 200);
}

#[test]
fn generated_artifacts_stream_large_content_consistently() {
    let server = token_server();
    let spec = ModuleSpec::new("big", "1").artifact(ArtifactSpec::generated(
        "big.img",
        3 * 1024 * 1024 + 17,
        42,
    ));
    let d = server.deploy(&["dev-1"], spec, &Assignment::default());
    let module = server.module(d.module).unwrap();
    let expected = module.artifacts[0].data.to_bytes();
    let url = format!(
        "{}/softwaremodules/{}/artifacts/big.img",
        server.controller_url("dev-1"),
        d.module
    );
    let body = get(&url).bytes().unwrap();
    assert_eq!(body.len(), expected.len());
    assert_eq!(
        hex::encode(sha2::Sha256::digest(&body)),
        module.artifacts[0].hashes.sha256
    );
    let tail = ranged(&url, "bytes=2000000-").bytes().unwrap();
    assert_eq!(&tail[..], &expected[2_000_000..]);
}

#[test]
fn any_satisfiable_range_returns_exactly_those_bytes() {
    use proptest::test_runner::{Config, TestRunner};
    let server = token_server();
    deploy(&server, PAYLOAD, &Assignment::default());
    let url = artifact_url(&server);
    let len = PAYLOAD.len();
    let mut runner = TestRunner::new(Config {
        cases: 64,
        ..Config::default()
    });
    runner
        .run(&(0..len, 0..len), |(a, b)| {
            let (start, end) = (a.min(b), a.max(b));
            let r = ranged(&url, &format!("bytes={start}-{end}"));
            let expected_status = if (start, end) == (0, len - 1) {
                200
            } else {
                206
            };
            proptest::prop_assert_eq!(r.status().as_u16(), expected_status);
            proptest::prop_assert_eq!(
                r.headers()["content-range"].to_str().unwrap(),
                format!("bytes {start}-{end}/{len}")
            );
            proptest::prop_assert_eq!(&r.bytes().unwrap()[..], &PAYLOAD[start..=end]);
            Ok(())
        })
        .unwrap();
}

#[test]
fn a_replaced_artifact_defeats_if_range_and_if_match() {
    let server = token_server();
    let d = deploy(&server, PAYLOAD, &Assignment::default());
    let url = artifact_url(&server);
    let old_etag = get(&url).headers()["etag"].to_str().unwrap().to_owned();
    let old_sha1 = hex::encode(Sha1::digest(PAYLOAD));
    server
        .replace_artifact(
            d.module,
            ArtifactSpec::new("fw.bin", &b"a different image"[..]),
        )
        .unwrap();
    let r = http()
        .get(&url)
        .header("Authorization", auth())
        .header("Range", "bytes=5-")
        .header("If-Range", &old_etag)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200, "stale validator: the whole new file");
    assert_eq!(&r.bytes().unwrap()[..], b"a different image");
    let r = http()
        .get(&url)
        .header("Authorization", auth())
        .header("If-Match", &old_sha1)
        .send()
        .unwrap();
    assert_eq!(r.status(), 412);
    assert!(
        server
            .replace_artifact(d.module, ArtifactSpec::new("nope.bin", &b""[..]))
            .is_err()
    );
}

#[test]
fn wait_for_action_sees_feedback_from_another_thread() {
    let server = token_server();
    let id = deploy(&server, PAYLOAD, &Assignment::default()).actions[0];
    let fb = format!(
        "{}/deploymentBase/{id}/feedback",
        server.controller_url("dev-1")
    );
    let device = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(50));
        post_json(&fb, &feedback("closed", "success")).status()
    });
    let done = server.wait_for_action(id, std::time::Duration::from_secs(5), |a| !a.active);
    assert_eq!(device.join().unwrap(), 200);
    assert_eq!(done.unwrap().status, ActionStatus::Finished);
    let never = server.wait_for_action(id, std::time::Duration::from_millis(30), |a| a.active);
    assert!(never.is_none());
}
