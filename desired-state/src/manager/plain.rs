//! Plain-mode wiring: which topics the manager uses and how raw messages map
//! to [`Manager`] calls and [`ManagerOutput`]s to publications.

use super::{AgentMessage, CloudMessage, Manager, ManagerOutput, ManagerWarning};
use crate::model::{Envelope, Inventory, NoPayload, OwnerConsentFeedback};
use crate::publication::Publication;
use crate::topic::{TopicKind, Topics};

/// Default size limit of an incoming desired state (16 MiB).
pub const DEFAULT_MAX_DESIRED_STATE_BYTES: usize = 16 << 20;

impl Manager {
    /// Topics to subscribe to: per agent domain its current state and
    /// feedback; with `northbound`, the plain-mode cloud topics too.
    pub fn subscriptions(&self, northbound: bool) -> Vec<String> {
        let mut subs = Vec::new();
        for domain in self.config().agents.keys() {
            let t = Topics::for_domain(domain);
            subs.extend(t.manager_subscriptions().iter().map(|s| (*s).to_owned()));
        }
        if northbound {
            let t = Topics::for_domain(&self.config().domain);
            subs.push(t.desired_state);
            subs.push(t.command);
            subs.push(t.current_state_get);
            subs.push(t.owner_consent_feedback);
        }
        subs
    }

    /// Handles a raw message on `topic` (agent topics and plain-mode cloud
    /// topics). Messages on topics the manager does not own, and messages that
    /// do not decode, produce a [`ManagerWarning`] instead of vanishing.
    pub fn handle_publish(&mut self, now: i64, topic: &str, payload: &[u8]) {
        let north = Topics::for_domain(&self.config().domain);
        match north.classify(topic) {
            Some(TopicKind::DesiredState) => {
                return self.handle_desired_state_bytes(
                    now,
                    payload,
                    DEFAULT_MAX_DESIRED_STATE_BYTES,
                );
            }
            Some(TopicKind::CurrentStateGet) => {
                return match Envelope::<NoPayload>::from_slice(payload) {
                    Ok(env) => self.handle_current_state_get(now, &env.activity_id),
                    Err(e) => self.undecodable("current-state get", &e),
                };
            }
            Some(TopicKind::OwnerConsentFeedback) => {
                return match Envelope::<OwnerConsentFeedback>::from_slice(payload) {
                    Ok(env) => self.handle_consent_feedback(now, env),
                    Err(e) => self.undecodable("owner consent feedback", &e),
                };
            }
            // Kanto ignores commands to the manager's own domain.
            Some(TopicKind::Command) => return,
            _ => {}
        }
        let domain = self
            .config()
            .agents
            .keys()
            .map(|d| (d.clone(), Topics::for_domain(d).classify(topic)))
            .find(|(_, k)| k.is_some());
        match domain {
            Some((d, Some(TopicKind::Feedback))) => {
                self.handle_agent_feedback_bytes(now, &d, payload);
            }
            Some((d, Some(TopicKind::CurrentState))) => {
                match Envelope::<Inventory>::from_slice(payload) {
                    Ok(env) => self.handle_agent_current_state(now, &d, env),
                    Err(e) => self.undecodable("current state", &e),
                }
            }
            // Our own publications (desired state, commands) come back only
            // if someone subscribed us to them; they need no handling.
            Some(_) => {}
            None => {
                let domain = topic.split('/').next().unwrap_or(topic).to_owned();
                self.push_warning(ManagerWarning::UnknownDomain { domain });
            }
        }
    }

    fn undecodable(&mut self, what: &'static str, e: &crate::model::DecodeError) {
        self.push_warning(ManagerWarning::Undecodable {
            what,
            reason: e.to_string(),
        });
    }
}

impl ManagerOutput {
    /// The plain-mode publication of this output (cloud messages on the
    /// `northbound_domain`'s topics); `None` for reboots and warnings.
    pub fn to_publication(&self, northbound_domain: &str) -> Option<Publication> {
        Some(match self {
            Self::ToAgent { domain, message } => {
                let t = Topics::for_domain(domain);
                match message {
                    AgentMessage::DesiredState(e) => Publication::new(t.desired_state, e.to_vec()),
                    AgentMessage::Command(e) => Publication::new(t.command, e.to_vec()),
                    AgentMessage::CurrentStateGet(e) => {
                        Publication::new(t.current_state_get, e.to_vec())
                    }
                }
            }
            Self::ToCloud(message) => {
                let t = Topics::for_domain(northbound_domain);
                match message {
                    CloudMessage::Feedback(e) => Publication::new(t.feedback, e.to_vec()),
                    CloudMessage::CurrentState(e) => {
                        Publication::retained(t.current_state, e.to_vec())
                    }
                    CloudMessage::OwnerConsent(e) => Publication::new(t.owner_consent, e.to_vec()),
                }
            }
            Self::Reboot { .. } | Self::Warning(_) => return None,
        })
    }
}
