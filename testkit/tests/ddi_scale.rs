//! Scale mode: 10,000 controllers polling through one gateway token, as the
//! gateway-polling benchmark does, with ETag revalidation.

use std::sync::Arc;
use std::time::Instant;

use futures_util::StreamExt;
use testkit::ddi::{DdiServer, RouteKind, TenantConfig};

const CONTROLLERS: usize = 10_000;

fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_controllers_poll_and_revalidate() {
    let server = Arc::new(
        DdiServer::builder()
            .tenant("DEFAULT", TenantConfig::with_gateway_token("gw"))
            .request_log(false)
            .start(),
    );
    let ids: Vec<String> = (0..CONTROLLERS).map(|i| format!("scale-{i:05}")).collect();
    let before = rss_kib();
    server.register_controllers(&ids);
    if let (Some(before), Some(after)) = (before, rss_kib()) {
        // a controller is a small struct in a map: far below 1 KiB each
        assert!(
            after.saturating_sub(before) < 16 * 1024,
            "registering grew RSS by {} KiB",
            after - before
        );
    }
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let started = Instant::now();
    let results: Vec<(u16, u16)> = futures_util::stream::iter(ids.iter().cloned())
        .map(|id| {
            let (http, url) = (http.clone(), server.controller_url(&id));
            async move {
                let first = http
                    .get(&url)
                    .header("Authorization", "GatewayToken gw")
                    .send()
                    .await
                    .unwrap();
                let status = first.status().as_u16();
                let etag = first.headers()["etag"].to_str().unwrap().to_owned();
                let body = first.bytes().await.unwrap();
                assert!(body.starts_with(br#"{"config":{"polling":{"sleep":"00:05:00"}}"#));
                let again = http
                    .get(&url)
                    .header("Authorization", "GatewayToken gw")
                    .header("If-None-Match", etag)
                    .send()
                    .await
                    .unwrap();
                (status, again.status().as_u16())
            }
        })
        .buffer_unordered(64)
        .collect()
        .await;
    let took = started.elapsed();
    assert_eq!(results.len(), CONTROLLERS);
    assert!(
        results.iter().all(|r| *r == (200, 304)),
        "every first poll 200, every revalidation 304"
    );
    assert_eq!(
        server.request_count(RouteKind::Root),
        2 * CONTROLLERS as u64
    );
    assert_eq!(server.controller_count("DEFAULT"), CONTROLLERS);
    assert_eq!(server.controller("scale-09999").unwrap().polls, 2);
    assert!(server.requests().is_empty(), "no request log in scale mode");
    eprintln!(
        "{} polls in {took:?}: {:.0} polls/s (debug build)",
        2 * CONTROLLERS,
        (2 * CONTROLLERS) as f64 / took.as_secs_f64()
    );
    let server = Arc::try_unwrap(server).unwrap();
    // dropping the server joins its runtime thread; do it off the async workers
    tokio::task::spawn_blocking(move || drop(server))
        .await
        .unwrap();
}
