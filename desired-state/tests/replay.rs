//! Replays the captured Kanto flows through the manager core: every message
//! Kanto's update manager published is reproduced byte for byte (except where
//! Kanto's output is random: action order from Go map iteration, UUIDs).
// Helpers outside #[test] functions are not covered by clippy.toml's test exemption.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use desired_state::manager::{Manager, ManagerConfig, ThingsBridge};
use desired_state::model::{Action, ActionStatus, ComponentRef, Envelope, Feedback, Status};
use desired_state::publication::Publication;
use testkit::vectors::VectorDir;

fn kanto_config() -> ManagerConfig {
    let mut c = ManagerConfig::with_agents(["containers"]);
    c.version = "development".into();
    c.phase_timeout = Duration::from_secs(30);
    c.report_feedback_interval = Duration::from_secs(2);
    c.reboot_enabled = false;
    c.agents.get_mut("containers").unwrap().read_timeout = Duration::from_secs(30);
    c
}

fn publications(m: &mut Manager) -> Vec<Publication> {
    m.drain_outputs()
        .filter_map(|o| o.to_publication("device"))
        .collect()
}

fn find<'a>(pubs: &'a [Publication], topic: &str, needle: &str) -> &'a Publication {
    pubs.iter()
        .find(|p| p.topic == topic && String::from_utf8_lossy(&p.payload).contains(needle))
        .unwrap_or_else(|| panic!("no publication on {topic} containing {needle}: {pubs:?}"))
}

fn same_bytes(p: &Publication, dir: &VectorDir, name: &str) {
    let mut want = dir.file(name).bytes();
    while want.last().is_some_and(u8::is_ascii_whitespace) {
        want.pop();
    }
    assert_eq!(
        String::from_utf8_lossy(&p.payload),
        String::from_utf8_lossy(&want),
        "{name}"
    );
}

fn agent_feedback(
    activity: &str,
    now: i64,
    status: Status,
    action: ActionStatus,
    message: &str,
) -> Vec<u8> {
    let actions = [
        ("containers:hello", "1.0"),
        ("containers:influxdb", "2.7.1"),
    ]
    .iter()
    .map(|(id, v)| Action::new(ComponentRef::new(*id, *v), action.clone()).with_message(message))
    .collect();
    Envelope::new(activity, now, Feedback::new(status).with_actions(actions)).to_vec()
}

const FB: &str = "containersupdate/desiredstatefeedback";

#[test]
fn full_success_flow_matches_kanto_bytes() {
    let Some(dir) = testkit::vectors::dir("desired-state") else {
        return;
    };
    let mut m = Manager::new(kanto_config());
    let input = dir
        .file("capture-cloud-to-um-desiredstate-input.json")
        .bytes();
    m.handle_publish(1795337963854, "deviceupdate/desiredstate", &input);
    let p = publications(&mut m);
    same_bytes(
        find(&p, "deviceupdate/desiredstatefeedback", "IDENTIFYING"),
        &dir,
        "capture-um-feedback-identifying.json",
    );
    same_bytes(
        find(&p, "containersupdate/desiredstate", ""),
        &dir,
        "capture-um-to-agent-desiredstate-split.json",
    );

    let identified = dir
        .file("capture-agent-to-um-feedback-identified.json")
        .bytes();
    m.handle_publish(1795337963898, FB, &identified);
    let p = publications(&mut m);
    same_bytes(
        find(&p, "deviceupdate/desiredstatefeedback", "RUNNING"),
        &dir,
        "capture-um-feedback-running.json",
    );
    same_bytes(
        find(&p, "containersupdate/desiredstate/command", "DOWNLOAD"),
        &dir,
        "capture-um-to-agent-command-download.json",
    );
    // Kanto's IDENTIFIED lists the actions in Go map order; compare as sets.
    let ours = Envelope::<Feedback>::from_slice(
        &find(&p, "deviceupdate/desiredstatefeedback", "\"IDENTIFIED\"").payload,
    )
    .unwrap();
    let theirs =
        Envelope::<Feedback>::from_slice(&dir.file("capture-um-feedback-identified.json").bytes())
            .unwrap();
    let sorted = |e: &Envelope<Feedback>| {
        let mut a = e.payload.clone().unwrap().actions;
        a.sort_by(|x, y| x.component.id.cmp(&y.component.id));
        a
    };
    assert_eq!(sorted(&ours), sorted(&theirs));
    assert_eq!(ours.timestamp, theirs.timestamp);

    let a = "smoke-activity-1";
    m.handle_publish(
        1795337963942,
        FB,
        &agent_feedback(
            a,
            1,
            Status::DownloadSuccess,
            ActionStatus::DownloadSuccess,
            "New container created.",
        ),
    );
    let p = publications(&mut m);
    same_bytes(
        find(&p, "containersupdate/desiredstate/command", "UPDATE"),
        &dir,
        "capture-um-to-agent-command-update.json",
    );
    m.handle_publish(
        1795337963986,
        FB,
        &agent_feedback(
            a,
            2,
            Status::UpdateSuccess,
            ActionStatus::UpdateSuccess,
            "Old container instance is stopped.",
        ),
    );
    let p = publications(&mut m);
    same_bytes(
        find(&p, "containersupdate/desiredstate/command", "ACTIVATE"),
        &dir,
        "capture-um-to-agent-command-activate.json",
    );
    m.handle_publish(
        1795337964030,
        FB,
        &agent_feedback(
            a,
            3,
            Status::ActivationSuccess,
            ActionStatus::ActivationSuccess,
            "New container instance is started.",
        ),
    );
    let p = publications(&mut m);
    same_bytes(
        find(&p, "containersupdate/desiredstate/command", "CLEANUP"),
        &dir,
        "capture-um-to-agent-command-cleanup.json",
    );
    m.handle_publish(
        1795337964074,
        FB,
        &Envelope::new(a, 4, Feedback::new(Status::CleanupSuccess)).to_vec(),
    );
    let p = publications(&mut m);
    same_bytes(
        find(&p, "deviceupdate/desiredstatefeedback", "COMPLETED"),
        &dir,
        "capture-um-feedback-completed.json",
    );
    same_bytes(
        find(&p, "containersupdate/currentstate/get", ""),
        &dir,
        "capture-um-to-agent-currentstate-get.json",
    );

    let inventory = dir.file("capture-agent-to-um-currentstate.json").bytes();
    m.handle_publish(1795337964118, "containersupdate/currentstate", &inventory);
    let p = publications(&mut m);
    let cs = find(&p, "deviceupdate/currentstate", "");
    assert!(cs.retain);
    same_bytes(cs, &dir, "capture-um-currentstate-aggregated.json");
}

fn identify(m: &mut Manager, dir: &VectorDir, activity: &str, now: i64) {
    let input = String::from_utf8(
        dir.file("capture-cloud-to-um-desiredstate-input.json")
            .bytes(),
    )
    .unwrap()
    .replace("smoke-activity-1", activity);
    m.handle_publish(now, "deviceupdate/desiredstate", input.as_bytes());
    let identified = String::from_utf8(
        dir.file("capture-agent-to-um-feedback-identified.json")
            .bytes(),
    )
    .unwrap()
    .replace("smoke-activity-1", activity);
    m.handle_publish(now, FB, identified.as_bytes());
    publications(m);
}

#[test]
fn download_failure_matches_kanto_bytes() {
    let Some(dir) = testkit::vectors::dir("desired-state") else {
        return;
    };
    let mut m = Manager::new(kanto_config());
    let a = "smoke-activity-2";
    identify(&mut m, &dir, a, 1795337975000);
    m.handle_publish(
        1795337975800,
        FB,
        &agent_feedback(
            a,
            1,
            Status::DownloadFailure,
            ActionStatus::DownloadFailure,
            "simulated failure",
        ),
    );
    let p = publications(&mut m);
    find(&p, "containersupdate/desiredstate/command", "CLEANUP");
    m.handle_publish(
        1795337975894,
        FB,
        &Envelope::new(a, 2, Feedback::new(Status::CleanupSuccess)).to_vec(),
    );
    let p = publications(&mut m);
    same_bytes(
        find(&p, "deviceupdate/desiredstatefeedback", "INCOMPLETE"),
        &dir,
        "capture-um-feedback-incomplete-download-failure.json",
    );
}

#[test]
fn identification_timeout_matches_kanto_bytes() {
    let Some(dir) = testkit::vectors::dir("desired-state") else {
        return;
    };
    let mut m = Manager::new(kanto_config());
    let input = String::from_utf8(
        dir.file("capture-cloud-to-um-desiredstate-input.json")
            .bytes(),
    )
    .unwrap()
    .replace("smoke-activity-1", "smoke-activity-3");
    m.handle_publish(
        1795338019402 - 30_000,
        "deviceupdate/desiredstate",
        input.as_bytes(),
    );
    publications(&mut m);
    m.handle_timeout(1795338019402);
    let p = publications(&mut m);
    same_bytes(
        find(
            &p,
            "deviceupdate/desiredstatefeedback",
            "IDENTIFICATION_FAILED",
        ),
        &dir,
        "capture-um-feedback-identification-failed-phase-timeout.json",
    );
}

#[test]
fn owner_denied_flow_matches_kanto_bytes() {
    let Some(dir) = testkit::vectors::dir("desired-state") else {
        return;
    };
    let mut cfg = kanto_config();
    cfg.owner_consent_commands = vec![desired_state::model::CommandKind::Update];
    let mut m = Manager::new(cfg);
    let a = "smoke-activity-4";
    identify(&mut m, &dir, a, 1795338064000);
    m.handle_publish(
        1795338064414,
        FB,
        &agent_feedback(
            a,
            1,
            Status::DownloadSuccess,
            ActionStatus::DownloadSuccess,
            "New container created.",
        ),
    );
    let p = publications(&mut m);
    same_bytes(
        find(&p, "deviceupdate/ownerconsent", ""),
        &dir,
        "capture-um-ownerconsent-update.json",
    );
    let denied = Envelope::new(a, 1795338064900, serde_json::json!({"status": "DENIED"})).to_vec();
    m.handle_publish(1795338064923, "deviceupdate/ownerconsentfeedback", &denied);
    let p = publications(&mut m);
    same_bytes(
        find(&p, "containersupdate/desiredstate/command", "ROLLBACK"),
        &dir,
        "capture-um-to-agent-command-rollback.json",
    );
    m.handle_publish(
        1795338064950,
        FB,
        &Envelope::new(a, 2, Feedback::new(Status::RollbackSuccess)).to_vec(),
    );
    let p = publications(&mut m);
    find(&p, "containersupdate/desiredstate/command", "CLEANUP");
    m.handle_publish(
        1795338065014,
        FB,
        &Envelope::new(a, 3, Feedback::new(Status::CleanupSuccess)).to_vec(),
    );
    let p = publications(&mut m);
    same_bytes(
        find(&p, "deviceupdate/desiredstatefeedback", "INCOMPLETE"),
        &dir,
        "capture-um-feedback-incomplete-owner-denied.json",
    );
}

#[test]
fn things_mode_matches_kanto_bytes() {
    let Some(dir) = testkit::vectors::dir("desired-state") else {
        return;
    };
    let mut m = Manager::new(kanto_config());
    let mut bridge = ThingsBridge::new("device");
    let publish = |m: &mut Manager, bridge: &mut ThingsBridge, now: i64| -> Vec<Publication> {
        let outs: Vec<_> = m.drain_outputs().collect();
        outs.iter()
            .filter_map(|o| bridge.to_publication(now, o))
            .collect()
    };
    // Current state reported before the identity is known waits for it.
    m.start(1795338092339);
    publish(&mut m, &mut bridge, 1795338092339);
    let inv = String::from_utf8(dir.file("capture-agent-to-um-currentstate.json").bytes())
        .unwrap()
        .replace("smoke-activity-1", "initial-current-state-1795338092339")
        .replace("1795337964074", "1795338092340");
    m.handle_publish(
        1795338092382,
        "containersupdate/currentstate",
        inv.as_bytes(),
    );
    assert!(publish(&mut m, &mut bridge, 1795338092382).is_empty());
    let p = bridge
        .handle_publish(
            &mut m,
            1795338092390,
            "edge/thing/response",
            br#"{"deviceId":"demo:device","tenantId":"t"}"#,
        )
        .unwrap();
    same_bytes(&p[0], &dir, "capture-things-feature-register.json");
    same_bytes(&p[1], &dir, "capture-things-properties-current-state.json");

    // apply
    let apply = dir.file("capture-things-apply-request-input.json").bytes();
    let p = bridge
        .handle_publish(
            &mut m,
            1795338116198,
            "command///req/apply-req-1/apply",
            &apply,
        )
        .unwrap();
    assert_eq!(p[0].topic, "command///res/apply-req-1/204");
    same_bytes(&p[0], &dir, "capture-things-apply-response-204.json");
    let p = publish(&mut m, &mut bridge, 1795338116198);
    same_bytes(
        find(&p, "e", "IDENTIFYING"),
        &dir,
        "capture-things-feedback-identifying.json",
    );
    let split = Envelope::<desired_state::model::DesiredState>::from_slice(
        &find(&p, "containersupdate/desiredstate", "").payload,
    )
    .unwrap();
    let kanto = Envelope::<desired_state::model::DesiredState>::from_slice(
        &dir.file("capture-um-to-agent-desiredstate-empty-config-omitted.json")
            .bytes(),
    )
    .unwrap();
    assert_eq!(split.payload, kanto.payload);
    assert_eq!(
        serde_json::to_string(&split.payload).unwrap(),
        serde_json::to_string(&kanto.payload).unwrap(),
        "empty config must be omitted"
    );

    // missing desired state
    let bad = dir
        .file("capture-things-apply-missing-desired-state-input.json")
        .bytes();
    let p = bridge
        .handle_publish(&mut m, 1, "command///req/apply-req-3/apply", &bad)
        .unwrap();
    assert_eq!(p[0].topic, "command///res/apply-req-3/400");
    same_bytes(&p[0], &dir, "capture-things-apply-response-400.json");

    // refresh
    let refresh = dir
        .file("capture-things-refresh-request-input.json")
        .bytes();
    let p = bridge
        .handle_publish(&mut m, 2, "command///req/refresh-req-1/refresh", &refresh)
        .unwrap();
    same_bytes(&p[0], &dir, "capture-things-refresh-response-204.json");

    // consent answered without a pending request
    let consent = dir
        .file("capture-things-consent-feedback-input.json")
        .bytes();
    let p = bridge
        .handle_publish(&mut m, 3, "command///req/consent-req-1/consent", &consent)
        .unwrap();
    assert!(String::from_utf8_lossy(&p[0].payload).contains("owner consent handler not available"));
}

#[test]
fn things_consent_round_trip_uses_the_request_correlation_id() {
    let Some(dir) = testkit::vectors::dir("desired-state") else {
        return;
    };
    let mut cfg = kanto_config();
    cfg.owner_consent_commands = vec![desired_state::model::CommandKind::Activate];
    let mut m = Manager::new(cfg);
    let mut bridge = ThingsBridge::new("device");
    bridge
        .handle_publish(
            &mut m,
            0,
            "edge/thing/response",
            br#"{"deviceId":"demo:device"}"#,
        )
        .unwrap();
    let apply = dir.file("capture-things-apply-request-input.json").bytes();
    bridge
        .handle_publish(&mut m, 1, "command///req/a/apply", &apply)
        .unwrap();
    let a = "things-activity-5";
    let fb = |s: Status, st: ActionStatus| {
        Envelope::new(
            a,
            1,
            Feedback::new(s).with_actions(vec![Action::new(
                ComponentRef::new("containers:influxdb", "2.7.1"),
                st,
            )]),
        )
        .to_vec()
    };
    m.handle_publish(2, FB, &fb(Status::Identified, ActionStatus::Identified));
    m.handle_publish(
        3,
        FB,
        &fb(Status::DownloadSuccess, ActionStatus::DownloadSuccess),
    );
    m.handle_publish(
        1795338116330,
        FB,
        &fb(Status::UpdateSuccess, ActionStatus::UpdateSuccess),
    );
    let outs: Vec<_> = m.drain_outputs().collect();
    let pubs: Vec<_> = outs
        .iter()
        .filter_map(|o| bridge.to_publication(1795338116330, o))
        .collect();
    let request = find(&pubs, "e", "ownerConsent");
    let ours: desired_state::model::ditto::DittoMessage =
        desired_state::model::ditto::DittoMessage::from_slice(&request.payload).unwrap();
    let id = ours.correlation_id().unwrap().to_owned();
    let kanto_text = String::from_utf8(
        dir.file("capture-things-consent-request-activate.json")
            .bytes(),
    )
    .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&request.payload),
        kanto_text
            .trim_end()
            .replace("0fb1b5d7-90b6-4d18-be4f-eeedef0e860a", &id)
    );
    let answer = String::from_utf8(
        dir.file("capture-things-consent-feedback-input.json")
            .bytes(),
    )
    .unwrap()
    .replace("0fb1b5d7-90b6-4d18-be4f-eeedef0e860a", &id);
    let p = bridge
        .handle_publish(
            &mut m,
            5,
            "command///req/consent-req-1/consent",
            answer.as_bytes(),
        )
        .unwrap();
    let want = String::from_utf8(dir.file("capture-things-consent-response-204.json").bytes())
        .unwrap()
        .replace("0fb1b5d7-90b6-4d18-be4f-eeedef0e860a", &id);
    assert_eq!(String::from_utf8_lossy(&p[0].payload), want.trim_end());
    let cmds: Vec<_> = m
        .drain_outputs()
        .filter_map(|o| o.to_publication("device"))
        .collect();
    find(&cmds, "containersupdate/desiredstate/command", "ACTIVATE");
}
