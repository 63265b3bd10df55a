//! Secrets never reach logs or outcomes, whatever path a sync takes.

mod common;

use common::*;
use registry_sync::journal::MemoryJournal;
use registry_sync::{Credentials, DeviceRecord, EngineConfig, Fault, RetryPolicy, Secret};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const KEY: &str = "c3VwZXItc2VjcmV0LXByaW1hcnkta2V5LTAwMDE=";
const KEY2: &str = "b3RoZXItc2VjcmV0LXNlY29uZGFyeS1rZXk=";

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn keys_never_appear_in_logs_or_outcomes() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

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
    cfg.retry(RetryPolicy::new(
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
        while let Ok(o) = rx.try_recv() {
            all.push_str(&format!("{o:?}\n"));
        }
        all
    };
    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
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
