//! The manager, its things bridge and an agent core fed a fuzzed script of
//! messages on every topic they own, with time moving forward and timeouts
//! in between: nothing panics, whatever the manager sends an agent is
//! something the agent core reads, and every output turns into a
//! publication or is a reboot or warning.
#![no_main]

use desired_state::agent::{AgentCore, AgentStep, AgentWarning};
use desired_state::manager::{Manager, ManagerConfig, ManagerOutput, ThingsBridge};
use libfuzzer_sys::fuzz_target;

const TOPICS: [&str; 8] = [
    "deviceupdate/desiredstate",
    "deviceupdate/currentstate/get",
    "deviceupdate/ownerconsentfeedback",
    "containersupdate/desiredstatefeedback",
    "containersupdate/currentstate",
    "edge/thing/response",
    "command///req/1/apply",
    "command///req/2/consent",
];

fuzz_target!(|data: &[u8]| {
    let mut m = Manager::new(ManagerConfig::with_agents(["containers"]));
    let mut bridge = ThingsBridge::new("device");
    let mut core = AgentCore::new("containers");
    let mut now = 0i64;
    m.handle_publish(
        now,
        "deviceupdate/desiredstate",
        br#"{"activityId":"f","payload":{"domains":[{"id":"containers","components":[{"id":"a"}]}]}}"#,
    );
    // Each step: topic selector (bit 3: also fire the timer), seconds to
    // advance, payload length, payload.
    let mut script = data;
    while let [selector, step, len, rest @ ..] = script {
        let n = usize::from(*len).min(rest.len());
        let (payload, rest) = rest.split_at(n);
        script = rest;
        now = now.saturating_add(i64::from(*step) * 1000);
        let topic = TOPICS[usize::from(*selector) % TOPICS.len()];
        if bridge.handle_publish(&mut m, now, topic, payload).is_none() {
            m.handle_publish(now, topic, payload);
        }
        if selector & 0x08 != 0 {
            m.handle_timeout(now);
        }
        let _ = core.on_message("containersupdate/desiredstate", payload);
        let _ = core.on_message("containersupdate/desiredstate/command", payload);
        for o in m.drain_outputs().collect::<Vec<_>>() {
            let publication = o.to_publication("device");
            assert_eq!(
                publication.is_none(),
                matches!(o, ManagerOutput::Reboot { .. } | ManagerOutput::Warning(_)),
                "{o:?} has no publication"
            );
            if let (ManagerOutput::ToAgent { .. }, Some(p)) = (&o, publication) {
                let step = core.on_message(&p.topic, &p.payload);
                assert!(
                    !matches!(
                        step,
                        AgentStep::Ignore(
                            AgentWarning::Undecodable(_) | AgentWarning::WrongTopic { .. } | AgentWarning::MissingCommand
                        )
                    ),
                    "the agent cannot read what the manager sent on {}: {step:?}",
                    p.topic
                );
            }
            let _ = bridge.to_publication(now, &o);
        }
    }
    m.handle_timeout(i64::MAX);
    for o in m.drain_outputs().collect::<Vec<_>>() {
        let _ = o.to_publication("device");
    }
});
