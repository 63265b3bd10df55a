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
    fail: bool,
    consent: bool,
}

#[async_trait::async_trait]
impl Installer for Recorder {
    async fn install(&self, d: &DeploymentBase, files: &[PathBuf]) -> InstallOutcome {
        let contents = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
        self.installs
            .lock()
            .unwrap()
            .push((d.id.to_string(), contents));
        InstallOutcome {
            success: !self.fail,
            code: Some(if self.fail { 7 } else { 0 }),
            details: vec![],
        }
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

#[async_trait::async_trait]
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
