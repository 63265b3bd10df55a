//! The agent runtime alone, and manager plus agents wired in memory.
// Helpers outside #[test] functions are not covered by clippy.toml's test exemption.
#![allow(clippy::unwrap_used)]

use std::collections::VecDeque;

use desired_state::agent::{AgentOutput, AgentRuntime, AgentWarning, NoopAgent};
use desired_state::manager::{Manager, ManagerConfig, ManagerOutput};
use desired_state::model::{
    Command, CommandKind, Component, DesiredState, Domain, Envelope, Feedback, Inventory,
    NoPayload, Status,
};
use desired_state::publication::Publication;
use desired_state::topic::Topics;

fn runtime(domain: &str, agent: NoopAgent) -> AgentRuntime<NoopAgent> {
    AgentRuntime::with_clock(domain, agent, Box::new(|| 42))
}

fn desired(domain: &str, n: usize) -> DesiredState {
    DesiredState {
        baselines: vec![],
        domains: vec![Domain::new(
            domain,
            (0..n)
                .map(|i| Component::new(format!("c{i}"), "1"))
                .collect(),
        )],
    }
}

fn statuses(out: &[AgentOutput]) -> Vec<Status> {
    out.iter()
        .filter_map(|o| match o {
            AgentOutput::Feedback(e) => e.payload.as_ref()?.status.clone(),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn agent_reports_every_phase_with_full_action_lists() {
    let t = Topics::for_domain("apps");
    let mut rt = runtime("apps", NoopAgent::new("apps"));
    let mut out = Vec::new();
    rt.handle(
        &t.desired_state,
        &Envelope::new("a1", 1, desired("apps", 2)).to_vec(),
        &mut out,
    )
    .await;
    assert_eq!(statuses(&out), [Status::Identifying, Status::Identified]);
    let AgentOutput::Feedback(identified) = &out[1] else {
        panic!()
    };
    let ids: Vec<_> = identified
        .payload
        .as_ref()
        .unwrap()
        .actions
        .iter()
        .map(|a| a.component.id.clone())
        .collect();
    assert_eq!(ids, ["apps:c0", "apps:c1"]);
    for (cmd, want) in [
        (
            CommandKind::Download,
            [Status::Downloading, Status::DownloadSuccess],
        ),
        (
            CommandKind::Update,
            [Status::Updating, Status::UpdateSuccess],
        ),
        (
            CommandKind::Activate,
            [Status::Activating, Status::ActivationSuccess],
        ),
    ] {
        let mut out = Vec::new();
        rt.handle(
            &t.command,
            &Envelope::new("a1", 2, Command::new(cmd)).to_vec(),
            &mut out,
        )
        .await;
        assert_eq!(statuses(&out), want);
        let AgentOutput::Feedback(last) = out.last().unwrap() else {
            panic!()
        };
        assert_eq!(last.payload.as_ref().unwrap().actions.len(), 2);
    }
    let mut out = Vec::new();
    rt.handle(
        &t.command,
        &Envelope::new("a1", 3, Command::new(CommandKind::Cleanup)).to_vec(),
        &mut out,
    )
    .await;
    assert_eq!(
        statuses(&out),
        [Status::Cleanup, Status::CleanupSuccess, Status::Completed]
    );
    assert_eq!(rt.agent().installed().len(), 2);
    assert_eq!(rt.core().activity_id(), None);
}

#[tokio::test]
async fn agent_answers_current_state_get_with_the_request_id() {
    let t = Topics::for_domain("apps");
    let mut rt = runtime("apps", NoopAgent::new("apps"));
    let mut out = Vec::new();
    rt.handle(
        &t.current_state_get,
        &Envelope::<NoPayload>::empty("get-7", 1).to_vec(),
        &mut out,
    )
    .await;
    rt.handle(
        &t.current_state_get,
        br#"{"activityId":"leda","timestamp":1}"#,
        &mut out,
    )
    .await;
    let ids: Vec<_> = out
        .iter()
        .map(|o| match o {
            AgentOutput::CurrentState(e) => e.activity_id.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(ids, ["get-7", "leda"]);
    let AgentOutput::CurrentState(e) = &out[0] else {
        panic!()
    };
    let inv: &Inventory = e.payload.as_ref().unwrap();
    assert_eq!(inv.domain_root("apps").unwrap().id, "apps-update-agent");
    let mut out = Vec::new();
    rt.on_connect(&mut out).await;
    let [AgentOutput::CurrentState(e)] = &out[..] else {
        panic!()
    };
    assert_eq!(e.activity_id, "initial-current-state-42");
}

#[tokio::test]
async fn agent_refuses_bad_input_with_reasons() {
    let t = Topics::for_domain("apps");
    let mut rt = runtime("apps", NoopAgent::new("apps"));
    let mut out = Vec::new();
    rt.handle(&t.desired_state, br#"{"activityId":"x","payload":{"domains":[{"id":"apps","components":[{"id":"a"},{"id":"a"}]}]}}"#, &mut out).await;
    rt.handle(&t.desired_state, b"garbage", &mut out).await;
    rt.handle(
        &t.desired_state,
        br#"{"activityId":"y","payload":{"domains":[{"id":"other"}]}}"#,
        &mut out,
    )
    .await;
    let msgs: Vec<_> = out
        .iter()
        .map(|o| match o {
            AgentOutput::Feedback(e) => {
                let f = e.payload.as_ref().unwrap();
                assert_eq!(f.status, Some(Status::IdentificationFailed));
                f.message.clone()
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert!(msgs[0].contains("more than once"), "{}", msgs[0]);
    assert!(msgs[1].contains("malformed"), "{}", msgs[1]);
    assert!(msgs[2].contains("no domain apps"), "{}", msgs[2]);

    let mut out = Vec::new();
    rt.handle("containersupdate/desiredstate", b"{}", &mut out)
        .await;
    rt.handle(
        &t.command,
        &Envelope::new("nope", 1, Command::new(CommandKind::Download)).to_vec(),
        &mut out,
    )
    .await;
    assert!(matches!(
        out[0],
        AgentOutput::Warning(AgentWarning::WrongTopic { .. })
    ));
    assert!(matches!(
        out[1],
        AgentOutput::Warning(AgentWarning::ActivityMismatch { .. })
    ));
}

#[tokio::test]
async fn unknown_baseline_answers_the_command_failure() {
    let t = Topics::for_domain("apps");
    let mut rt = runtime("apps", NoopAgent::new("apps"));
    let mut out = Vec::new();
    rt.handle(
        &t.desired_state,
        &Envelope::new("a", 1, desired("apps", 1)).to_vec(),
        &mut out,
    )
    .await;
    let mut out = Vec::new();
    let cmd = Command {
        command: Some(CommandKind::Download),
        baseline: "nope".into(),
    };
    rt.handle(&t.command, &Envelope::new("a", 1, cmd).to_vec(), &mut out)
        .await;
    let [AgentOutput::Feedback(e)] = &out[..] else {
        panic!("{out:?}")
    };
    let f = e.payload.as_ref().unwrap();
    assert_eq!(f.status, Some(Status::DownloadFailure));
    assert_eq!(f.message, "Unknown baseline nope");
    let mut out = Vec::new();
    let cmd = Command {
        command: Some(CommandKind::Download),
        baseline: "apps:c0".into(),
    };
    rt.handle(&t.command, &Envelope::new("a", 1, cmd).to_vec(), &mut out)
        .await;
    assert_eq!(
        statuses(&out),
        [Status::Downloading, Status::DownloadSuccess]
    );
}

#[tokio::test]
async fn chatty_agent_sends_a_progress_message_per_action() {
    let t = Topics::for_domain("apps");
    let mut rt = runtime("apps", NoopAgent::new("apps").chatty(true));
    let mut out = Vec::new();
    rt.handle(
        &t.desired_state,
        &Envelope::new("a", 1, desired("apps", 3)).to_vec(),
        &mut out,
    )
    .await;
    let mut out = Vec::new();
    rt.handle(
        &t.command,
        &Envelope::new("a", 1, Command::new(CommandKind::Download)).to_vec(),
        &mut out,
    )
    .await;
    assert_eq!(
        statuses(&out),
        [
            Status::Downloading,
            Status::Downloading,
            Status::Downloading,
            Status::Downloading,
            Status::DownloadSuccess
        ]
    );
}

/// Routes publications between one manager and its agents until quiet.
async fn run_in_memory(
    m: &mut Manager,
    agents: &mut [AgentRuntime<NoopAgent>],
    first: Publication,
) -> Vec<Envelope<Feedback>> {
    let mut queue = VecDeque::from([first]);
    let mut cloud = Vec::new();
    let mut now = 1_000;
    while let Some(p) = queue.pop_front() {
        now += 1;
        if p.topic.starts_with("deviceupdate/") && p.topic != "deviceupdate/desiredstate" {
            if p.topic == "deviceupdate/desiredstatefeedback" {
                cloud.push(Envelope::<Feedback>::from_slice(&p.payload).unwrap());
            }
            continue;
        }
        m.handle_publish(now, &p.topic, &p.payload);
        for rt in agents.iter_mut() {
            let t = rt.core().topics().clone();
            if t.agent_subscriptions().contains(&p.topic.as_str()) {
                let mut out = Vec::new();
                rt.handle(&p.topic, &p.payload, &mut out).await;
                for o in out {
                    match o {
                        AgentOutput::Feedback(e) => {
                            queue.push_back(Publication::new(t.feedback.clone(), e.to_vec()))
                        }
                        AgentOutput::CurrentState(e) => queue
                            .push_back(Publication::retained(t.current_state.clone(), e.to_vec())),
                        AgentOutput::Warning(w) => panic!("agent warning {w}"),
                        _ => {}
                    }
                }
            }
        }
        for o in m.drain_outputs().collect::<Vec<_>>() {
            if let ManagerOutput::Warning(w) = &o {
                let text = w.to_string();
                assert!(
                    !text.contains("out of order") && !text.contains("ignored in state"),
                    "{text}"
                );
            }
            queue.extend(o.to_publication("device"));
        }
    }
    cloud
}

#[tokio::test]
async fn manager_and_agents_complete_an_activity_in_memory() {
    let domains = ["containers", "firmware", "apps", "os", "config"];
    let mut m = Manager::new(ManagerConfig::with_agents(domains));
    let mut agents: Vec<_> = domains
        .iter()
        .map(|d| runtime(d, NoopAgent::new(*d).chatty(true)))
        .collect();
    let ds = DesiredState {
        baselines: vec![],
        domains: domains
            .iter()
            .map(|d| {
                Domain::new(
                    *d,
                    (0..20)
                        .map(|i| Component::new(format!("c{i}"), "2"))
                        .collect(),
                )
            })
            .collect(),
    };
    let first = Publication::new(
        "deviceupdate/desiredstate",
        Envelope::new("mem-1", 1, ds).to_vec(),
    );
    let cloud = run_in_memory(&mut m, &mut agents, first).await;
    let last = cloud.last().unwrap().payload.clone().unwrap();
    assert_eq!(last.status, Some(Status::Completed), "{cloud:?}");
    assert_eq!(last.actions.len(), 100);
    assert!(agents.iter().all(|a| a.agent().installed().len() == 20));
}

#[tokio::test]
async fn one_failing_agent_makes_the_activity_incomplete_in_memory() {
    let domains = ["a", "b"];
    let mut m = Manager::new(ManagerConfig::with_agents(domains));
    let mut agents = vec![
        runtime("a", NoopAgent::new("a").failing(CommandKind::Download)),
        runtime("b", NoopAgent::new("b")),
    ];
    let ds = DesiredState {
        baselines: vec![],
        domains: domains
            .iter()
            .map(|d| Domain::new(*d, vec![Component::new("x", "1")]))
            .collect(),
    };
    let first = Publication::new(
        "deviceupdate/desiredstate",
        Envelope::new("mem-2", 1, ds).to_vec(),
    );
    let cloud = run_in_memory(&mut m, &mut agents, first).await;
    let last = cloud.last().unwrap().payload.clone().unwrap();
    assert_eq!(last.status, Some(Status::Incomplete));
    assert_eq!(
        agents[1].agent().installed().len(),
        1,
        "the healthy domain finished its update"
    );
}

#[tokio::test]
async fn repeated_messages_are_answered_with_the_last_feedback_not_rerun() {
    let t = Topics::for_domain("apps");
    let mut rt = runtime("apps", NoopAgent::new("apps"));
    let ds = Envelope::new("r", 1, desired("apps", 1)).to_vec();
    let mut out = Vec::new();
    rt.handle(&t.desired_state, &ds, &mut out).await;
    // The same desired state again (a manager re-send): no new identification.
    let mut out = Vec::new();
    rt.handle(&t.desired_state, &ds, &mut out).await;
    assert_eq!(statuses(&out), [Status::Identified]);
    let download = Envelope::new("r", 2, Command::new(CommandKind::Download)).to_vec();
    rt.handle(&t.command, &download, &mut Vec::new()).await;
    let mut out = Vec::new();
    rt.handle(&t.command, &download, &mut out).await;
    assert_eq!(statuses(&out), [Status::DownloadSuccess]);
    // After the activity ended, a repeated CLEANUP gets the final status again.
    for cmd in [
        CommandKind::Update,
        CommandKind::Activate,
        CommandKind::Cleanup,
    ] {
        rt.handle(
            &t.command,
            &Envelope::new("r", 3, Command::new(cmd)).to_vec(),
            &mut Vec::new(),
        )
        .await;
    }
    let mut out = Vec::new();
    rt.handle(
        &t.command,
        &Envelope::new("r", 4, Command::new(CommandKind::Cleanup)).to_vec(),
        &mut out,
    )
    .await;
    assert_eq!(statuses(&out), [Status::Completed]);
    // On reconnect, an agent in the middle of an activity repeats its last feedback.
    let mut rt = runtime("apps", NoopAgent::new("apps"));
    rt.handle(&t.desired_state, &ds, &mut Vec::new()).await;
    let mut out = Vec::new();
    rt.on_connect(&mut out).await;
    assert!(matches!(out[0], AgentOutput::CurrentState(_)));
    assert_eq!(statuses(&out), [Status::Identified]);
}

#[tokio::test]
async fn per_baseline_commands_are_not_mistaken_for_repeats() {
    let t = Topics::for_domain("apps");
    let mut rt = runtime("apps", NoopAgent::new("apps"));
    rt.handle(
        &t.desired_state,
        &Envelope::new("b", 1, desired("apps", 2)).to_vec(),
        &mut Vec::new(),
    )
    .await;
    for baseline in ["apps:c0", "apps:c1"] {
        let cmd = Command {
            command: Some(CommandKind::Download),
            baseline: baseline.into(),
        };
        let mut out = Vec::new();
        rt.handle(&t.command, &Envelope::new("b", 2, cmd).to_vec(), &mut out)
            .await;
        assert_eq!(
            statuses(&out),
            [Status::Downloading, Status::DownloadSuccess],
            "{baseline}"
        );
    }
    let cmd = Command {
        command: Some(CommandKind::Download),
        baseline: "apps:c1".into(),
    };
    let mut out = Vec::new();
    rt.handle(&t.command, &Envelope::new("b", 3, cmd).to_vec(), &mut out)
        .await;
    assert_eq!(statuses(&out), [Status::DownloadSuccess], "a true repeat");
}
