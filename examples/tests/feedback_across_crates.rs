//! One feedback document, written by `ddi-client` with a device timestamp,
//! read by every crate that decodes DDI feedback: `ddi-client` itself,
//! `twin-model`'s deployment mapping (which uses `ddi-client`'s type, so a
//! second copy that disagrees cannot come back), and testkit's DDI simulator,
//! an independent decoder that plays hawkBit and records what it received.

use ddi_client::model::{ActionFeedback, ActionId, Document, Execution, Finished};
use ddi_client::{Auth, Client, HistoryRequest};
use testkit::ddi::{ArtifactSpec, Assignment, DEFAULT_TENANT, DdiServer, ModuleSpec, TenantConfig};
use twin_model::mapping::deployment::{DeploymentProgress, ProgressState};

/// 2021-08-03T13:31:41.890Z, the instant of hawkBit's own feedback example.
const DEVICE_TIME_MS: i64 = 1_627_997_501_890;

fn feedback() -> ActionFeedback {
    ActionFeedback::new(Execution::Proceeding, Finished::None)
        .with_timestamp(DEVICE_TIME_MS)
        .with_progress(2, 5)
        .with_code(12)
        .with_detail("writing the inactive slot")
}

#[test]
fn ddi_client_reads_back_its_own_timestamped_feedback() {
    let written = feedback().to_json();
    let text = String::from_utf8(written.clone()).expect("feedback is JSON text");
    // hawkBit's model has a Long here, not a string.
    assert!(text.contains(r#""timestamp":1627997501890"#), "{text}");
    let read = ActionFeedback::from_json(&written).expect("ddi-client decodes its own feedback");
    assert_eq!(read, feedback());
    assert_eq!(read.timestamp, Some(DEVICE_TIME_MS));
}

#[test]
fn twin_model_maps_the_timestamped_feedback_to_reported_progress() {
    let read = ActionFeedback::from_json(&feedback().to_json()).expect("decodes");
    let progress = DeploymentProgress::from_feedback(&ActionId::from(8), &read)
        .expect("a proceeding feedback has a progress state");
    assert_eq!(progress.state, ProgressState::Installing);
    assert_eq!(progress.code, Some(12));
    assert_eq!(progress.details, ["writing the inactive slot"]);
    // The twin carries no device time: the mapping back leaves it to the server.
    let mut expected = feedback();
    expected.timestamp = None;
    assert_eq!(progress.to_feedback(), expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulator_accepts_and_records_the_device_timestamp() {
    let server = DdiServer::builder()
        .tenant(DEFAULT_TENANT, TenantConfig::with_gateway_token("gw"))
        .start();
    let deployment = server.deploy(
        &["dev-1"],
        ModuleSpec::new("fw", "1.0").artifact(ArtifactSpec::generated("fw.bin", 64, 1)),
        &Assignment::default(),
    );
    let controller = Client::builder(server.url(), DEFAULT_TENANT)
        .auth(Auth::GatewayToken("gw".into()))
        .build()
        .expect("client")
        .controller("dev-1")
        .expect("controller");
    let link = controller
        .poll()
        .await
        .expect("poll")
        .links
        .deployment_base
        .expect("an action is offered");
    controller
        .deployment_base(&link, HistoryRequest::Omit)
        .await
        .expect("deployment base");
    controller
        .deployment_feedback(&link, &feedback())
        .await
        .expect("the simulator accepts the feedback");
    let action = server
        .action(deployment.actions[0])
        .expect("the action exists");
    let entry = action.feedback().last().expect("the feedback was recorded");
    assert_eq!(entry.timestamp, Some(DEVICE_TIME_MS));
    assert_eq!(entry.execution.as_deref(), Some("proceeding"));
    assert_eq!(entry.progress, Some((2, Some(5))));
    assert_eq!(entry.code, Some(12));
}
