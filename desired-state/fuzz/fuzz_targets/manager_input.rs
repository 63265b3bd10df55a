//! The manager and an agent core fed arbitrary bytes on every topic they
//! own never panic, and every input is answered or reported.
#![no_main]

use desired_state::agent::AgentCore;
use desired_state::manager::{Manager, ManagerConfig, ThingsBridge};
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
    let Some((&selector, payload)) = data.split_first() else { return };
    let topic = TOPICS[usize::from(selector) % TOPICS.len()];
    let mut m = Manager::new(ManagerConfig::with_agents(["containers"]));
    let mut bridge = ThingsBridge::new("device");
    m.handle_publish(0, "deviceupdate/desiredstate", br#"{"activityId":"f","payload":{"domains":[{"id":"containers","components":[{"id":"a"}]}]}}"#);
    if bridge.handle_publish(&mut m, 1, topic, payload).is_none() {
        m.handle_publish(1, topic, payload);
    }
    m.handle_timeout(i64::MAX);
    let outputs: Vec<_> = m.drain_outputs().collect();
    for o in &outputs {
        let _ = o.to_publication("device");
    }
    let mut core = AgentCore::new("containers");
    let _ = core.on_message("containersupdate/desiredstate", payload);
    let _ = core.on_message("containersupdate/desiredstate/command", payload);
});
