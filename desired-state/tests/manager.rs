//! The update manager core driven with a manual clock.
// Helpers outside #[test] functions are not covered by clippy.toml's test exemption.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use desired_state::manager::{
    AgentMessage, CloudMessage, Manager, ManagerConfig, ManagerOutput, ManagerWarning,
};
use desired_state::model::{
    Action, ActionStatus, CommandKind, Component, ComponentRef, ConsentStatus, DesiredState,
    Domain, Envelope, Feedback, Inventory, OwnerConsentFeedback, SoftwareNode, Status,
};

const ACT: &str = "act-1";

fn config(domains: &[&str]) -> ManagerConfig {
    let mut c = ManagerConfig::with_agents(domains.iter().copied());
    c.phase_timeout = Duration::from_secs(30);
    c.report_feedback_interval = Duration::from_secs(2);
    c.reboot_enabled = false;
    c
}

fn desired(domains: &[&str], per_domain: usize) -> Envelope<DesiredState> {
    let ds = DesiredState {
        baselines: vec![],
        domains: domains
            .iter()
            .map(|d| {
                Domain::new(
                    *d,
                    (0..per_domain)
                        .map(|i| Component::new(format!("c{i}"), "1.0"))
                        .collect(),
                )
            })
            .collect(),
    };
    Envelope::new(ACT, 0, ds)
}

fn actions(domain: &str, n: usize, status: ActionStatus) -> Vec<Action> {
    (0..n)
        .map(|i| {
            Action::new(
                ComponentRef::new(format!("{domain}:c{i}"), "1.0"),
                status.clone(),
            )
        })
        .collect()
}

fn fb(status: Status, actions: Vec<Action>) -> Envelope<Feedback> {
    Envelope::new(ACT, 0, Feedback::new(status).with_actions(actions))
}

/// Drains outputs into commands per domain, cloud statuses and warnings.
#[derive(Debug, Default)]
struct Seen {
    commands: Vec<(String, CommandKind)>,
    desired: Vec<String>,
    gets: Vec<(String, String)>,
    statuses: Vec<Status>,
    messages: Vec<String>,
    consents: Vec<CommandKind>,
    inventories: Vec<Envelope<Inventory>>,
    warnings: Vec<ManagerWarning>,
    reboots: usize,
}

fn drain(m: &mut Manager) -> Seen {
    let mut s = Seen::default();
    while let Some(o) = m.poll_output() {
        match o {
            ManagerOutput::ToAgent {
                domain,
                message: AgentMessage::Command(c),
            } => {
                s.commands
                    .push((domain, c.payload.unwrap().command.unwrap()));
            }
            ManagerOutput::ToAgent {
                domain,
                message: AgentMessage::DesiredState(_),
            } => s.desired.push(domain),
            ManagerOutput::ToAgent {
                domain,
                message: AgentMessage::CurrentStateGet(e),
            } => {
                s.gets.push((domain, e.activity_id));
            }
            ManagerOutput::ToCloud(CloudMessage::Feedback(e)) => {
                let f = e.payload.unwrap();
                s.statuses.push(f.status.unwrap());
                s.messages.push(f.message);
            }
            ManagerOutput::ToCloud(CloudMessage::OwnerConsent(e)) => {
                s.consents.push(e.payload.unwrap().command.unwrap())
            }
            ManagerOutput::ToCloud(CloudMessage::CurrentState(e)) => s.inventories.push(e),
            ManagerOutput::Warning(w) => s.warnings.push(w),
            ManagerOutput::Reboot { .. } => s.reboots += 1,
            other => panic!("unexpected output {other:?}"),
        }
    }
    s
}

fn cmds(s: &Seen, kind: CommandKind) -> Vec<String> {
    s.commands
        .iter()
        .filter(|(_, k)| *k == kind)
        .map(|(d, _)| d.clone())
        .collect()
}

/// Identifies all domains; returns what the manager did after the last one.
fn identify(m: &mut Manager, domains: &[&str], n: usize) -> Seen {
    m.handle_desired_state(0, desired(domains, n));
    let s = drain(m);
    assert_eq!(s.statuses, [Status::Identifying]);
    assert_eq!(s.desired, domains);
    for d in domains {
        m.handle_agent_feedback(
            1,
            d,
            fb(Status::Identified, actions(d, n, ActionStatus::Identified)),
        );
    }
    drain(m)
}

fn phase(
    m: &mut Manager,
    now: i64,
    domains: &[&str],
    n: usize,
    ok: Status,
    action: ActionStatus,
) -> Seen {
    for d in domains {
        m.handle_agent_feedback(now, d, fb(ok.clone(), actions(d, n, action.clone())));
    }
    drain(m)
}

#[test]
fn multi_domain_activity_runs_every_phase_in_lockstep_to_completed() {
    let domains = ["containers", "firmware", "apps"];
    let mut m = Manager::new(config(&domains));
    let s = identify(&mut m, &domains, 2);
    assert_eq!(s.statuses, [Status::Identified, Status::Running]);
    assert_eq!(cmds(&s, CommandKind::Download), domains);

    // UPDATE waits for the slowest domain.
    let s = phase(
        &mut m,
        2,
        &domains[..2],
        2,
        Status::DownloadSuccess,
        ActionStatus::DownloadSuccess,
    );
    assert!(s.commands.is_empty());
    let s = phase(
        &mut m,
        3,
        &domains[2..],
        2,
        Status::DownloadSuccess,
        ActionStatus::DownloadSuccess,
    );
    assert_eq!(cmds(&s, CommandKind::Update), domains);
    let s = phase(
        &mut m,
        4,
        &domains,
        2,
        Status::UpdateSuccess,
        ActionStatus::UpdateSuccess,
    );
    assert_eq!(cmds(&s, CommandKind::Activate), domains);
    let s = phase(
        &mut m,
        5,
        &domains,
        2,
        Status::ActivationSuccess,
        ActionStatus::ActivationSuccess,
    );
    assert_eq!(cmds(&s, CommandKind::Cleanup), domains);
    let s = phase(
        &mut m,
        6,
        &domains,
        2,
        Status::CleanupSuccess,
        ActionStatus::ActivationSuccess,
    );
    assert_eq!(s.statuses.last(), Some(&Status::Completed));
    assert_eq!(m.activity_id(), None);
    // A current-state round follows under the activity id.
    assert_eq!(s.gets.len(), 3);
    assert!(s.gets.iter().all(|(_, id)| id == ACT));
}

#[test]
fn completed_feedback_rewrites_activation_statuses_for_the_cloud() {
    let mut m = Manager::new(config(&["a"]));
    identify(&mut m, &["a"], 1);
    phase(
        &mut m,
        2,
        &["a"],
        1,
        Status::DownloadSuccess,
        ActionStatus::DownloadSuccess,
    );
    phase(
        &mut m,
        3,
        &["a"],
        1,
        Status::UpdateSuccess,
        ActionStatus::UpdateSuccess,
    );
    phase(
        &mut m,
        4,
        &["a"],
        1,
        Status::ActivationSuccess,
        ActionStatus::ActivationSuccess,
    );
    m.handle_agent_feedback(5, "a", fb(Status::CleanupSuccess, vec![]));
    let out: Vec<_> = m.drain_outputs().collect();
    let completed = out
        .iter()
        .find_map(|o| match o {
            ManagerOutput::ToCloud(CloudMessage::Feedback(e))
                if e.payload.as_ref()?.status == Some(Status::Completed) =>
            {
                e.payload.clone()
            }
            _ => None,
        })
        .unwrap();
    assert_eq!(
        completed.actions[0].status,
        Some(ActionStatus::UpdateSuccess)
    );
}

#[test]
fn failed_domain_is_cleaned_up_at_once_and_others_continue_to_incomplete() {
    let domains = ["a", "b"];
    let mut m = Manager::new(config(&domains));
    identify(&mut m, &domains, 1);
    m.handle_agent_feedback(
        2,
        "a",
        fb(
            Status::DownloadFailure,
            actions("a", 1, ActionStatus::DownloadFailure),
        ),
    );
    let s = drain(&mut m);
    assert_eq!(cmds(&s, CommandKind::Cleanup), ["a"]);
    let s = phase(
        &mut m,
        3,
        &["b"],
        1,
        Status::DownloadSuccess,
        ActionStatus::DownloadSuccess,
    );
    assert_eq!(cmds(&s, CommandKind::Update), ["b"]);
    m.handle_agent_feedback(4, "a", fb(Status::CleanupSuccess, vec![]));
    phase(
        &mut m,
        5,
        &["b"],
        1,
        Status::UpdateSuccess,
        ActionStatus::UpdateSuccess,
    );
    let s = phase(
        &mut m,
        6,
        &["b"],
        1,
        Status::ActivationSuccess,
        ActionStatus::ActivationSuccess,
    );
    assert_eq!(cmds(&s, CommandKind::Cleanup), ["b"]);
    let s = phase(
        &mut m,
        7,
        &["b"],
        1,
        Status::CleanupSuccess,
        ActionStatus::ActivationSuccess,
    );
    assert_eq!(s.statuses, [Status::Incomplete]);
    assert_eq!(s.messages, ["the update process is incompleted"]);
}

#[test]
fn every_domain_failing_reports_the_awaited_command() {
    let mut m = Manager::new(config(&["containers"]));
    identify(&mut m, &["containers"], 2);
    m.handle_agent_feedback(
        2,
        "containers",
        fb(
            Status::DownloadFailure,
            actions("containers", 2, ActionStatus::DownloadFailure),
        ),
    );
    let s = drain(&mut m);
    assert_eq!(cmds(&s, CommandKind::Cleanup), ["containers"]);
    assert!(s.statuses.is_empty());
    let s = phase(
        &mut m,
        3,
        &["containers"],
        0,
        Status::CleanupSuccess,
        ActionStatus::DownloadFailure,
    );
    assert_eq!(s.statuses, [Status::Incomplete]);
    assert_eq!(
        s.messages,
        ["failed to wait for command 'UPDATE' signal: the update process is incompleted"]
    );
}

#[test]
fn opt_in_rollback_undoes_the_domains_that_succeeded() {
    let domains = ["a", "b"];
    let mut cfg = config(&domains);
    cfg.rollback_on_failure = true;
    let mut m = Manager::new(cfg);
    identify(&mut m, &domains, 1);
    phase(
        &mut m,
        2,
        &domains,
        1,
        Status::DownloadSuccess,
        ActionStatus::DownloadSuccess,
    );
    m.handle_agent_feedback(
        3,
        "a",
        fb(
            Status::UpdateFailure,
            actions("a", 1, ActionStatus::UpdateFailure),
        ),
    );
    let s = drain(&mut m);
    assert_eq!(cmds(&s, CommandKind::Cleanup), ["a"]);
    let s = phase(
        &mut m,
        4,
        &["b"],
        1,
        Status::UpdateSuccess,
        ActionStatus::UpdateSuccess,
    );
    assert_eq!(cmds(&s, CommandKind::Rollback), ["b"]);
    assert!(cmds(&s, CommandKind::Activate).is_empty());
    let s = phase(
        &mut m,
        5,
        &["b"],
        1,
        Status::RollbackSuccess,
        ActionStatus::UpdateSuccess,
    );
    assert_eq!(cmds(&s, CommandKind::Cleanup), ["b"]);
    phase(
        &mut m,
        6,
        &["a"],
        1,
        Status::CleanupSuccess,
        ActionStatus::UpdateFailure,
    );
    let s = phase(
        &mut m,
        7,
        &["b"],
        1,
        Status::CleanupSuccess,
        ActionStatus::UpdateSuccess,
    );
    assert_eq!(s.statuses, [Status::Incomplete]);
    assert!(s.messages[0].contains("rolled back"));
}

#[test]
fn identification_timeout_gives_identification_failed_with_kanto_message() {
    let mut m = Manager::new(config(&["containers"]));
    m.handle_desired_state(0, desired(&["containers"], 1));
    drain(&mut m);
    assert_eq!(m.poll_timeout(), Some(30_000));
    m.handle_timeout(29_999);
    assert!(drain(&mut m).statuses.is_empty());
    m.handle_timeout(30_000);
    let s = drain(&mut m);
    assert_eq!(s.statuses, [Status::IdentificationFailed]);
    assert_eq!(
        s.messages,
        ["failed to wait for command 'DOWNLOAD' signal: not received in 30s"]
    );
    assert!(s.commands.is_empty(), "Kanto sends no cleanup on a timeout");
}

#[test]
fn later_phase_timeout_gives_incomplete() {
    let mut m = Manager::new(config(&["a"]));
    identify(&mut m, &["a"], 1);
    phase(
        &mut m,
        10,
        &["a"],
        1,
        Status::DownloadSuccess,
        ActionStatus::DownloadSuccess,
    );
    // The changed actions are reported as RUNNING once the interval allows.
    assert_eq!(m.poll_timeout(), Some(1 + 2_000));
    m.handle_timeout(2_001);
    assert_eq!(drain(&mut m).statuses, [Status::Running]);
    let due = m.poll_timeout().unwrap();
    assert_eq!(due, 10 + 30_000);
    m.handle_timeout(due);
    let s = drain(&mut m);
    assert_eq!(s.statuses, [Status::Incomplete]);
    assert_eq!(
        s.messages,
        ["failed to wait for command 'ACTIVATE' signal: not received in 30s"]
    );
}

#[test]
fn owner_denies_update_so_domains_roll_back_then_clean_up() {
    let mut cfg = config(&["containers"]);
    cfg.owner_consent_commands = vec![CommandKind::Update];
    let mut m = Manager::new(cfg);
    identify(&mut m, &["containers"], 2);
    let s = phase(
        &mut m,
        2,
        &["containers"],
        2,
        Status::DownloadSuccess,
        ActionStatus::DownloadSuccess,
    );
    assert_eq!(s.consents, [CommandKind::Update]);
    assert!(s.commands.is_empty());
    // A consent for another activity is refused with a warning.
    m.handle_consent_feedback(
        3,
        Envelope::new(
            "other",
            3,
            OwnerConsentFeedback {
                status: Some(ConsentStatus::Approved),
            },
        ),
    );
    assert!(matches!(
        drain(&mut m).warnings[..],
        [ManagerWarning::ActivityMismatch { .. }]
    ));
    m.handle_consent_feedback(
        3,
        Envelope::new(
            ACT,
            3,
            OwnerConsentFeedback {
                status: Some(ConsentStatus::Denied),
            },
        ),
    );
    let s = drain(&mut m);
    assert_eq!(cmds(&s, CommandKind::Rollback), ["containers"]);
    let s = phase(
        &mut m,
        4,
        &["containers"],
        2,
        Status::RollbackSuccess,
        ActionStatus::DownloadSuccess,
    );
    assert_eq!(cmds(&s, CommandKind::Cleanup), ["containers"]);
    let s = phase(
        &mut m,
        5,
        &["containers"],
        2,
        Status::CleanupSuccess,
        ActionStatus::DownloadSuccess,
    );
    assert_eq!(s.statuses, [Status::Incomplete]);
    assert_eq!(
        s.messages,
        ["the update process is incompleted: owner approval not granted"]
    );
}

#[test]
fn download_consent_timeout_ends_incomplete_without_commands() {
    let mut cfg = config(&["a"]);
    cfg.owner_consent_commands = vec![CommandKind::Download];
    cfg.owner_consent_timeout = Duration::from_secs(60);
    let mut m = Manager::new(cfg);
    let s = identify(&mut m, &["a"], 1);
    assert_eq!(s.consents, [CommandKind::Download]);
    m.handle_timeout(1 + 60_000);
    let s = drain(&mut m);
    assert_eq!(s.statuses, [Status::Incomplete]);
    assert!(s.commands.is_empty());
}

#[test]
fn owner_approval_sends_the_command() {
    let mut cfg = config(&["a"]);
    cfg.owner_consent_commands = vec![CommandKind::Activate];
    let mut m = Manager::new(cfg);
    identify(&mut m, &["a"], 1);
    phase(
        &mut m,
        2,
        &["a"],
        1,
        Status::DownloadSuccess,
        ActionStatus::DownloadSuccess,
    );
    let s = phase(
        &mut m,
        3,
        &["a"],
        1,
        Status::UpdateSuccess,
        ActionStatus::UpdateSuccess,
    );
    assert_eq!(s.consents, [CommandKind::Activate]);
    m.handle_consent_feedback(
        4,
        Envelope::new(
            ACT,
            4,
            OwnerConsentFeedback {
                status: Some(ConsentStatus::Approved),
            },
        ),
    );
    assert_eq!(cmds(&drain(&mut m), CommandKind::Activate), ["a"]);
}

#[test]
fn a_second_desired_state_is_refused_while_one_runs() {
    let mut m = Manager::new(config(&["a"]));
    m.handle_desired_state(0, desired(&["a"], 1));
    drain(&mut m);
    let mut second = desired(&["a"], 1);
    second.activity_id = "act-2".into();
    m.handle_desired_state(1, second);
    let out: Vec<_> = m.drain_outputs().collect();
    let [ManagerOutput::ToCloud(CloudMessage::Feedback(e))] = &out[..] else {
        panic!("{out:?}")
    };
    assert_eq!(e.activity_id, "act-2");
    let f = e.payload.as_ref().unwrap();
    assert_eq!(f.status, Some(Status::IdentificationFailed));
    assert_eq!(f.message, "Another update activity in progress - act-1");
    assert_eq!(m.activity_id(), Some(ACT));
}

#[test]
fn identification_failure_is_reported_per_domain_without_commands() {
    let mut m = Manager::new(config(&["a", "b"]));
    m.handle_desired_state(0, desired(&["a", "b"], 1));
    drain(&mut m);
    m.handle_agent_feedback(
        1,
        "a",
        fb(
            Status::Identified,
            actions("a", 1, ActionStatus::Identified),
        ),
    );
    m.handle_agent_feedback(
        1,
        "b",
        Envelope::new(
            ACT,
            1,
            Feedback::new(Status::IdentificationFailed).with_message("bad image"),
        ),
    );
    let s = drain(&mut m);
    assert_eq!(s.statuses, [Status::IdentificationFailed]);
    assert_eq!(s.messages, ["[b]: bad image"]);
    assert!(s.commands.is_empty());
}

#[test]
fn nothing_to_do_completes_without_commands() {
    let mut m = Manager::new(config(&["a"]));
    m.handle_desired_state(0, desired(&["a"], 0));
    drain(&mut m);
    m.handle_agent_feedback(1, "a", fb(Status::Identified, vec![]));
    let s = drain(&mut m);
    assert_eq!(s.statuses, [Status::Identified, Status::Completed]);
    assert!(s.commands.is_empty());
}

#[test]
fn unsupported_domains_are_dropped_with_a_warning() {
    let mut m = Manager::new(config(&["a"]));
    m.handle_desired_state(0, desired(&["a", "zzz"], 1));
    let s = drain(&mut m);
    assert_eq!(s.desired, ["a"]);
    assert_eq!(
        s.warnings,
        [ManagerWarning::UnsupportedDomain {
            domain: "zzz".into()
        }]
    );
    let mut m = Manager::new(config(&["a"]));
    m.handle_desired_state(0, desired(&["zzz"], 1));
    let s = drain(&mut m);
    assert_eq!(s.statuses, [Status::Identifying, Status::Incomplete]);
    assert_eq!(
        s.messages[1],
        "the desired state manifest does not contain any supported domain"
    );
}

#[test]
fn misaddressed_feedback_is_reported_not_dropped_silently() {
    let mut m = Manager::new(config(&["a"]));
    m.handle_agent_feedback(0, "a", fb(Status::Identified, vec![]));
    assert!(matches!(
        drain(&mut m).warnings[..],
        [ManagerWarning::ActivityMismatch { .. }]
    ));
    m.handle_agent_feedback(0, "nobody", fb(Status::Identified, vec![]));
    assert!(matches!(
        drain(&mut m).warnings[..],
        [ManagerWarning::UnknownDomain { .. }]
    ));
    m.handle_desired_state(0, desired(&["a"], 1));
    drain(&mut m);
    m.handle_agent_feedback(
        1,
        "a",
        Envelope::new("old", 1, Feedback::new(Status::Identified)),
    );
    assert!(matches!(
        drain(&mut m).warnings[..],
        [ManagerWarning::ActivityMismatch { .. }]
    ));
    m.handle_agent_feedback(1, "a", fb(Status::UpdateSuccess, vec![]));
    assert!(matches!(
        drain(&mut m).warnings[..],
        [ManagerWarning::OutOfOrder { .. }]
    ));
}

#[test]
fn feedback_for_a_finished_activity_is_routine_not_a_mismatch() {
    let mut m = Manager::new(config(&["a"]));
    // An activity that ends at once (no supported domain).
    m.handle_desired_state(0, desired(&["zzz"], 1));
    assert_eq!(drain(&mut m).statuses.last(), Some(&Status::Incomplete));
    m.handle_agent_feedback(1, "a", fb(Status::CleanupSuccess, vec![]));
    let w = drain(&mut m).warnings;
    assert_eq!(
        w,
        [ManagerWarning::LateFeedback {
            domain: "a".into(),
            activity_id: ACT.into()
        }]
    );
    assert!(w[0].is_routine());
    // The raw path says the same without decoding the action list.
    let raw = fb(
        Status::Downloading,
        actions("a", 1000, ActionStatus::Downloading),
    )
    .to_vec();
    m.handle_agent_feedback_bytes(2, "a", &raw);
    assert!(matches!(
        drain(&mut m).warnings[..],
        [ManagerWarning::LateFeedback { .. }]
    ));
    // An activity nobody ran is still a mismatch, and not routine.
    m.handle_agent_feedback(
        3,
        "a",
        Envelope::new("never-ran", 3, Feedback::new(Status::Identified)),
    );
    let w = drain(&mut m).warnings;
    assert!(matches!(w[..], [ManagerWarning::ActivityMismatch { .. }]));
    assert!(!w[0].is_routine());
}

#[test]
fn running_reports_are_rate_limited_and_only_sent_on_change() {
    let mut m = Manager::new(config(&["a"]));
    identify(&mut m, &["a"], 1);
    // Progress within the interval is held back.
    m.handle_agent_feedback(
        100,
        "a",
        fb(
            Status::Downloading,
            actions("a", 1, ActionStatus::Downloading),
        ),
    );
    assert!(drain(&mut m).statuses.is_empty());
    assert_eq!(m.poll_timeout(), Some(1 + 2_000));
    m.handle_timeout(2_001);
    assert_eq!(drain(&mut m).statuses, [Status::Running]);
    // No change, no report.
    m.handle_agent_feedback(
        5_000,
        "a",
        fb(
            Status::Downloading,
            actions("a", 1, ActionStatus::Downloading),
        ),
    );
    m.handle_timeout(10_000);
    assert!(drain(&mut m).statuses.is_empty());
}

#[test]
fn reboot_is_requested_only_for_completed_activities_of_reboot_domains() {
    let mut cfg = config(&["fw"]);
    cfg.reboot_enabled = true;
    cfg.agents.get_mut("fw").unwrap().reboot_required = true;
    let mut m = Manager::new(cfg);
    identify(&mut m, &["fw"], 1);
    phase(
        &mut m,
        2,
        &["fw"],
        1,
        Status::DownloadSuccess,
        ActionStatus::DownloadSuccess,
    );
    phase(
        &mut m,
        3,
        &["fw"],
        1,
        Status::UpdateSuccess,
        ActionStatus::UpdateSuccess,
    );
    phase(
        &mut m,
        4,
        &["fw"],
        1,
        Status::ActivationSuccess,
        ActionStatus::ActivationSuccess,
    );
    let s = phase(
        &mut m,
        5,
        &["fw"],
        1,
        Status::CleanupSuccess,
        ActionStatus::ActivationSuccess,
    );
    assert_eq!(s.reboots, 1);
}

#[test]
fn current_state_round_is_answered_by_any_later_report() {
    let mut cfg = config(&["a", "b"]);
    cfg.agents.get_mut("b").unwrap().read_timeout = Duration::from_secs(5);
    let mut m = Manager::new(cfg);
    m.start(1000);
    let s = drain(&mut m);
    assert_eq!(s.gets.len(), 2);
    assert_eq!(s.gets[0].1, "initial-current-state-1000");
    let inv = Inventory {
        software_nodes: vec![SoftwareNode::agent_root("a-agent", "A", "1", "a")],
        ..Inventory::default()
    };
    m.handle_agent_current_state(
        1001,
        "a",
        Envelope::new("initial-current-state-1000", 1001, inv.clone()),
    );
    assert!(drain(&mut m).inventories.is_empty());
    // b restarts and reports its own initial state: Kanto would wait the full
    // read timeout; here it answers the round.
    m.handle_agent_current_state(
        1002,
        "b",
        Envelope::new("initial-current-state-999999", 1002, Inventory::default()),
    );
    let s = drain(&mut m);
    assert_eq!(s.inventories.len(), 1);
    let merged = s.inventories[0].payload.as_ref().unwrap();
    assert_eq!(merged.software_nodes[0].id, "device-update-manager");
    assert_eq!(merged.associations[0].target_id, "a-agent");
    // A stale report is dropped with a warning.
    m.handle_agent_current_state(1003, "a", Envelope::new("", 10, inv));
    assert!(matches!(
        drain(&mut m).warnings[..],
        [ManagerWarning::StaleCurrentState { .. }]
    ));
}

#[test]
fn an_agent_whose_report_predates_the_request_is_asked_again_once() {
    // The agent started just before the manager: its report predates the
    // request and carries its own activity id, and it may have subscribed
    // too late to see the request.
    let mut cfg = config(&["a"]);
    cfg.agents.get_mut("a").unwrap().read_timeout = Duration::from_secs(60);
    let mut m = Manager::new(cfg);
    m.start(1000);
    assert_eq!(drain(&mut m).gets.len(), 1);
    m.handle_agent_current_state(
        1001,
        "a",
        Envelope::new("initial-current-state-990", 990, Inventory::default()),
    );
    let s = drain(&mut m);
    assert!(s.inventories.is_empty(), "an old report does not answer");
    assert_eq!(
        s.gets,
        [("a".to_owned(), "initial-current-state-1000".to_owned())]
    );
    // once per round, however many old reports come
    m.handle_agent_current_state(
        1002,
        "a",
        Envelope::new("initial-current-state-990", 995, Inventory::default()),
    );
    assert!(drain(&mut m).gets.is_empty());
    // its answer completes the round without waiting for the read timeout
    m.handle_agent_current_state(
        1003,
        "a",
        Envelope::new("initial-current-state-1000", 996, Inventory::default()),
    );
    let s = drain(&mut m);
    assert_eq!(s.inventories.len(), 1);
    assert_eq!(s.inventories[0].activity_id, "initial-current-state-1000");
}

#[test]
fn unanswered_current_state_request_neither_blocks_nor_sticks() {
    let mut m = Manager::new(config(&["a"]));
    m.start(0);
    drain(&mut m);
    // A desired state right away is forwarded at once.
    m.handle_desired_state(1, desired(&["a"], 1));
    assert_eq!(drain(&mut m).desired, ["a"]);
    // The round gives up after the read timeout and still publishes.
    m.handle_timeout(60_000);
    let s = drain(&mut m);
    assert_eq!(s.inventories.len(), 1);
    assert_eq!(s.inventories[0].activity_id, "initial-current-state-0");
}

#[test]
fn self_reported_changes_are_debounced() {
    let mut m = Manager::new(config(&["a"]));
    m.handle_agent_current_state(0, "a", Envelope::new("", 0, Inventory::default()));
    m.handle_agent_current_state(5, "a", Envelope::new("", 5, Inventory::default()));
    assert!(drain(&mut m).inventories.is_empty());
    assert_eq!(m.poll_timeout(), Some(30_000));
    m.handle_timeout(30_000);
    assert_eq!(drain(&mut m).inventories.len(), 1);
}

#[test]
fn bad_desired_states_get_identification_failed_with_a_reason() {
    let cases: [(&[u8], &str); 5] = [
        (b"{not json", "malformed"),
        (br#"{"activityId":"x","timestamp":1,"payload":null}"#, "no payload"),
        (br#"{"activityId":"x","timestamp":1,"payload":{"domains":[{"id":"a","components":[{"id":"c"},{"id":"c"}]}]}}"#, "more than once"),
        (br#"{"activityId":"x","timestamp":1,"payload":{"domains":[{"id":"a","components":[{"id":"a:c"}]}]}}"#, "prefix"),
        (br#"{"activityId":"x","timestamp":1,"payload":{"domains":"oops"}}"#, "malformed"),
    ];
    for (bytes, reason) in cases {
        let mut m = Manager::new(config(&["a"]));
        m.handle_desired_state_bytes(0, bytes, 1 << 20);
        let s = drain(&mut m);
        assert_eq!(s.statuses, [Status::IdentificationFailed], "{reason}");
        assert!(
            s.messages[0].contains(reason),
            "{} lacks {reason}",
            s.messages[0]
        );
        assert_eq!(m.activity_id(), None);
    }
    let mut m = Manager::new(config(&["a"]));
    m.handle_desired_state_bytes(0, &[b' '; 2048], 1024);
    assert!(drain(&mut m).messages[0].contains("exceeds the limit"));
}

#[test]
fn shutdown_ends_the_activity_incomplete() {
    let mut m = Manager::new(config(&["a"]));
    m.handle_desired_state(0, desired(&["a"], 1));
    drain(&mut m);
    m.shutdown(1);
    let s = drain(&mut m);
    assert_eq!(s.statuses, [Status::Incomplete]);
    assert_eq!(s.messages, ["the update manager instance is terminated"]);
}

#[test]
fn reconnect_resends_what_agents_may_have_missed() {
    let domains = ["a", "b"];
    let mut m = Manager::new(config(&domains));
    m.handle_desired_state(0, desired(&domains, 1));
    drain(&mut m);
    m.handle_agent_feedback(
        1,
        "a",
        fb(
            Status::Identified,
            actions("a", 1, ActionStatus::Identified),
        ),
    );
    drain(&mut m);
    m.handle_reconnect(2);
    assert_eq!(
        drain(&mut m).desired,
        ["b"],
        "only the domain still identifying"
    );
    m.handle_agent_feedback(
        3,
        "b",
        fb(
            Status::Identified,
            actions("b", 1, ActionStatus::Identified),
        ),
    );
    drain(&mut m);
    m.handle_agent_feedback(
        4,
        "a",
        fb(
            Status::DownloadSuccess,
            actions("a", 1, ActionStatus::DownloadSuccess),
        ),
    );
    drain(&mut m);
    m.handle_reconnect(5);
    let s = drain(&mut m);
    assert_eq!(cmds(&s, CommandKind::Download), ["b"]);
    assert!(s.statuses.is_empty());
}

#[test]
fn reconnect_repeats_a_pending_consent_request() {
    let mut cfg = config(&["a"]);
    cfg.owner_consent_commands = vec![CommandKind::Download];
    let mut m = Manager::new(cfg);
    identify(&mut m, &["a"], 1);
    m.handle_reconnect(5);
    assert_eq!(drain(&mut m).consents, [CommandKind::Download]);
}

#[test]
fn progress_bytes_take_the_fast_path_and_still_reach_running_reports() {
    let mut m = Manager::new(config(&["a"]));
    identify(&mut m, &["a"], 2);
    let mut progress = actions("a", 2, ActionStatus::Downloading);
    progress[1].progress = 40;
    let bytes = fb(Status::Downloading, progress).to_vec();
    m.handle_agent_feedback_bytes(10, "a", &bytes);
    assert!(drain(&mut m).warnings.is_empty());
    m.handle_timeout(2_001);
    let out: Vec<_> = m.drain_outputs().collect();
    let running = out
        .iter()
        .find_map(|o| match o {
            ManagerOutput::ToCloud(CloudMessage::Feedback(e)) => e.payload.clone(),
            _ => None,
        })
        .unwrap();
    assert_eq!(running.status, Some(Status::Running));
    assert_eq!(running.actions[1].progress, 40);
    // The phase still completes from bytes.
    m.handle_agent_feedback_bytes(
        11,
        "a",
        &fb(
            Status::DownloadSuccess,
            actions("a", 2, ActionStatus::DownloadSuccess),
        )
        .to_vec(),
    );
    assert_eq!(cmds(&drain(&mut m), CommandKind::Update), ["a"]);
    // Undecodable feedback is reported.
    m.handle_agent_feedback_bytes(12, "a", b"{");
    assert!(matches!(
        drain(&mut m).warnings[..],
        [ManagerWarning::Undecodable { .. }]
    ));
}

#[test]
fn common_mistakes_get_a_hint() {
    // kanto#354: a wrapped desired state and `parameters` instead of `config`.
    let wrapped = br#"{"activityId":"w","payload":{"desiredState":{"domains":[{"id":"a"}]}}}"#;
    let mut m = Manager::new(config(&["a"]));
    m.handle_desired_state_bytes(0, wrapped, 1 << 20);
    let s = drain(&mut m);
    assert!(
        matches!(&s.warnings[..], [ManagerWarning::Suspicious { hint, .. }] if hint.contains("desiredState")),
        "{:?}",
        s.warnings
    );
    let params = br#"{"activityId":"p","payload":{"domains":[{"id":"a","components":[{"id":"x","parameters":[{"key":"image","value":"i"}]}]}]}}"#;
    let mut m = Manager::new(config(&["a"]));
    m.handle_desired_state_bytes(0, params, 1 << 20);
    let s = drain(&mut m);
    assert!(
        s.warnings.iter().any(
            |w| matches!(w, ManagerWarning::Suspicious { hint, .. } if hint.contains("config"))
        )
    );
    assert_eq!(s.desired, ["a"], "the activity still runs");
}
