//! Against a real third-party DDI server (goosebit on loopback): register via
//! configData, poll, fetch the deployment, download with an interrupted then
//! resumed transfer, verify, send feedback, and see the server record success.

#![allow(clippy::unwrap_used)] // helpers outside #[test] fns assert by unwrapping too

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use ddi_client::model::{
    ActionFeedback, ActionId, ConfigData, ConfigMode, Execution, Finished, Handling,
};
use ddi_client::{Auth, Client};
use testkit::peers::Goosebit;

/// A minimal SWUpdate image: a `newc` cpio archive whose first member is
/// `sw-description`, then the payload.
fn swu(version: &str, payload: &[u8]) -> Vec<u8> {
    let desc = format!(
        "software = {{ version = \"{version}\"; files: ({{ filename = \"payload.bin\"; path = \"/tmp/x\"; sha256 = \"{}\"; }}); }}\n",
        support::sha256_hex(payload)
    );
    let mut out = Vec::new();
    for (i, (name, data)) in [
        ("sw-description", desc.as_bytes()),
        ("payload.bin", payload),
        ("TRAILER!!!", &[][..]),
    ]
    .into_iter()
    .enumerate()
    {
        let mode = if name == "TRAILER!!!" { 0 } else { 0o100644 };
        let fields = [
            i as u32 + 1,
            mode,
            0,
            0,
            1,
            0,
            data.len() as u32,
            0,
            0,
            0,
            0,
            name.len() as u32 + 1,
            0,
        ];
        out.extend_from_slice(b"070701");
        for f in fields {
            out.extend_from_slice(format!("{f:08X}").as_bytes());
        }
        out.extend_from_slice(name.as_bytes());
        out.push(0);
        while out.len() % 4 != 0 {
            out.push(0);
        }
        out.extend_from_slice(data);
        while out.len() % 4 != 0 {
            out.push(0);
        }
    }
    out
}

/// goosebit's management API, enough to upload, assign and read state.
struct Manager {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Manager {
    async fn login(base: &str) -> Self {
        let http = reqwest::Client::new();
        let form = "username=admin%40example.com&password=test-password-1";
        for path in ["/setup", "/login"] {
            let r = http
                .post(format!("{base}{path}"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(form)
                .send()
                .await
                .unwrap();
            if path == "/login" {
                assert!(r.status().is_success(), "login: {}", r.status());
                let v: serde_json::Value = r.json().await.unwrap();
                return Self {
                    http,
                    base: base.to_owned(),
                    token: v["access_token"].as_str().unwrap().to_owned(),
                };
            }
        }
        unreachable!()
    }

    async fn upload(&self, name: &str, image: Vec<u8>) -> u64 {
        let boundary = "ddi-client-test-boundary";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(&image);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let r = self
            .http
            .put(format!("{}/api/v1/software", self.base))
            .bearer_auth(&self.token)
            .header(
                "Content-Type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let v: serde_json::Value = r.json().await.unwrap();
        assert!(status.is_success(), "upload: {status} {v}");
        v["id"].as_u64().unwrap()
    }

    async fn assign(&self, device: &str, software: u64) {
        let r = self
            .http
            .put(format!("{}/api/v1/devices", self.base))
            .bearer_auth(&self.token)
            .json(&serde_json::json!({"devices": [device], "software": software.to_string()}))
            .send()
            .await
            .unwrap();
        let status = r.status();
        assert!(
            status.is_success(),
            "assign: {status} {}",
            r.text().await.unwrap()
        );
    }

    async fn device(&self, id: &str) -> serde_json::Value {
        let r = self
            .http
            .get(format!("{}/api/v1/devices", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        let v: serde_json::Value = r.json().await.unwrap();
        let list = v["devices"].as_array().cloned().unwrap_or_default();
        list.into_iter()
            .find(|d| d["id"] == id)
            .unwrap_or(serde_json::Value::Null)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_update_flow_with_resumed_download() {
    let Some(gb) = tokio::task::spawn_blocking(Goosebit::start).await.unwrap() else {
        return;
    };
    let mgr = Manager::login(&gb.base_url()).await;
    let device = "ddi-client-it-1";
    let client = Client::builder(gb.base_url(), "DEFAULT")
        .auth(Auth::None)
        .build()
        .unwrap();
    let ctl = client.controller(device).unwrap();

    // 1. First poll offers only configData; registering unlocks deployments.
    let base = ctl.poll().await.unwrap();
    let config_link = base
        .links
        .config_data
        .clone()
        .expect("goosebit asks for configData first");
    let attrs = ConfigData::new(ConfigMode::Merge)
        .with("hw_boardname", "default")
        .with("hw_revision", "default")
        .with("sw_version", "0.0.1");
    ctl.put_config_data(Some(&config_link), &attrs)
        .await
        .unwrap();

    // 2. Upload a 1 MiB image and assign it.
    let payload = support::payload(1024 * 1024);
    let image = swu("1.0.1", &payload);
    let software = mgr.upload("demo-1.0.1.swu", image.clone()).await;
    mgr.assign(device, software).await;

    // 3. Poll until the deployment shows up, then fetch it.
    let mut link = None;
    for _ in 0..20 {
        if let Some(l) = ctl.poll().await.unwrap().links.deployment_base {
            link = Some(l);
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let link = link.unwrap_or_else(|| panic!("no deployment offered; log:\n{}", gb.log()));
    let deployment = ctl.deployment_base(&link, None).await.unwrap();
    assert_eq!(deployment.id, ActionId::from_href(&link.href).unwrap());
    assert_eq!(deployment.deployment.download, Some(Handling::Forced));
    let artifact = deployment.deployment.chunks[0].artifacts[0].clone();
    assert_eq!(artifact.size, Some(image.len() as u64));
    assert!(
        artifact.hashes.as_ref().unwrap().sha256.is_none(),
        "goosebit sends sha1 only"
    );

    ctl.deployment_feedback(
        &link,
        &ActionFeedback::new(Execution::Proceeding, Finished::None).with_detail("Downloading"),
    )
    .await
    .unwrap();

    // 4. Download, interrupted after about a third.
    let dir = tempfile::tempdir().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let tx = std::sync::Mutex::new(Some(tx));
    let mut first = ctl.download(&artifact);
    first.rate_limit(512 * 1024).on_progress(move |p| {
        if p.downloaded > 300_000
            && let Some(tx) = tx.lock().unwrap().take()
        {
            let _ = tx.send(());
        }
    });
    let path = dir.path().to_owned();
    let task = tokio::spawn(async move { first.to_file(&path).await });
    rx.await.unwrap();
    task.abort();
    let _ = task.await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let part = dir.path().join(".demo-1.0.1.swu.part");
    let partial = std::fs::metadata(&part).unwrap().len();
    assert!(
        partial > 0 && partial < image.len() as u64,
        "partial {partial}"
    );
    assert!(
        !dir.path().join("demo-1.0.1.swu").exists(),
        "no complete-looking file yet"
    );

    // 5. Resume: the first progress report already includes the kept bytes.
    let first_report = Arc::new(AtomicU64::new(0));
    let fr = first_report.clone();
    let done = ctl
        .download(&artifact)
        .on_progress(move |p| {
            let _ = fr.compare_exchange(0, p.downloaded, Ordering::SeqCst, Ordering::SeqCst);
        })
        .to_file(dir.path())
        .await
        .unwrap();
    assert!(
        first_report.load(Ordering::SeqCst) > partial,
        "resumed, not restarted"
    );
    assert_eq!(
        done.verified_with,
        Some(ddi_client::download::HashAlgorithm::Sha1)
    );
    assert_eq!(
        std::fs::read(dir.path().join("demo-1.0.1.swu")).unwrap(),
        image
    );

    // 6. Report success and see the server record it.
    let ok = ActionFeedback::new(Execution::Closed, Finished::Success)
        .with_progress(1, 1)
        .with_detail("installed 1.0.1")
        .timestamped_now();
    ctl.deployment_feedback(&link, &ok).await.unwrap();
    let state = mgr.device(device).await;
    assert_eq!(state["last_state"], "Finished", "{state}\n{}", gb.log());
    assert_eq!(state["sw_version"], "1.0.1", "{state}");
    assert!(
        ctl.poll().await.unwrap().links.deployment_base.is_none(),
        "nothing more offered"
    );
}
