//! The update loop against the testkit DDI simulator: forced, download-only,
//! maintenance windows, consent, cancel, failure and resume after restart.

#![allow(clippy::unwrap_used)] // helpers outside #[test] fns assert by unwrapping too

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ddi_client::agent::{Agent, ConsentPolicy, Decision, InstallOutcome, Installer};
use ddi_client::model::{
    ConfigData, ConfigMode, ConfirmationBaseAction, DeploymentBase, PollingBounds,
};
use ddi_client::{Auth, Backoff, Client};
use testkit::ddi::{
    ActionStatus, ArtifactSpec, Assignment, DEFAULT_TENANT, DdiServer, Fault, FaultRule,
    MaintenanceWindow, ModuleSpec, RouteKind, TenantConfig,
};

/// Action id and the bytes of every file, per install call.
type Installs = Arc<Mutex<Vec<(String, Vec<Vec<u8>>)>>>;

#[derive(Clone, Default)]
struct Recorder {
    installs: Installs,
    /// Action ids the installer was asked to resume.
    resumed: Arc<Mutex<Vec<String>>>,
    fail: bool,
    consent: bool,
}

impl Installer for Recorder {
    async fn install(&self, d: &DeploymentBase, files: &[PathBuf]) -> InstallOutcome {
        let contents = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
        self.installs
            .lock()
            .unwrap()
            .push((d.id.to_string(), contents));
        if self.fail {
            InstallOutcome::failure().with_code(7)
        } else {
            InstallOutcome::success().with_code(0)
        }
    }
    async fn resume_install(&self, d: &DeploymentBase, files: &[PathBuf]) -> InstallOutcome {
        // This installer's installation is "reboot into the new slot": on
        // resume it only checks that the files it would have booted are there.
        self.resumed.lock().unwrap().push(d.id.to_string());
        let outcome = if files.iter().all(|f| f.exists()) {
            InstallOutcome::success()
        } else {
            InstallOutcome::failure()
        };
        outcome.with_code(0).with_detail("booted the new slot")
    }
    async fn consent(&self, _: &ConfirmationBaseAction) -> bool {
        self.consent
    }
    fn attributes(&self) -> ConfigData {
        ConfigData::new(ConfigMode::Merge).with("hw", "rev-a")
    }
}

fn setup() -> (DdiServer, Client) {
    let server = DdiServer::builder()
        .tenant(DEFAULT_TENANT, TenantConfig::with_gateway_token("gw"))
        .start();
    let client = Client::builder(server.url(), DEFAULT_TENANT)
        .auth(Auth::GatewayToken("gw".into()))
        .backoff(Backoff::new(
            Duration::from_millis(1),
            Duration::from_millis(5),
            2,
        ))
        .build()
        .unwrap();
    (server, client)
}

fn agent(client: &Client, id: &str, installer: Recorder, dir: &std::path::Path) -> Agent<Recorder> {
    let mut a = Agent::new(client.controller(id).unwrap(), installer, dir);
    a.polling_bounds(
        PollingBounds::new(Duration::from_millis(10), Duration::from_secs(1)).unwrap(),
    );
    a
}

fn module(bytes: &'static [u8]) -> ModuleSpec {
    ModuleSpec::new("fw", "1.0.0").artifact(ArtifactSpec::new("fw.bin", bytes))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forced_action_is_downloaded_verified_installed_and_reported() {
    let (server, client) = setup();
    let dir = tempfile::tempdir().unwrap();
    let rec = Recorder::default();
    let mut a = agent(&client, "dev-1", rec.clone(), dir.path());
    assert_eq!(a.step().await.unwrap().decision, Decision::Idle);
    let dep = server.deploy(
        &["dev-1"],
        module(b"firmware image"),
        &Assignment::default(),
    );
    let report = a.step().await.unwrap();
    assert_eq!(report.decision, Decision::Download { install: true });
    assert_eq!(
        rec.installs.lock().unwrap()[0].1,
        vec![b"firmware image".to_vec()]
    );
    let action = server.action(dep.actions[0]).unwrap();
    assert_eq!(action.status, ActionStatus::Finished, "{action:?}");
    assert!(!dir.path().join("agent-state.json").exists());
    assert_eq!(
        server
            .controller("dev-1")
            .unwrap()
            .attributes
            .get("hw")
            .map(String::as_str),
        Some("rev-a")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn download_only_reports_downloaded_and_never_installs() {
    let (server, client) = setup();
    let dir = tempfile::tempdir().unwrap();
    let rec = Recorder::default();
    let mut a = agent(&client, "dev-2", rec.clone(), dir.path());
    let dep = server.deploy(
        &["dev-2"],
        module(b"data"),
        &Assignment::new(testkit::ddi::ActionType::DownloadOnly),
    );
    assert_eq!(
        a.step().await.unwrap().decision,
        Decision::Download { install: false }
    );
    assert_eq!(
        server.action(dep.actions[0]).unwrap().status,
        ActionStatus::Downloaded
    );
    assert!(rec.installs.lock().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn maintenance_window_defers_installation_until_open() {
    let (server, client) = setup();
    let dir = tempfile::tempdir().unwrap();
    let rec = Recorder::default();
    let mut a = agent(&client, "dev-3", rec.clone(), dir.path());
    let assignment = Assignment::default().maintenance(MaintenanceWindow::Manual { open: false });
    let dep = server.deploy(&["dev-3"], module(b"later"), &assignment);
    assert_eq!(
        a.step().await.unwrap().decision,
        Decision::Download { install: false }
    );
    assert_eq!(a.step().await.unwrap().decision, Decision::WaitForWindow);
    assert!(rec.installs.lock().unwrap().is_empty());
    server
        .set_maintenance_window(
            dep.actions[0],
            Some(MaintenanceWindow::Manual { open: true }),
        )
        .unwrap();
    assert_eq!(a.step().await.unwrap().decision, Decision::Install);
    assert_eq!(rec.installs.lock().unwrap().len(), 1);
    assert_eq!(
        server.action(dep.actions[0]).unwrap().status,
        ActionStatus::Finished
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consent_is_asked_and_confirmed_action_proceeds() {
    let (server, client) = setup();
    let dir = tempfile::tempdir().unwrap();
    let rec = Recorder {
        consent: true,
        ..Recorder::default()
    };
    let mut a = agent(&client, "dev-4", rec.clone(), dir.path());
    let dep = server.deploy(
        &["dev-4"],
        module(b"ok"),
        &Assignment::default().confirmation_required(),
    );
    assert_eq!(a.step().await.unwrap().decision, Decision::AskConsent);
    a.step().await.unwrap();
    assert_eq!(
        server.action(dep.actions[0]).unwrap().status,
        ActionStatus::Finished
    );

    let deny = Recorder {
        consent: false,
        ..Recorder::default()
    };
    let mut b = agent(&client, "dev-5", deny.clone(), dir.path());
    b.consent_policy(ConsentPolicy::AskInstaller);
    let dep = server.deploy(
        &["dev-5"],
        module(b"no"),
        &Assignment::default().confirmation_required(),
    );
    b.step().await.unwrap();
    assert_eq!(
        server.action(dep.actions[0]).unwrap().status,
        ActionStatus::WaitForConfirmation
    );
    assert!(deny.installs.lock().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_before_installation_is_accepted() {
    let (server, client) = setup();
    let dir = tempfile::tempdir().unwrap();
    let rec = Recorder::default();
    let mut a = agent(&client, "dev-6", rec.clone(), dir.path());
    let assignment = Assignment::default().maintenance(MaintenanceWindow::Manual { open: false });
    let dep = server.deploy(&["dev-6"], module(b"x"), &assignment);
    a.step().await.unwrap();
    server.cancel(dep.actions[0]).unwrap();
    assert_eq!(a.step().await.unwrap().decision, Decision::AcceptCancel);
    assert_eq!(
        server.action(dep.actions[0]).unwrap().status,
        ActionStatus::Canceled
    );
    assert!(!dir.path().join("agent-state.json").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_hash_ends_the_action_with_failure_feedback() {
    let (server, client) = setup();
    let dir = tempfile::tempdir().unwrap();
    let rec = Recorder::default();
    let mut a = agent(&client, "dev-7", rec.clone(), dir.path());
    server.inject(FaultRule::always(
        RouteKind::ArtifactDownload,
        Fault::WrongHash,
    ));
    let dep = server.deploy(&["dev-7"], module(b"genuine bytes"), &Assignment::default());
    a.step().await.unwrap();
    let action = server.action(dep.actions[0]).unwrap();
    assert_eq!(action.status, ActionStatus::Error);
    assert!(rec.installs.lock().unwrap().is_empty());
    assert!(
        !dir.path()
            .join("downloads")
            .join(dep.actions[0].0.to_string())
            .join("0")
            .join("fw.bin")
            .exists()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_reports_a_result_the_previous_run_could_not_send() {
    let (server, client) = setup();
    let dir = tempfile::tempdir().unwrap();
    let dep = server.deploy(&["dev-8"], module(b"y"), &Assignment::default());
    // The previous process installed, persisted the result, then died.
    let state = format!(
        r#"{{"id":"{}","phase":{{"installed":{{"success":true,"code":0}}}}}}"#,
        dep.actions[0].0
    );
    std::fs::write(dir.path().join("agent-state.json"), state).unwrap();
    let rec = Recorder::default();
    let mut a = agent(&client, "dev-8", rec.clone(), dir.path());
    assert_eq!(
        a.step().await.unwrap().decision,
        Decision::ReportResult {
            success: true,
            code: Some(0)
        }
    );
    assert!(
        rec.installs.lock().unwrap().is_empty(),
        "not installed twice"
    );
    assert_eq!(
        server.action(dep.actions[0]).unwrap().status,
        ActionStatus::Finished
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn installer_failure_is_reported_with_its_code() {
    let (server, client) = setup();
    let dir = tempfile::tempdir().unwrap();
    let rec = Recorder {
        fail: true,
        ..Recorder::default()
    };
    let mut a = agent(&client, "dev-9", rec.clone(), dir.path());
    let dep = server.deploy(&["dev-9"], module(b"z"), &Assignment::default());
    a.step().await.unwrap();
    let action = server.action(dep.actions[0]).unwrap();
    assert_eq!(action.status, ActionStatus::Error);
    assert_eq!(action.last_feedback().unwrap().code, Some(7));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_loop_completes_an_update_and_stops_on_request() {
    let (server, client) = setup();
    let dir = tempfile::tempdir().unwrap();
    let rec = Recorder::default();
    let mut a = agent(&client, "dev-10", rec.clone(), dir.path());
    a.active_poll_interval(Duration::from_millis(10));
    let dep = server.deploy(&["dev-10"], module(b"loop"), &Assignment::default());
    let watch = {
        let installs = rec.installs.clone();
        async move {
            while installs.lock().unwrap().is_empty() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), a.run(watch))
        .await
        .unwrap();
    assert_eq!(
        server.action(dep.actions[0]).unwrap().status,
        ActionStatus::Finished
    );
}

#[derive(Clone, Default)]
struct Busy {
    inner: Recorder,
    busy: Arc<Mutex<bool>>,
}

impl Installer for Busy {
    async fn install(&self, d: &DeploymentBase, files: &[PathBuf]) -> InstallOutcome {
        self.inner.install(d, files).await
    }
    async fn defer_install(&self, _: &DeploymentBase) -> bool {
        *self.busy.lock().unwrap()
    }
    fn installed_version(&self) -> Option<ddi_client::model::AssignedVersion> {
        Some(ddi_client::model::AssignedVersion {
            name: "base".into(),
            version: "0.9".into(),
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soft_updates_can_be_deferred_and_several_artifacts_are_installed() {
    let (server, client) = setup();
    let base = server.create_module(
        ModuleSpec::new("base", "0.9").artifact(ArtifactSpec::new("b.bin", &b"b"[..])),
    );
    server.create_distribution("base", "0.9", &[base]);
    let dir = tempfile::tempdir().unwrap();
    let busy = Busy {
        busy: Arc::new(Mutex::new(true)),
        ..Busy::default()
    };
    let mut a = Agent::new(
        client.controller("dev-11").unwrap(),
        busy.clone(),
        dir.path(),
    );
    a.polling_bounds(
        PollingBounds::new(Duration::from_millis(10), Duration::from_secs(1)).unwrap(),
    );
    a.step().await.unwrap();
    // The offline-installed version was declared through PUT installedBase.
    assert!(server.controller("dev-11").unwrap().installed.is_some());

    let spec = ModuleSpec::new("app", "2.0")
        .artifact(ArtifactSpec::new("one.bin", &b"first"[..]))
        .artifact(ArtifactSpec::new("two.bin", &b"second"[..]));
    let dep = server.deploy(
        &["dev-11"],
        spec,
        &Assignment::new(testkit::ddi::ActionType::Soft),
    );
    assert_eq!(
        a.step().await.unwrap().decision,
        Decision::Download { install: false }
    );
    assert!(busy.inner.installs.lock().unwrap().is_empty());
    *busy.busy.lock().unwrap() = false;
    assert_eq!(a.step().await.unwrap().decision, Decision::Install);
    let installs = busy.inner.installs.lock().unwrap().clone();
    assert_eq!(installs[0].1, vec![b"first".to_vec(), b"second".to_vec()]);
    assert_eq!(
        server.action(dep.actions[0]).unwrap().status,
        ActionStatus::Finished
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_during_a_slow_download_is_noticed_and_accepted() {
    let (server, client) = setup();
    let dir = tempfile::tempdir().unwrap();
    let rec = Recorder::default();
    let mut a = agent(&client, "dev-12", rec.clone(), dir.path());
    a.active_poll_interval(Duration::from_millis(50));
    server.inject(FaultRule::always(
        RouteKind::ArtifactDownload,
        Fault::Slow {
            bytes_per_second: 20_000,
        },
    ));
    let dep = server.deploy(
        &["dev-12"],
        ModuleSpec::new("fw", "1.0.0").artifact(ArtifactSpec::generated("big.bin", 400_000, 3)),
        &Assignment::default(),
    );
    let action = dep.actions[0];
    // The transfer needs 20 s at this rate; the operator cancels after 0.4 s.
    let step = tokio::spawn(async move { a.step().await.map(|r| (r, a)) });
    tokio::time::sleep(Duration::from_millis(400)).await;
    server.cancel(action).unwrap();
    let (report, mut a) = tokio::time::timeout(Duration::from_secs(10), step)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(report.decision, Decision::Download { install: true });
    assert_eq!(a.step().await.unwrap().decision, Decision::AcceptCancel);
    assert_eq!(
        server.action(action).unwrap().status,
        ActionStatus::Canceled
    );
    assert!(rec.installs.lock().unwrap().is_empty());
    assert!(!dir.path().join("downloads").exists());
}

/// Every file under `dir` whose name ends with `suffix`, with its size.
fn files_ending_with(dir: &std::path::Path, suffix: &str) -> Vec<(PathBuf, u64)> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.to_string_lossy().ends_with(suffix) {
                let len = e.metadata().map(|m| m.len()).unwrap_or(0);
                found.push((path, len));
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_killed_mid_download_resumes_from_its_partial_file_after_restart() {
    let (server, client) = setup();
    let dir = tempfile::tempdir().unwrap();
    server.inject(FaultRule::always(
        RouteKind::ArtifactDownload,
        Fault::Slow {
            bytes_per_second: 400_000,
        },
    ));
    let size = 2_000_000;
    let dep = server.deploy(
        &["dev-13"],
        ModuleSpec::new("fw", "1.0.0").artifact(ArtifactSpec::generated("big.bin", size, 5)),
        &Assignment::default(),
    );
    let mut first = agent(&client, "dev-13", Recorder::default(), dir.path());
    let run = tokio::spawn(async move { first.step().await });
    // "Kill" the process once some bytes are durably on disk.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let kept = loop {
        let parts = files_ending_with(dir.path(), ".big.bin.part");
        if let Some((_, len)) = parts.first().filter(|(_, len)| *len > 0) {
            break *len;
        }
        assert!(std::time::Instant::now() < deadline, "no partial file");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    run.abort();
    let _ = run.await;
    server.clear_faults();
    server.reset_requests();

    let rec = Recorder::default();
    let mut second = agent(&client, "dev-13", rec.clone(), dir.path());
    let report = second.step().await.unwrap();
    assert_eq!(report.decision, Decision::Download { install: true });
    let downloads: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.route == RouteKind::ArtifactDownload)
        .collect();
    let first_range = downloads.first().and_then(|r| r.range.clone());
    let part_len = first_range
        .as_deref()
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.strip_suffix('-'))
        .and_then(|n| n.parse::<u64>().ok())
        .expect("the restarted download asks for the rest only");
    assert!(part_len >= kept && part_len < size, "resumed at {part_len}");
    let installs = rec.installs.lock().unwrap().clone();
    assert_eq!(installs.len(), 1);
    let expected = testkit::ddi::ArtifactData::Generated { len: size, seed: 5 }.to_bytes();
    assert_eq!(installs[0].1[0].len() as u64, size);
    assert!(
        installs[0].1[0] == expected.as_ref(),
        "the resumed file is the artifact"
    );
    assert_eq!(
        server.action(dep.actions[0]).unwrap().status,
        ActionStatus::Finished
    );
    assert!(files_ending_with(dir.path(), ".part").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_installation_rejects_a_cancel_and_is_resumed_not_rerun() {
    let (server, client) = setup();
    let dir = tempfile::tempdir().unwrap();
    let dep = server.deploy(&["dev-14"], module(b"slot-b"), &Assignment::default());
    let action = dep.actions[0];
    // The previous run started the installer (which rebooted the device).
    let state = format!(r#"{{"id":"{}","phase":"installing"}}"#, action.0);
    std::fs::write(dir.path().join("agent-state.json"), state).unwrap();
    server.cancel(action).unwrap();

    let rec = Recorder::default();
    let mut a = agent(&client, "dev-14", rec.clone(), dir.path());
    assert_eq!(a.step().await.unwrap().decision, Decision::RejectCancel);
    let after_reject = server.action(action).unwrap();
    assert_eq!(after_reject.status, ActionStatus::Running);
    assert_eq!(
        after_reject.last_feedback().unwrap().execution.as_deref(),
        Some("rejected")
    );

    assert_eq!(a.step().await.unwrap().decision, Decision::ResumeInstall);
    assert_eq!(*rec.resumed.lock().unwrap(), vec![action.0.to_string()]);
    assert!(
        rec.installs.lock().unwrap().is_empty(),
        "the installer is not run a second time"
    );
    let done = server.action(action).unwrap();
    assert_eq!(done.status, ActionStatus::Finished);
    let last = done.last_feedback().unwrap();
    assert_eq!(last.finished.as_deref(), Some("success"));
    assert!(last.messages.iter().any(|m| m == "booted the new slot"));
    assert!(
        !dir.path().join("agent-state.json").exists() || {
            let s = std::fs::read_to_string(dir.path().join("agent-state.json")).unwrap();
            s.trim() == "null" || s.trim().is_empty()
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feedback_reports_download_progress_per_artifact_then_the_result() {
    let (server, client) = setup();
    let dir = tempfile::tempdir().unwrap();
    let rec = Recorder::default();
    let mut a = agent(&client, "dev-15", rec.clone(), dir.path());
    let dep = server.deploy(
        &["dev-15"],
        ModuleSpec::new("fw", "1.0.0")
            .artifact(ArtifactSpec::new("a.bin", &b"first"[..]))
            .artifact(ArtifactSpec::new("b.bin", &b"second"[..]))
            .artifact(ArtifactSpec::new("c.bin", &b"third"[..])),
        &Assignment::default(),
    );
    a.step().await.unwrap();
    let action = server.action(dep.actions[0]).unwrap();
    let seen: Vec<_> = action
        .feedback()
        .map(|e| {
            (
                e.execution.clone().unwrap_or_default(),
                e.finished.clone().unwrap_or_default(),
                e.progress,
            )
        })
        .collect();
    let s = |x: &str| x.to_owned();
    assert_eq!(
        seen,
        vec![
            (s("download"), s("none"), None),
            (s("proceeding"), s("none"), Some((1, Some(3)))),
            (s("proceeding"), s("none"), Some((2, Some(3)))),
            (s("proceeding"), s("none"), Some((3, Some(3)))),
            (s("proceeding"), s("none"), None),
            (s("closed"), s("success"), None),
        ]
    );
    assert!(action.feedback().all(|e| e.timestamp.is_some()));
    assert_eq!(rec.installs.lock().unwrap()[0].1.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn percentage_progress_is_reported_while_an_artifact_downloads() {
    let (server, client) = setup();
    let dir = tempfile::tempdir().unwrap();
    let rec = Recorder::default();
    let mut a = agent(&client, "dev-16", rec.clone(), dir.path());
    a.download_progress_feedback(Some(25));
    // Slow enough that the transfer arrives in many pieces.
    server.inject(FaultRule::always(
        RouteKind::ArtifactDownload,
        Fault::Slow {
            bytes_per_second: 2_000_000,
        },
    ));
    let dep = server.deploy(
        &["dev-16"],
        ModuleSpec::new("fw", "1.0.0").artifact(ArtifactSpec::generated("big.bin", 600_000, 9)),
        &Assignment::default(),
    );
    a.step().await.unwrap();
    let action = server.action(dep.actions[0]).unwrap();
    let percents: Vec<i64> = action
        .feedback()
        .filter(|e| e.progress.is_some_and(|(_, of)| of == Some(100)))
        .map(|e| e.progress.map(|(cnt, _)| cnt).unwrap_or_default())
        .collect();
    assert!(
        percents.len() >= 2 && percents.len() <= 5,
        "one report per 25 % step: {percents:?}"
    );
    assert!(percents.windows(2).all(|w| w[0] < w[1]), "{percents:?}");
    assert!(
        percents.iter().all(|p| (25..=100).contains(p)),
        "{percents:?}"
    );
    assert_eq!(action.status, ActionStatus::Finished);
}
