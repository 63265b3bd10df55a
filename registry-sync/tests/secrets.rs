//! Secrets never reach logs or outcomes, whatever path a sync takes.

mod common;

use common::*;
use registry_sync::DeviceRecord;
use registry_sync::connectors::memory::Fault;
use registry_sync::engine::EngineConfig;
use registry_sync::journal::MemoryJournal;
use registry_sync::model::{Credentials, Secret};
use std::sync::Arc;
use std::time::Duration;

const KEY: &str = "c3VwZXItc2VjcmV0LXByaW1hcnkta2V5LTAwMDE=";
const KEY2: &str = "b3RoZXItc2VjcmV0LXNlY29uZGFyeS1rZXk=";

#[tokio::test(start_paused = true)]
async fn keys_never_appear_in_logs_or_outcomes() {
    let (logs, _guard) = logs::capture();

    let d = drift(0);
    let keyed = |id: &str| {
        DeviceRecord::new(id)
            .with_credentials(Credentials::new(Secret::new(KEY), Some(Secret::new(KEY2))))
    };
    d.master.seed([keyed("k1"), keyed("k2"), keyed("k3")]);
    d.replica.seed([owned(DeviceRecord::new("k2"))]);
    // Make every path run: retries, a permanent failure, then success.
    d.replica
        .fail_next(Fault::Throttle(Some(Duration::from_secs(1))), 2);
    let mut cfg = EngineConfig::new();
    cfg.retry(&retry(
        4,
        Duration::from_millis(10),
        Duration::from_millis(10),
        Duration::from_secs(5),
    ));
    let e = engine(&d, policy(), Arc::new(MemoryJournal::new()), cfg);
    let mut rx = e.outcomes();
    let report = e.sync_once().await.unwrap();
    assert_eq!(report.created + report.updated, 3);
    let outcome_text = {
        let mut all = String::new();
        while let Some(Ok(o)) = rx.try_recv() {
            all.push_str(&format!("{o:?}\n"));
        }
        all
    };
    let text = logs.text();
    assert!(text.contains("k1"), "nothing was logged: {text}");
    for secret in [KEY, KEY2] {
        assert!(!text.contains(secret), "secret in logs");
        assert!(!outcome_text.contains(secret), "secret in outcomes");
    }
    // The keys did reach the replica.
    let synced = d.replica.snapshot();
    let creds = synced
        .get("k1")
        .and_then(|r| r.credentials.clone())
        .unwrap();
    assert_eq!(creds.expose_primary(), KEY);
    assert!(!format!("{:?}", synced.get("k1")).contains(KEY));
}
