//! The client and downloader against the testkit DDI simulator, an
//! independent implementation of hawkBit's behaviour, including its fault
//! injection: every failure is typed, nothing panics, no partial file looks
//! complete.

#![allow(clippy::unwrap_used)] // helpers outside #[test] fns assert by unwrapping too

use std::path::Path;
use std::time::Duration;

use ddi_client::client::AutoConfirmChange;
use ddi_client::model::*;
use ddi_client::{Auth, AuthScope, Backoff, Client, Controller, ErrorKind, RetryClass};
use testkit::ddi::{
    ActionStatus, ArtifactLinks, ArtifactSpec, Assignment, DEFAULT_TENANT, DdiServer, Fault,
    FaultRule, LinkOrigin, ModuleSpec, RouteKind, TenantConfig,
};

const SIZE: u64 = 300_000;

fn server() -> DdiServer {
    DdiServer::builder()
        .tenant(DEFAULT_TENANT, TenantConfig::with_gateway_token("gw"))
        .start()
}

fn controller(server: &DdiServer, id: &str, scope: AuthScope) -> Controller {
    Client::builder(server.url(), DEFAULT_TENANT)
        .auth(Auth::GatewayToken("gw".into()))
        .auth_scope(scope)
        .backoff(Backoff::new(
            Duration::from_millis(1),
            Duration::from_millis(5),
            3,
        ))
        .max_document_bytes(256 * 1024)
        .build()
        .unwrap()
        .controller(id)
        .unwrap()
}

/// Deploys a generated artifact and returns the controller's view of it.
async fn deployed(server: &DdiServer, c: &Controller) -> (Link, DeploymentBase, Artifact) {
    server.deploy(
        &[c.id()],
        ModuleSpec::new("fw", "2.0").artifact(ArtifactSpec::generated("fw.bin", SIZE, 7)),
        &Assignment::default(),
    );
    let link = c.poll().await.unwrap().links.deployment_base.unwrap();
    let base = c
        .deployment_base(&link, ddi_client::HistoryRequest::All)
        .await
        .unwrap();
    let art = base.deployment.chunks[0].artifacts[0].clone();
    (link, base, art)
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_flow_with_history_md5sum_and_feedback() {
    let server = server();
    let c = controller(&server, "sim-1", AuthScope::ServerOrigin);
    let (link, base, art) = deployed(&server, &c).await;
    assert!(link.href.contains("?c="));
    // hawkBit leaves out the history while the device has sent no message.
    assert!(base.action_history.is_none());
    c.deployment_feedback(
        &link,
        &ActionFeedback::new(Execution::Proceeding, Finished::None).with_detail("step one"),
    )
    .await
    .unwrap();
    let again = c
        .deployment_base(&link, ddi_client::HistoryRequest::All)
        .await
        .unwrap();
    let history = again.action_history.unwrap();
    assert_eq!(
        history.messages.first().map(String::as_str),
        Some("step one")
    );
    assert_eq!(art.size, Some(SIZE));
    let md5 = c.md5sum(&art).await.unwrap();
    assert_eq!(Some(&md5.md5), art.hashes.as_ref().unwrap().md5.as_ref());
    let dir = tempfile::tempdir().unwrap();
    let done = c.download(&art).to_file(dir.path()).await.unwrap();
    assert_eq!(done.bytes, SIZE);
    assert_eq!(names(dir.path()), ["fw.bin"]);
    c.deployment_feedback(
        &link,
        &ActionFeedback::new(Execution::Closed, Finished::Success).timestamped_now(),
    )
    .await
    .unwrap();
    let id = ActionId::from_href(&link.href).unwrap();
    let action = server
        .action(testkit::ddi::ActionId(id.as_i64().unwrap() as u64))
        .unwrap();
    assert_eq!(action.status, ActionStatus::Finished);
    // Installed base is now offered and readable.
    let poll = c.poll().await.unwrap();
    let installed = c
        .installed_base(
            poll.links.installed_base.as_ref().unwrap(),
            ddi_client::HistoryRequest::Omit,
        )
        .await
        .unwrap();
    assert_eq!(installed.id, id);
    // Closed action: further feedback is 410, terminal for the action.
    let err = c
        .deployment_feedback(
            &link,
            &ActionFeedback::new(Execution::Proceeding, Finished::None),
        )
        .await
        .unwrap_err();
    assert!(err.is_gone(), "{err:?}");
    assert_eq!(err.retry_class(), RetryClass::TerminalForAction);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_transfer_resumes_with_if_range() {
    let server = server();
    let c = controller(&server, "sim-2", AuthScope::ServerOrigin);
    let (_, _, art) = deployed(&server, &c).await;
    server.inject(FaultRule::once(
        RouteKind::ArtifactDownload,
        Fault::Truncate { after: 100_000 },
    ));
    let dir = tempfile::tempdir().unwrap();
    let done = c.download(&art).to_file(dir.path()).await.unwrap();
    assert_eq!((done.bytes, done.attempts), (SIZE, 2));
    let downloads: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.route == RouteKind::ArtifactDownload)
        .collect();
    assert_eq!(downloads.len(), 2);
    let resumed_at: u64 = downloads[1]
        .range
        .as_deref()
        .unwrap()
        .trim_start_matches("bytes=")
        .trim_end_matches('-')
        .parse()
        .unwrap();
    assert!(resumed_at > 0 && resumed_at <= 100_000);
    assert!(downloads[1].if_range.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lying_content_range_and_wrong_hash_never_produce_a_file() {
    let server = server();
    let c = controller(&server, "sim-3", AuthScope::ServerOrigin);
    let (_, _, art) = deployed(&server, &c).await;
    server.inject(FaultRule::once(
        RouteKind::ArtifactDownload,
        Fault::Truncate { after: 50_000 },
    ));
    server.inject(FaultRule::always(
        RouteKind::ArtifactDownload,
        Fault::LyingContentRange { claimed_start: 0 },
    ));
    let dir = tempfile::tempdir().unwrap();
    // The lie is detected, the partial is discarded, and the full restart succeeds.
    c.download(&art).to_file(dir.path()).await.unwrap();
    assert_eq!(
        std::fs::metadata(dir.path().join("fw.bin")).unwrap().len(),
        SIZE
    );

    server.clear_faults();
    server.inject(FaultRule::always(
        RouteKind::ArtifactDownload,
        Fault::WrongHash,
    ));
    let dir = tempfile::tempdir().unwrap();
    let err = c
        .download(&art)
        .max_attempts(2)
        .to_file(dir.path())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::HashMismatch);
    assert!(names(dir.path()).is_empty(), "{:?}", names(dir.path()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cdn_links_get_no_token_unless_allowed() {
    let server = server();
    server.set_artifact_links(ArtifactLinks {
        origin: LinkOrigin::Cdn,
        ..ArtifactLinks::default()
    });
    server.set_cdn_rejects_authorization(true);
    let c = controller(&server, "sim-4", AuthScope::ServerOrigin);
    let (_, _, art) = deployed(&server, &c).await;
    let mut sink = Vec::new();
    c.download(&art).to_writer(&mut sink).await.unwrap();
    assert_eq!(sink.len() as u64, SIZE);
    assert!(
        server
            .cdn_requests()
            .iter()
            .all(|r| r.authorization.is_none())
    );

    // Redirect from the server to the CDN: the token is dropped on the way.
    server.set_artifact_links(ArtifactLinks::default());
    let c = controller(&server, "sim-4b", AuthScope::ServerOrigin);
    let (_, _, art) = deployed(&server, &c).await;
    server.inject(FaultRule::once(
        RouteKind::ArtifactDownload,
        Fault::RedirectToCdn,
    ));
    let mut sink = Vec::new();
    c.download(&art).to_writer(&mut sink).await.unwrap();
    assert_eq!(sink.len() as u64, SIZE);
    assert_eq!(
        server.cdn_requests().len(),
        2,
        "the redirect went to the CDN"
    );
    assert!(
        server
            .cdn_requests()
            .iter()
            .all(|r| r.authorization.is_none())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirect_loop_huge_json_and_slow_bodies_are_typed_errors() {
    let server = server();
    let c = controller(&server, "sim-5", AuthScope::ServerOrigin);
    let (_, _, art) = deployed(&server, &c).await;

    server.inject(FaultRule::once(
        RouteKind::Root,
        Fault::HugeJson { bytes: 2_000_000 },
    ));
    assert_eq!(c.poll().await.unwrap_err().kind(), ErrorKind::BodyTooLarge);

    server.inject(FaultRule::always(
        RouteKind::ArtifactDownload,
        Fault::RedirectLoop,
    ));
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        c.download(&art)
            .to_file(dir.path())
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::Redirect
    );
    assert!(names(dir.path()).is_empty());

    server.clear_faults();
    server.inject(FaultRule::always(
        RouteKind::ArtifactDownload,
        Fault::Slow {
            bytes_per_second: 2_000,
        },
    ));
    let err = c
        .download(&art)
        .low_speed_limit(50_000, Duration::from_millis(300))
        .max_attempts(2)
        .to_file(dir.path())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AttemptsExhausted);
    assert_eq!(
        std::error::Error::source(&err)
            .unwrap()
            .downcast_ref::<ddi_client::Error>()
            .unwrap()
            .kind(),
        ErrorKind::Timeout
    );
    assert!(!dir.path().join("fw.bin").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_are_retried_and_quota_is_terminal() {
    let server = server();
    let c = controller(&server, "sim-6", AuthScope::ServerOrigin);
    let (link, _, _) = deployed(&server, &c).await;
    server.inject(FaultRule::times(RouteKind::Root, Fault::RateLimited, 2));
    c.poll().await.unwrap();
    server.inject(FaultRule::once(
        RouteKind::DeploymentFeedback,
        Fault::QuotaExceeded,
    ));
    let err = c
        .deployment_feedback(
            &link,
            &ActionFeedback::new(Execution::Proceeding, Finished::None),
        )
        .await
        .unwrap_err();
    assert!(err.is_quota_exceeded());
    assert_eq!(err.retry_class(), RetryClass::TerminalForAction);
    server.inject(FaultRule::once(RouteKind::Root, Fault::Status(401)));
    assert_eq!(c.poll().await.unwrap_err().retry_class(), RetryClass::Auth);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conditional_poll_gets_304_from_the_simulator() {
    let server = server();
    let c = controller(&server, "sim-7", AuthScope::ServerOrigin);
    let first = c.poll().await.unwrap();
    let second = c.poll().await.unwrap();
    assert_eq!(first, second);
    let polls: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.route == RouteKind::Root)
        .collect();
    assert!(
        polls[1].if_none_match.is_some(),
        "second poll is conditional"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consent_auto_confirm_and_cancel_flows() {
    let server = server();
    let c = controller(&server, "sim-8", AuthScope::ServerOrigin);
    server.deploy(
        &["sim-8"],
        ModuleSpec::new("fw", "3.0").artifact(ArtifactSpec::new("a.bin", &b"abc"[..])),
        &Assignment::default().confirmation_required(),
    );
    let poll = c.poll().await.unwrap();
    let conf_link = poll.links.confirmation_base.unwrap();
    let pending = c
        .confirmation_action(&conf_link, ddi_client::HistoryRequest::Latest(10))
        .await
        .unwrap();
    assert_eq!(pending.confirmation.chunks[0].version, "3.0");
    assert!(pending.action_history.is_none(), "no device messages yet");
    let cb = c.confirmation_base().await.unwrap();
    assert!(!cb.auto_confirm.active && cb.links.activate_auto_confirm.is_some());
    let confirm = ConfirmationFeedback {
        confirmation: Confirmation::Confirmed,
        code: Some(1),
        details: vec!["ok".into()],
    };
    c.confirmation_feedback(&conf_link, &confirm).await.unwrap();
    let dep_link = c.poll().await.unwrap().links.deployment_base.unwrap();

    let act = ActivateAutoConfirm {
        initiator: Some("tester".into()),
        remark: None,
    };
    assert_eq!(
        c.activate_auto_confirm(Some(&act)).await.unwrap(),
        AutoConfirmChange::Activated
    );
    assert_eq!(
        c.activate_auto_confirm(None).await.unwrap(),
        AutoConfirmChange::AlreadyActive
    );
    assert_eq!(
        c.confirmation_base()
            .await
            .unwrap()
            .auto_confirm
            .initiator
            .as_deref(),
        Some("tester")
    );
    c.deactivate_auto_confirm().await.unwrap();

    let id = ActionId::from_href(&dep_link.href).unwrap();
    let sim_id = testkit::ddi::ActionId(id.as_i64().unwrap() as u64);
    server.cancel(sim_id).unwrap();
    let cancel_link = c.poll().await.unwrap().links.cancel_action.unwrap();
    let cancel = c.cancel_action(&cancel_link).await.unwrap();
    assert_eq!(cancel.cancel_action.stop_id, id);
    c.cancel_feedback(
        &cancel_link,
        &ActionFeedback::new(Execution::Closed, Finished::Success),
    )
    .await
    .unwrap();
    assert_eq!(
        server.action(sim_id).unwrap().status,
        ActionStatus::Canceled
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_data_modes_and_artifact_list() {
    let server = server();
    let c = controller(&server, "sim-9", AuthScope::ServerOrigin);
    let (_, base, _) = deployed(&server, &c).await;
    c.put_config_data(
        None,
        &ConfigData::new(ConfigMode::Merge)
            .with("a", "1")
            .with("b", "2"),
    )
    .await
    .unwrap();
    let mut remove = ConfigData::new(ConfigMode::Remove);
    remove.data.insert("a".into(), None);
    c.put_config_data(None, &remove).await.unwrap();
    let attrs = server.controller("sim-9").unwrap().attributes;
    assert_eq!(attrs.get("a"), None);
    assert_eq!(attrs.get("b").map(String::as_str), Some("2"));
    let err = c
        .put_config_data(None, &ConfigData::new(ConfigMode::Merge).with("k", "ü"))
        .await
        .unwrap_err();
    assert_eq!(
        (err.status_code(), err.retry_class()),
        (Some(400), RetryClass::CallerBug)
    );

    let href = &base.deployment.chunks[0].artifacts[0]
        .download_link()
        .unwrap()
        .href;
    let sm: u64 = href
        .split("/softwaremodules/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let list = c.artifacts(sm).await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].filename, "fw.bin");
    assert!(c.artifacts(sm + 1000).await.unwrap_err().is_not_found());
}
