//! The update manager as a sans-IO state machine.
//!
//! Feed it decoded messages and an explicit `now` (milliseconds since the
//! Unix epoch); drain [`Manager::poll_output`] and arm a timer for
//! [`Manager::poll_timeout`], calling [`Manager::handle_timeout`] when it
//! fires. It never reads a clock and never does I/O.
//!
//! Behaviour follows Kanto's update manager (`updatem/orchestration`):
//! one activity at a time, the desired state split per domain, identification,
//! then DOWNLOAD, UPDATE, ACTIVATE and CLEANUP each sent only when every domain
//! finished the previous phase, a failed domain cleaned up at once while the
//! others continue, per-phase timeouts, owner-consent gates with rollback, rate
//! limited RUNNING reports, and a current-state round after every activity.
//! Where Kanto drops input silently this core emits a [`ManagerWarning`].

mod activity;
mod config;
mod current_state;
mod domain_run;
pub(crate) mod go_duration;
mod output;
mod peek;
mod plain;
mod things;

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

pub use config::{AgentSettings, ConfigError, ManagerConfig};
pub use output::{AgentMessage, CloudMessage, ManagerOutput, ManagerWarning};
pub use plain::DEFAULT_MAX_DESIRED_STATE_BYTES;
pub use things::{
    COMMAND_FILTER, EDGE_THING_REQUEST, EDGE_THING_RESPONSE, EVENT_TOPIC, ThingsBridge,
};

use crate::model::{
    DecodeError, DesiredState, Envelope, Feedback, Inventory, OwnerConsentFeedback, Status,
};
use activity::Activity;
use current_state::CurrentStateTracker;

/// Message Kanto sends when a second desired state arrives.
const BUSY_PREFIX: &str = "Another update activity in progress - ";

/// The update manager core. See the [module docs](self).
#[derive(Debug)]
pub struct Manager {
    config: ManagerConfig,
    activity: Option<Activity>,
    /// The last few activities that ended, newest last: their agents' late
    /// feedback is routine, not a mismatch.
    finished: VecDeque<String>,
    current: CurrentStateTracker,
    out: VecDeque<ManagerOutput>,
}

/// How many ended activities are remembered for [`ManagerWarning::LateFeedback`].
const FINISHED_REMEMBERED: usize = 4;

pub(crate) fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Manager {
    /// A manager with `config`.
    pub fn new(config: ManagerConfig) -> Self {
        let current = CurrentStateTracker::new(&config);
        Self {
            config,
            activity: None,
            finished: VecDeque::new(),
            current,
            out: VecDeque::new(),
        }
    }

    /// The settings.
    pub fn config(&self) -> &ManagerConfig {
        &self.config
    }

    /// The id of the running activity.
    pub fn activity_id(&self) -> Option<&str> {
        self.activity.as_ref().map(|a| a.id.as_str())
    }

    /// Call once connected: asks every agent for its current state with the
    /// id `initial-current-state-<now>`, as Kanto does on start.
    pub fn start(&mut self, now: i64) {
        let id = format!("initial-current-state-{now}");
        self.current.request(now, &id, &self.config, &mut self.out);
    }

    /// Hints for mistakes Kanto users make (eclipse-kanto/kanto#354): these
    /// decode fine, because unknown keys are ignored, and then do nothing.
    fn lint(&mut self, env: &Envelope<DesiredState>, bytes: &[u8]) {
        // A quoted string equal to `needle` (a key, or a value: it is a hint).
        let has = |needle: &[u8]| bytes.split(|b| *b == b'"').any(|part| part == needle);
        let empty = env.payload.as_ref().is_none_or(|d| d.domains.is_empty());
        let hint = if empty && has(b"desiredState") {
            Some(
                "the payload wraps the desired state in \"desiredState\"; on this topic the payload is the desired state itself",
            )
        } else if has(b"parameters") {
            Some(
                "components use \"parameters\"; component settings go in \"config\" as [{key, value}]",
            )
        } else {
            None
        };
        if let Some(hint) = hint {
            self.warn(ManagerWarning::Suspicious {
                activity_id: env.activity_id.clone(),
                hint,
            });
        }
    }

    /// Call after a reconnect: re-sends what the agents may have missed while
    /// the broker was unreachable (it keeps no sessions across a restart).
    pub fn handle_reconnect(&mut self, now: i64) {
        if let Some(a) = self.activity.as_mut() {
            a.resend(now, &mut self.out);
        }
    }

    /// A desired state from the cloud, still encoded. Bad input gets an
    /// `IDENTIFICATION_FAILED` with the reason (under the activity id when one
    /// can be read) and a warning; it never panics.
    pub fn handle_desired_state_bytes(&mut self, now: i64, bytes: &[u8], max_bytes: usize) {
        if bytes.len() > max_bytes {
            let e = DecodeError::TooLarge {
                what: "DesiredState",
                size: bytes.len(),
                limit: max_bytes,
            };
            self.reject(now, activity_id_of(bytes), &e.to_string());
            return;
        }
        match Envelope::<DesiredState>::from_slice(bytes) {
            Ok(env) => {
                self.lint(&env, bytes);
                self.handle_desired_state(now, env);
            }
            Err(e) => {
                self.out
                    .push_back(ManagerOutput::Warning(ManagerWarning::Undecodable {
                        what: "desired state",
                        reason: e.to_string(),
                    }));
                self.reject(now, activity_id_of(bytes), &e.to_string());
            }
        }
    }

    fn reject(&mut self, now: i64, activity_id: String, reason: &str) {
        let fb = Feedback::new(Status::IdentificationFailed).with_message(reason);
        self.out
            .push_back(ManagerOutput::ToCloud(CloudMessage::Feedback(
                Envelope::new(activity_id, now, fb),
            )));
    }

    /// A decoded desired state from the cloud.
    pub fn handle_desired_state(&mut self, now: i64, env: Envelope<DesiredState>) {
        if let Some(running) = &self.activity {
            let msg = format!("{BUSY_PREFIX}{}", running.id);
            self.reject(now, env.activity_id, &msg);
            return;
        }
        let Some(desired) = env.payload else {
            let e = DecodeError::MissingPayload {
                what: "DesiredState",
            };
            self.reject(now, env.activity_id, &e.to_string());
            return;
        };
        if let Err(e) = desired.validate(self.config.max_components) {
            self.reject(now, env.activity_id, &e.to_string());
            return;
        }
        self.activity = Some(Activity::start(
            now,
            env.activity_id,
            &desired,
            &self.config,
            &mut self.out,
        ));
        self.advance(now);
    }

    /// Feedback from `domain`'s agent.
    pub fn handle_agent_feedback(&mut self, now: i64, domain: &str, env: Envelope<Feedback>) {
        if !self.config.agents.contains_key(domain) {
            self.warn(ManagerWarning::UnknownDomain {
                domain: domain.to_owned(),
            });
            return;
        }
        if self.late(domain, &env.activity_id) {
            return;
        }
        let Some(activity) = self.activity.as_mut() else {
            self.warn(ManagerWarning::ActivityMismatch {
                what: "feedback",
                activity_id: env.activity_id,
                running: "no activity is running".to_owned(),
            });
            return;
        };
        if activity.id != env.activity_id {
            let running = format!("activity {:?} is running", activity.id);
            self.warn(ManagerWarning::ActivityMismatch {
                what: "feedback",
                activity_id: env.activity_id,
                running,
            });
            return;
        }
        let feedback = env.payload.unwrap_or_default();
        activity.on_feedback(now, domain, feedback, &self.config, &mut self.out);
        self.advance(now);
    }

    /// Feedback from `domain`'s agent, still encoded. Progress statuses of
    /// the running activity take a fast path that leaves the action list
    /// undecoded until a report needs it.
    pub fn handle_agent_feedback_bytes(&mut self, now: i64, domain: &str, bytes: &[u8]) {
        if let Some((activity_id, status)) = peek::peek_feedback(bytes)
            && status.is_progress()
            && self.config.agents.contains_key(domain)
            && let Some(activity) = self.activity.as_mut()
            && activity.id == activity_id
        {
            activity.on_progress_raw(
                now,
                domain,
                &status,
                bytes.to_vec(),
                &self.config,
                &mut self.out,
            );
            self.advance(now);
            return;
        }
        // Late progress of a finished activity needs no full decode either.
        if let Some((activity_id, _)) = peek::peek_feedback(bytes)
            && self.config.agents.contains_key(domain)
            && self.late(domain, &activity_id)
        {
            return;
        }
        match Envelope::<Feedback>::from_slice(bytes) {
            Ok(env) => self.handle_agent_feedback(now, domain, env),
            Err(e) => self.warn(ManagerWarning::Undecodable {
                what: "feedback",
                reason: e.to_string(),
            }),
        }
    }

    /// A current-state report from `domain`'s agent.
    pub fn handle_agent_current_state(&mut self, now: i64, domain: &str, env: Envelope<Inventory>) {
        if !self.config.agents.contains_key(domain) {
            self.warn(ManagerWarning::UnknownDomain {
                domain: domain.to_owned(),
            });
            return;
        }
        self.current
            .on_report(now, domain, env, &self.config, &mut self.out);
    }

    /// The owner's answer to a consent request.
    pub fn handle_consent_feedback(&mut self, now: i64, env: Envelope<OwnerConsentFeedback>) {
        let running = match &self.activity {
            Some(a) if a.id == env.activity_id && a.waiting_for_consent() => None,
            Some(a) if a.id == env.activity_id => Some("no consent is pending".to_owned()),
            Some(a) => Some(format!("activity {:?} is running", a.id)),
            None => Some("no activity is running".to_owned()),
        };
        if let Some(running) = running {
            self.warn(ManagerWarning::ActivityMismatch {
                what: "owner consent",
                activity_id: env.activity_id,
                running,
            });
            return;
        }
        let approved = env.payload.is_some_and(|p| p.is_approved());
        if let Some(a) = self.activity.as_mut() {
            a.on_consent(now, approved, &self.config, &mut self.out);
        }
        self.advance(now);
    }

    /// A `currentstate/get` (plain mode) or `refresh` (things mode) from the
    /// cloud: collect every agent's state and publish the merged inventory.
    pub fn handle_current_state_get(&mut self, now: i64, activity_id: &str) {
        self.current
            .request(now, activity_id, &self.config, &mut self.out);
    }

    /// Ends a running activity with INCOMPLETE, as Kanto does on shutdown.
    pub fn shutdown(&mut self, now: i64) {
        if let Some(mut a) = self.activity.take() {
            a.finish(
                now,
                Status::Incomplete,
                "the update manager instance is terminated".to_owned(),
                &mut self.out,
            );
            self.remember_finished(a.id);
        }
    }

    /// The earliest time [`Manager::handle_timeout`] must be called.
    pub fn poll_timeout(&self) -> Option<i64> {
        let (deadline, running) = match &self.activity {
            Some(a) => (a.deadline(), a.running_due(&self.config)),
            None => (None, None),
        };
        [deadline, running, self.current.next_deadline()]
            .into_iter()
            .flatten()
            .min()
    }

    /// Fires what is due at `now`: phase and consent timeouts, a pending
    /// RUNNING report, current-state reads and publishes.
    pub fn handle_timeout(&mut self, now: i64) {
        if let Some(a) = self.activity.as_mut() {
            a.on_timeout(now, &self.config, &mut self.out);
        }
        self.advance(now);
        self.current.on_timeout(now, &self.config, &mut self.out);
    }

    /// The next thing to do.
    pub fn poll_output(&mut self) -> Option<ManagerOutput> {
        self.out.pop_front()
    }

    /// Drains every pending output.
    pub fn drain_outputs(&mut self) -> impl Iterator<Item = ManagerOutput> + '_ {
        self.out.drain(..)
    }

    /// Reports feedback for a recently finished (and not running) activity
    /// as routine; `true` if it was that.
    fn late(&mut self, domain: &str, activity_id: &str) -> bool {
        let running = self.activity.as_ref().is_some_and(|a| a.id == activity_id);
        if running || !self.finished.iter().any(|id| id == activity_id) {
            return false;
        }
        self.warn(ManagerWarning::LateFeedback {
            domain: domain.to_owned(),
            activity_id: activity_id.to_owned(),
        });
        true
    }

    fn remember_finished(&mut self, id: String) {
        if self.finished.len() == FINISHED_REMEMBERED {
            self.finished.pop_front();
        }
        self.finished.push_back(id);
    }

    fn warn(&mut self, w: ManagerWarning) {
        self.out.push_back(ManagerOutput::Warning(w));
    }

    pub(crate) fn push_warning(&mut self, w: ManagerWarning) {
        self.warn(w);
    }

    fn advance(&mut self, now: i64) {
        let Some(a) = self.activity.as_mut() else {
            return;
        };
        a.advance(now, &self.config, &mut self.out);
        if a.is_finished() {
            let id = a.id.clone();
            let reboot = a.reboot_needed(&self.config);
            self.activity = None;
            self.remember_finished(id.clone());
            if reboot {
                self.out.push_back(ManagerOutput::Reboot {
                    after: self.config.reboot_after,
                });
            }
            self.current.request(now, &id, &self.config, &mut self.out);
        }
    }

    /// The latest inventory stored per domain.
    pub fn inventories(&self) -> &BTreeMap<String, Inventory> {
        self.current.inventories()
    }
}

/// Reads only the activity id of a message that failed to decode as a whole.
fn activity_id_of(bytes: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct IdOnly {
        #[serde(rename = "activityId", default)]
        activity_id: Option<String>,
    }
    crate::model::from_json_slice::<IdOnly>(bytes)
        .ok()
        .and_then(|i| i.activity_id)
        .unwrap_or_default()
}
