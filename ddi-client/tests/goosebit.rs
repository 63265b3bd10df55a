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
use testkit::peers::goosebit_admin::{GoosebitAdmin, build_swu};

/// Runs a blocking management call off the async runtime.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, String> + Send + 'static) -> T {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("goosebit management: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_update_flow_with_resumed_download() {
    let Some(gb) = tokio::task::spawn_blocking(Goosebit::start).await.unwrap() else {
        return;
    };
    let gb = Arc::new(gb);
    let admin = {
        let gb = gb.clone();
        blocking(move || GoosebitAdmin::for_server(&gb)).await
    };
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
    let image = build_swu("1.0.1", "payload.bin", &payload);
    let software = {
        let (admin, image) = (admin.clone(), image.clone());
        blocking(move || admin.upload_software("demo-1.0.1.swu", image)).await
    };
    {
        let admin = admin.clone();
        blocking(move || admin.assign(device, software)).await;
    }

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
    let deployment = ctl
        .deployment_base(&link, ddi_client::HistoryRequest::Omit)
        .await
        .unwrap();
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
    let state = blocking(move || admin.device(device))
        .await
        .expect("device listed");
    assert_eq!(state.last_state, "Finished", "{state:?}\n{}", gb.log());
    assert_eq!(state.sw_version.as_deref(), Some("1.0.1"), "{state:?}");
    assert!(
        ctl.poll().await.unwrap().links.deployment_base.is_none(),
        "nothing more offered"
    );
}

struct Slot {
    installed: Arc<std::sync::Mutex<Vec<u8>>>,
}

impl ddi_client::agent::Installer for Slot {
    async fn install(
        &self,
        _: &ddi_client::model::DeploymentBase,
        files: &[std::path::PathBuf],
    ) -> ddi_client::agent::InstallOutcome {
        *self.installed.lock().unwrap() = std::fs::read(&files[0]).unwrap();
        ddi_client::agent::InstallOutcome::success()
            .with_code(0)
            .with_detail("slot b written")
    }
    fn attributes(&self) -> ConfigData {
        ConfigData::new(ConfigMode::Merge)
            .with("hw_boardname", "default")
            .with("hw_revision", "default")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_updates_a_device_end_to_end() {
    let Some(gb) = tokio::task::spawn_blocking(Goosebit::start).await.unwrap() else {
        return;
    };
    let gb = Arc::new(gb);
    let admin = {
        let gb = gb.clone();
        blocking(move || GoosebitAdmin::for_server(&gb)).await
    };
    let device = "ddi-client-agent-1";
    let client = Client::builder(gb.base_url(), "DEFAULT")
        .auth(Auth::None)
        .build()
        .unwrap();
    let slot = Slot {
        installed: Arc::default(),
    };
    let installed = slot.installed.clone();
    let dir = tempfile::tempdir().unwrap();
    let mut agent =
        ddi_client::agent::Agent::new(client.controller(device).unwrap(), slot, dir.path());
    agent.polling_bounds(
        ddi_client::model::PollingBounds::new(Duration::from_millis(50), Duration::from_secs(1))
            .unwrap(),
    );
    // First step registers the device through configData.
    agent.step().await.unwrap();
    let image = build_swu("2.0.0", "payload.bin", &support::payload(200_000));
    let software = {
        let (admin, image) = (admin.clone(), image.clone());
        blocking(move || admin.upload_software("app-2.0.0.swu", image)).await
    };
    {
        let admin = admin.clone();
        blocking(move || admin.assign(device, software)).await;
    }
    let mut decisions = Vec::new();
    for _ in 0..20 {
        let report = agent.step().await.unwrap();
        decisions.push(report.decision.clone());
        if !installed.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(*installed.lock().unwrap(), image, "{decisions:?}");
    let state = blocking(move || admin.device(device))
        .await
        .expect("device listed");
    assert_eq!(state.last_state, "Finished", "{state:?}\n{}", gb.log());
    assert_eq!(state.sw_version.as_deref(), Some("2.0.0"));
    assert_eq!(
        agent.step().await.unwrap().decision,
        ddi_client::agent::Decision::Idle
    );
}
