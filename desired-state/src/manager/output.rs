//! What the update manager core asks its driver to do.

use std::time::Duration;

use crate::model::{
    Command, DesiredState, Envelope, Feedback, Inventory, NoPayload, OwnerConsent, Status,
};

/// One thing for the driver to do, from [`super::Manager::poll_output`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ManagerOutput {
    /// Publish to an agent's topics.
    ToAgent {
        /// The agent's domain.
        domain: String,
        /// The message.
        message: AgentMessage,
    },
    /// Publish northbound (plain topics or the Ditto feature).
    ToCloud(CloudMessage),
    /// The activity completed and a domain needs a reboot.
    Reboot {
        /// Wait this long first.
        after: Duration,
    },
    /// Something was ignored or refused; log it (Kanto drops these silently).
    Warning(ManagerWarning),
}

/// A message for an agent.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum AgentMessage {
    /// `P/desiredstate`.
    DesiredState(Envelope<DesiredState>),
    /// `P/desiredstate/command`.
    Command(Envelope<Command>),
    /// `P/currentstate/get`.
    CurrentStateGet(Envelope<NoPayload>),
}

/// A message for the cloud side.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum CloudMessage {
    /// Desired-state feedback.
    Feedback(Envelope<Feedback>),
    /// The aggregated inventory (retained in plain mode).
    CurrentState(Envelope<Inventory>),
    /// An owner-consent request.
    OwnerConsent(Envelope<OwnerConsent>),
}

impl CloudMessage {
    /// The feedback status, if this is a feedback.
    pub fn status(&self) -> Option<&Status> {
        match self {
            Self::Feedback(env) => env.payload.as_ref().and_then(|f| f.status.as_ref()),
            _ => None,
        }
    }
}

/// Input the manager ignored or refused, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ManagerWarning {
    /// A message from a domain that has no configured agent.
    #[error("message from domain {domain}, which has no configured agent")]
    UnknownDomain {
        /// The domain.
        domain: String,
    },
    /// A desired state names a domain without an agent; that part is dropped.
    #[error("desired state domain {domain} has no configured agent and is dropped")]
    UnsupportedDomain {
        /// The domain.
        domain: String,
    },
    /// Feedback or consent for an activity that is not running.
    #[error("{what} for activity {activity_id:?} ignored: {running}")]
    ActivityMismatch {
        /// Message kind.
        what: &'static str,
        /// Its activity id.
        activity_id: String,
        /// What is running instead.
        running: String,
    },
    /// Feedback for an activity that has just ended: agents finishing their
    /// last reports, normal and harmless. Logged at debug level by the MQTT
    /// binding; see [`ManagerWarning::is_routine`].
    #[error("late feedback from domain {domain} for finished activity {activity_id:?} ignored")]
    LateFeedback {
        /// The domain.
        domain: String,
        /// The finished activity.
        activity_id: String,
    },
    /// A status that does not fit the domain's state.
    #[error("status {status} from domain {domain} ignored in state {state}")]
    OutOfOrder {
        /// The domain.
        domain: String,
        /// The status received.
        status: String,
        /// The domain's state.
        state: &'static str,
    },
    /// A current-state report older than the one already stored.
    #[error("stale current state from domain {domain} dropped")]
    StaleCurrentState {
        /// The domain.
        domain: String,
    },
    /// A desired state that decodes but looks like a common mistake.
    #[error("desired state {activity_id:?} looks wrong: {hint}")]
    Suspicious {
        /// The activity.
        activity_id: String,
        /// What looks wrong and what is expected instead.
        hint: &'static str,
    },
    /// A message that could not be decoded.
    #[error("undecodable {what} message ignored: {reason}")]
    Undecodable {
        /// Message kind.
        what: &'static str,
        /// The decoder's explanation.
        reason: String,
    },
}

impl ManagerWarning {
    /// Whether this is an expected part of normal operation (late feedback
    /// of a finished activity) rather than a sign of a misconfigured or
    /// misbehaving peer.
    pub fn is_routine(&self) -> bool {
        matches!(self, Self::LateFeedback { .. })
    }
}
