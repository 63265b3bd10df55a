//! Downloader against well-behaved and hostile servers: every failure is a
//! typed error, nothing panics, and no partial file ever carries the final name.

#![allow(clippy::unwrap_used)] // helpers outside #[test] fns assert by unwrapping too

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use ddi_client::{AuthScope, Backoff, Client, Controller, ErrorKind, RetryClass};
use support::{Server, artifact, payload, resp, serve_artifact};

fn controller(server: &str, auth: AuthScope) -> Controller {
    Client::builder(server, "DEFAULT")
        .auth(ddi_client::Auth::TargetToken("secret-token".into()))
        .auth_scope(auth)
        .backoff(Backoff::new(
            Duration::from_millis(1),
            Duration::from_millis(5),
            3,
        ))
        .build()
        .unwrap()
        .controller("dev-1")
        .unwrap()
}

fn only_file(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn verified_download_to_file_reports_progress() {
    let data = payload(300_000);
    let d2 = data.clone();
    let srv = Server::start(move |req, _| serve_artifact(req, &d2, "\"e1\"")).await;
    let c = controller(&srv.url(), AuthScope::ServerOrigin);
    let art = artifact("fw.bin", &data, &format!("{}/art/fw.bin", srv.url()));
    let seen = Arc::new(AtomicU64::new(0));
    let s2 = seen.clone();
    let dir = tempfile::tempdir().unwrap();
    let done = c
        .download(&art)
        .on_progress(move |p| {
            assert_eq!(p.total, Some(300_000));
            s2.store(p.downloaded, Ordering::SeqCst);
        })
        .to_file(dir.path())
        .await
        .unwrap();
    assert_eq!(done.bytes, 300_000);
    assert_eq!(
        done.verified_with,
        Some(ddi_client::download::HashAlgorithm::Sha256)
    );
    assert_eq!(seen.load(Ordering::SeqCst), 300_000);
    assert_eq!(std::fs::read(dir.path().join("fw.bin")).unwrap(), data);
    assert_eq!(only_file(dir.path()), ["fw.bin"]);
    // Same-origin artifact link: the token is sent.
    assert_eq!(
        srv.requests()[0].header("authorization"),
        Some("TargetToken secret-token")
    );
}

#[tokio::test]
async fn wrong_hash_leaves_no_file() {
    let data = payload(5000);
    let mut evil = data.clone();
    evil[100] ^= 1;
    let srv = Server::start(move |req, _| serve_artifact(req, &evil, "\"e\"")).await;
    let c = controller(&srv.url(), AuthScope::ServerOrigin);
    let art = artifact("fw.bin", &data, &format!("{}/a", srv.url()));
    let dir = tempfile::tempdir().unwrap();
    let err = c
        .download(&art)
        .max_attempts(2)
        .to_file(dir.path())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::HashMismatch);
    assert_eq!(err.retry_class(), RetryClass::TerminalForAction);
    assert!(
        only_file(dir.path()).is_empty(),
        "{:?}",
        only_file(dir.path())
    );
    assert_eq!(srv.requests().len(), 2, "bounded attempts");
}

#[tokio::test]
async fn truncated_body_is_resumed_with_range_and_if_range() {
    let data = payload(100_000);
    let d2 = data.clone();
    let srv = Server::start(move |req, i| {
        if i == 0 {
            // Claims the full length, sends 40 000 bytes, closes.
            let mut r = resp(
                200,
                &[("ETag", "\"v1\""), ("Content-Length", "100000")],
                &[],
            );
            r.extend_from_slice(&d2[..40_000]);
            r
        } else {
            serve_artifact(req, &d2, "\"v1\"")
        }
    })
    .await;
    let c = controller(&srv.url(), AuthScope::ServerOrigin);
    let art = artifact("fw.bin", &data, &format!("{}/a", srv.url()));
    let dir = tempfile::tempdir().unwrap();
    let done = c.download(&art).to_file(dir.path()).await.unwrap();
    assert_eq!(done.attempts, 2);
    let second = &srv.requests()[1];
    assert_eq!(second.header("range"), Some("bytes=40000-"));
    assert_eq!(second.header("if-range"), Some("\"v1\""));
    assert_eq!(std::fs::read(dir.path().join("fw.bin")).unwrap(), data);
}

#[tokio::test]
async fn resume_across_runs_uses_stored_validator_and_416_verifies() {
    let data = payload(20_000);
    let d2 = data.clone();
    let srv = Server::start(move |req, _| serve_artifact(req, &d2, "\"tag\"")).await;
    let c = controller(&srv.url(), AuthScope::ServerOrigin);
    let art = artifact("fw.bin", &data, &format!("{}/a", srv.url()));
    let dir = tempfile::tempdir().unwrap();
    // A previous run left the complete file under its temporary name.
    std::fs::write(dir.path().join(".fw.bin.part"), &data).unwrap();
    std::fs::write(dir.path().join(".fw.bin.part.etag"), "\"tag\"").unwrap();
    let done = c.download(&art).to_file(dir.path()).await.unwrap();
    assert_eq!(done.bytes, 20_000);
    assert_eq!(srv.requests().len(), 1);
    assert_eq!(srv.requests()[0].header("range"), Some("bytes=20000-"));
    assert_eq!(only_file(dir.path()), ["fw.bin"]);
}

#[tokio::test]
async fn changed_artifact_restarts_with_full_body() {
    let data = payload(20_000);
    let d2 = data.clone();
    let srv = Server::start(move |req, _| serve_artifact(req, &d2, "\"new\"")).await;
    let c = controller(&srv.url(), AuthScope::ServerOrigin);
    let art = artifact("fw.bin", &data, &format!("{}/a", srv.url()));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".fw.bin.part"),
        b"stale bytes of an old artifact",
    )
    .unwrap();
    std::fs::write(dir.path().join(".fw.bin.part.etag"), "\"old\"").unwrap();
    c.download(&art).to_file(dir.path()).await.unwrap();
    assert_eq!(srv.requests()[0].header("if-range"), Some("\"old\""));
    assert_eq!(std::fs::read(dir.path().join("fw.bin")).unwrap(), data);
}

#[tokio::test]
async fn lying_content_range_is_not_appended() {
    let data = payload(10_000);
    let d2 = data.clone();
    let srv = Server::start(move |req, i| {
        if i == 0 {
            let mut r = resp(200, &[("ETag", "\"v\""), ("Content-Length", "10000")], &[]);
            r.extend_from_slice(&d2[..4000]);
            r
        } else if req.header("range").is_some() {
            // Says it starts at 0 while the client asked for 4000.
            resp(
                206,
                &[("Content-Range", "bytes 0-9999/10000"), ("ETag", "\"v\"")],
                &d2,
            )
        } else {
            serve_artifact(req, &d2, "\"v\"")
        }
    })
    .await;
    let c = controller(&srv.url(), AuthScope::ServerOrigin);
    let art = artifact("fw.bin", &data, &format!("{}/a", srv.url()));
    let dir = tempfile::tempdir().unwrap();
    c.download(&art).to_file(dir.path()).await.unwrap();
    assert_eq!(std::fs::read(dir.path().join("fw.bin")).unwrap(), data);
    assert_eq!(srv.requests().len(), 3);
}

#[tokio::test]
async fn precondition_failed_discards_partial() {
    let data = payload(8_000);
    let d2 = data.clone();
    let srv = Server::start(move |req, _| {
        if req.header("range").is_some() {
            resp(412, &[], b"")
        } else {
            serve_artifact(req, &d2, "\"v\"")
        }
    })
    .await;
    let c = controller(&srv.url(), AuthScope::ServerOrigin);
    let art = artifact("fw.bin", &data, &format!("{}/a", srv.url()));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".fw.bin.part"), &data[..100]).unwrap();
    std::fs::write(dir.path().join(".fw.bin.part.etag"), "\"v\"").unwrap();
    c.download(&art).to_file(dir.path()).await.unwrap();
    assert_eq!(std::fs::read(dir.path().join("fw.bin")).unwrap(), data);
}

#[tokio::test]
async fn persistent_404_fails_once_without_looping() {
    let srv = Server::start(|_, _| resp(404, &[], b"")).await;
    let c = controller(&srv.url(), AuthScope::ServerOrigin);
    let art = artifact("fw.bin", b"x", &format!("{}/a", srv.url()));
    let dir = tempfile::tempdir().unwrap();
    let err = c.download(&art).to_file(dir.path()).await.unwrap_err();
    assert!(err.is_not_found());
    assert_eq!(err.retry_class(), RetryClass::TerminalForAction);
    assert_eq!(srv.requests().len(), 1);
    assert!(only_file(dir.path()).is_empty());
}

#[tokio::test]
async fn persistent_503_is_bounded() {
    let srv = Server::start(|_, _| resp(503, &[], b"")).await;
    let c = controller(&srv.url(), AuthScope::ServerOrigin);
    let art = artifact("fw.bin", b"x", &format!("{}/a", srv.url()));
    let dir = tempfile::tempdir().unwrap();
    let err = c
        .download(&art)
        .max_attempts(3)
        .to_file(dir.path())
        .await
        .unwrap_err();
    assert_eq!(err.status_code(), Some(503));
    // Bounded here, but not the end of the action: a later call may succeed.
    assert_eq!(err.retry_class(), RetryClass::Transient);
    assert_eq!(srv.requests().len(), 3);
    assert!(!dir.path().join("fw.bin").exists());
}

#[tokio::test]
async fn oversized_body_is_cut_off() {
    let data = payload(1000);
    let big = payload(5000);
    let srv = Server::start(move |_, _| resp(200, &[], &big)).await;
    let c = controller(&srv.url(), AuthScope::ServerOrigin);
    let art = artifact("fw.bin", &data, &format!("{}/a", srv.url()));
    let dir = tempfile::tempdir().unwrap();
    let err = c.download(&art).to_file(dir.path()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SizeMismatch);
    assert!(only_file(dir.path()).is_empty());
}

#[tokio::test]
async fn unsafe_names_are_rejected_before_any_request() {
    let srv = Server::start(|_, _| resp(200, &[], b"x")).await;
    let c = controller(&srv.url(), AuthScope::ServerOrigin);
    let dir = tempfile::tempdir().unwrap();
    for name in ["../evil", "/etc/passwd", "a/b", "..", "x\\y"] {
        let art = artifact(name, b"x", &format!("{}/a", srv.url()));
        let err = c.download(&art).to_file(dir.path()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnsafeFileName, "{name}");
        assert_eq!(err.retry_class(), RetryClass::CallerBug);
    }
    assert!(srv.requests().is_empty());
    assert!(only_file(dir.path()).is_empty());
}

#[tokio::test]
async fn no_hash_is_refused_unless_allowed() {
    let srv = Server::start(|_, _| resp(200, &[], b"abc")).await;
    let c = controller(&srv.url(), AuthScope::ServerOrigin);
    let mut art = artifact("f", b"abc", &format!("{}/a", srv.url()));
    art.hashes = None;
    let mut sink = Vec::new();
    assert_eq!(
        c.download(&art)
            .to_writer(&mut sink)
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::NoHash
    );
    let done = c
        .download(&art)
        .allow_unverified(true)
        .to_writer(&mut sink)
        .await
        .unwrap();
    assert_eq!((done.bytes, done.verified_with), (3, None));
    assert_eq!(sink, b"abc");
}

#[tokio::test]
async fn tokens_do_not_go_to_foreign_hosts_unless_allowed() {
    let data = payload(1000);
    let d2 = data.clone();
    let cdn = Server::start(move |req, _| serve_artifact(req, &d2, "\"c\"")).await;
    let api = Server::start(|_, _| resp(404, &[], b"")).await;
    let art = artifact(
        "fw.bin",
        &data,
        &format!("{}/blob/fw.bin?sig=abc", cdn.url()),
    );
    let mut sink = Vec::new();
    controller(&api.url(), AuthScope::ServerOrigin)
        .download(&art)
        .to_writer(&mut sink)
        .await
        .unwrap();
    assert_eq!(sink, data);
    assert_eq!(cdn.requests()[0].header("authorization"), None);
    assert_eq!(
        cdn.requests()[0].target,
        "/blob/fw.bin?sig=abc",
        "link followed verbatim"
    );
    let origin = url::Url::parse(&cdn.url()).unwrap().origin();
    let mut sink = Vec::new();
    controller(&api.url(), AuthScope::AlsoOrigins(vec![origin]))
        .download(&art)
        .to_writer(&mut sink)
        .await
        .unwrap();
    assert_eq!(
        cdn.requests()[1].header("authorization"),
        Some("TargetToken secret-token")
    );
}

#[tokio::test]
async fn redirect_to_foreign_host_drops_the_token() {
    let data = payload(500);
    let d2 = data.clone();
    let cdn = Server::start(move |req, _| serve_artifact(req, &d2, "\"c\"")).await;
    let target = format!("{}/blob", cdn.url());
    let api = Server::start(move |_, _| resp(302, &[("Location", &target)], b"")).await;
    let art = artifact("fw.bin", &data, &format!("{}/a", api.url()));
    let mut sink = Vec::new();
    controller(&api.url(), AuthScope::ServerOrigin)
        .download(&art)
        .to_writer(&mut sink)
        .await
        .unwrap();
    assert_eq!(
        api.requests()[0].header("authorization"),
        Some("TargetToken secret-token")
    );
    assert_eq!(cdn.requests()[0].header("authorization"), None);
}

#[tokio::test]
async fn redirect_loop_is_a_typed_error() {
    let srv = Server::start(|req, _| resp(302, &[("Location", req.target.as_str())], b"")).await;
    let c = controller(&srv.url(), AuthScope::ServerOrigin);
    let art = artifact("fw.bin", b"x", &format!("{}/loop", srv.url()));
    let dir = tempfile::tempdir().unwrap();
    let err = c.download(&art).to_file(dir.path()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Redirect);
    assert!(srv.requests().len() <= 6);
    assert!(only_file(dir.path()).is_empty());
}

#[tokio::test]
async fn rate_limit_slows_the_transfer() {
    let data = payload(64 * 1024);
    let d2 = data.clone();
    let srv = Server::start(move |req, _| serve_artifact(req, &d2, "\"v\"")).await;
    let c = controller(&srv.url(), AuthScope::ServerOrigin);
    let art = artifact("fw.bin", &data, &format!("{}/a", srv.url()));
    let start = std::time::Instant::now();
    let mut sink = Vec::new();
    c.download(&art)
        .rate_limit(256 * 1024)
        .to_writer(&mut sink)
        .await
        .unwrap();
    assert!(
        start.elapsed() >= Duration::from_millis(200),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(sink, data);
}

#[tokio::test]
async fn network_failures_keep_a_resumable_part_file() {
    let data = payload(10_000);
    let d2 = data.clone();
    let srv = Server::start(move |req, i| {
        let full = serve_artifact(req, &d2, "\"v\"");
        if i < 2 {
            // Headers plus 3000 bytes of body, then the connection drops.
            let head_end = full.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
            full[..(head_end + 3000).min(full.len())].to_vec()
        } else {
            full
        }
    })
    .await;
    let c = controller(&srv.url(), AuthScope::ServerOrigin);
    let art = artifact("fw.bin", &data, &format!("{}/a", srv.url()));
    let dir = tempfile::tempdir().unwrap();
    let err = c
        .download(&art)
        .max_attempts(2)
        .to_file(dir.path())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AttemptsExhausted);
    assert_eq!(err.retry_class(), RetryClass::Transient);
    assert_eq!(only_file(dir.path()), [".fw.bin.part", ".fw.bin.part.etag"]);
    assert_eq!(
        std::fs::metadata(dir.path().join(".fw.bin.part"))
            .unwrap()
            .len(),
        6000
    );
    // The next run continues where the last one stopped.
    c.download(&art).to_file(dir.path()).await.unwrap();
    assert_eq!(srv.requests()[2].header("range"), Some("bytes=6000-"));
    assert_eq!(std::fs::read(dir.path().join("fw.bin")).unwrap(), data);
    assert_eq!(only_file(dir.path()), ["fw.bin"]);
}

#[tokio::test]
async fn not_on_downloads_scope_keeps_tokens_off_artifacts() {
    let data = payload(100);
    let d2 = data.clone();
    let srv = Server::start(move |req, _| {
        if req.path().ends_with("/a") {
            serve_artifact(req, &d2, "\"v\"")
        } else {
            resp(200, &[], b"{}")
        }
    })
    .await;
    let c = controller(&srv.url(), AuthScope::NotOnDownloads);
    c.poll().await.unwrap();
    let mut sink = Vec::new();
    c.download(&artifact("f", &data, &format!("{}/a", srv.url())))
        .to_writer(&mut sink)
        .await
        .unwrap();
    let reqs = srv.requests();
    assert_eq!(
        reqs[0].header("authorization"),
        Some("TargetToken secret-token")
    );
    assert_eq!(reqs[1].header("authorization"), None);
}

#[tokio::test]
async fn too_little_free_space_fails_before_any_byte_is_fetched() {
    let data = payload(50_000);
    let d2 = data.clone();
    let hits = Arc::new(AtomicU64::new(0));
    let h2 = hits.clone();
    let srv = Server::start(move |req, _| {
        h2.fetch_add(1, Ordering::SeqCst);
        serve_artifact(req, &d2, "\"e1\"")
    })
    .await;
    let c = controller(&srv.url(), AuthScope::ServerOrigin);
    let art = artifact("fw.bin", &data, &format!("{}/art/fw.bin", srv.url()));
    let dir = tempfile::tempdir().unwrap();
    // No file system has an exabyte to spare after this download.
    let err = c
        .download(&art)
        .free_space_reserve(Some(1 << 60))
        .to_file(dir.path())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InsufficientSpace);
    assert_eq!(err.retry_class(), RetryClass::TerminalForAction);
    let why = std::error::Error::source(&err).unwrap().to_string();
    assert!(why.contains("available"), "{why}");
    assert_eq!(hits.load(Ordering::SeqCst), 0, "nothing was requested");
    assert!(!dir.path().join("fw.bin").exists());

    // The default (no reserve) and a disabled check both download.
    c.download(&art).to_file(dir.path()).await.unwrap();
    std::fs::remove_file(dir.path().join("fw.bin")).unwrap();
    c.download(&art)
        .free_space_reserve(None)
        .to_file(dir.path())
        .await
        .unwrap();
    assert_eq!(std::fs::read(dir.path().join("fw.bin")).unwrap(), data);
}
