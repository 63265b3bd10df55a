//! The agent's protocol state, without I/O: decides what a message from the
//! update manager asks for and builds the feedback to send back.

use crate::model::{
    Action, ActionStatus, Command, CommandKind, DecodeError, DesiredState, Envelope, Feedback,
    FeedbackView, Inventory, NoPayload, Status,
};
use crate::topic::{TopicKind, Topics};

/// What a message from the manager asks the agent to do.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum AgentStep {
    /// Work out the actions for a new desired state.
    Identify {
        /// The activity.
        activity_id: String,
        /// This domain's part of the desired state.
        desired: DesiredState,
    },
    /// Run a phase of the current activity.
    Run {
        /// The activity.
        activity_id: String,
        /// The command.
        command: CommandKind,
        /// The baseline, empty or `*` for the whole domain.
        baseline: String,
    },
    /// Answer a `currentstate/get` with this activity id.
    ReportCurrentState {
        /// The id to echo.
        activity_id: String,
    },
    /// A repeated message (the manager re-sends after a reconnect): publish
    /// the last feedback of that activity again instead of redoing work.
    Repeat(Envelope<Feedback>),
    /// Refuse a desired state at once with `IDENTIFICATION_FAILED`.
    Reject {
        /// The activity, as far as it could be read.
        activity_id: String,
        /// Why.
        reason: String,
    },
    /// Nothing to do; the reason is worth a log line.
    Ignore(AgentWarning),
}

/// A message the agent ignored, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AgentWarning {
    /// The topic is not one of this domain's agent topics.
    #[error("message on {topic} is not for domain {domain}")]
    WrongTopic {
        /// The topic.
        topic: String,
        /// This agent's domain.
        domain: String,
    },
    /// A command for another activity than the current one.
    #[error("command for activity {activity_id:?} ignored: {current}")]
    ActivityMismatch {
        /// The command's activity.
        activity_id: String,
        /// What is current.
        current: String,
    },
    /// A command message with no command.
    #[error("command message without a command ignored")]
    MissingCommand,
    /// A message that does not decode.
    #[error("undecodable message ignored")]
    Undecodable(#[source] DecodeError),
}

/// The agent's view of the running activity.
#[derive(Debug)]
pub struct AgentCore {
    domain: String,
    topics: Topics,
    activity: Option<AgentActivity>,
    /// The last feedback of the activity that ended most recently.
    finished: Option<Envelope<Feedback>>,
    max_components: usize,
}

#[derive(Debug)]
struct AgentActivity {
    id: String,
    desired: DesiredState,
    actions: Vec<Action>,
    failed: bool,
    /// Commands run so far, with their baseline (`*` written as empty).
    done: Vec<(CommandKind, String)>,
    /// Status, message and time of the latest feedback; the actions are
    /// the current ones, so nothing big is copied per message.
    last: Option<(Status, String, i64)>,
}

impl AgentCore {
    /// A core for `domain`.
    pub fn new(domain: impl Into<String>) -> Self {
        let domain = domain.into();
        Self {
            topics: Topics::for_domain(&domain),
            domain,
            activity: None,
            finished: None,
            max_components: 100_000,
        }
    }

    /// The domain.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The domain's topics.
    pub fn topics(&self) -> &Topics {
        &self.topics
    }

    /// The running activity's id.
    pub fn activity_id(&self) -> Option<&str> {
        self.activity.as_ref().map(|a| a.id.as_str())
    }

    /// The running activity's desired state.
    pub fn desired(&self) -> Option<&DesiredState> {
        self.activity.as_ref().map(|a| &a.desired)
    }

    /// Decides what a message on `topic` asks for.
    pub fn on_message(&mut self, topic: &str, bytes: &[u8]) -> AgentStep {
        match self.topics.classify(topic) {
            Some(TopicKind::DesiredState) => self.on_desired_state(bytes),
            Some(TopicKind::Command) => self.on_command(bytes),
            Some(TopicKind::CurrentStateGet) => match Envelope::<NoPayload>::from_slice(bytes) {
                Ok(env) => AgentStep::ReportCurrentState {
                    activity_id: env.activity_id,
                },
                Err(e) => AgentStep::Ignore(AgentWarning::Undecodable(e)),
            },
            _ => AgentStep::Ignore(AgentWarning::WrongTopic {
                topic: topic.to_owned(),
                domain: self.domain.clone(),
            }),
        }
    }

    fn on_desired_state(&mut self, bytes: &[u8]) -> AgentStep {
        let env = match Envelope::<DesiredState>::from_slice(bytes) {
            Ok(env) => env,
            Err(e) => {
                #[derive(serde::Deserialize)]
                struct IdOnly {
                    #[serde(rename = "activityId", default)]
                    activity_id: Option<String>,
                }
                let activity_id = crate::model::from_json_slice::<IdOnly>(bytes)
                    .ok()
                    .and_then(|i| i.activity_id)
                    .unwrap_or_default();
                return AgentStep::Reject {
                    activity_id,
                    reason: e.to_string(),
                };
            }
        };
        let Some(desired) = env.payload else {
            let reason = DecodeError::MissingPayload {
                what: "DesiredState",
            }
            .to_string();
            return AgentStep::Reject {
                activity_id: env.activity_id,
                reason,
            };
        };
        if let Some(repeat) = self.repeat_for(&env.activity_id, None) {
            return AgentStep::Repeat(repeat);
        }
        if let Err(e) = desired.validate(self.max_components) {
            return AgentStep::Reject {
                activity_id: env.activity_id,
                reason: e.to_string(),
            };
        }
        if desired.domain(&self.domain).is_none() && !desired.domains.is_empty() {
            let reason = format!("the desired state holds no domain {}", self.domain);
            return AgentStep::Reject {
                activity_id: env.activity_id,
                reason,
            };
        }
        self.activity = Some(AgentActivity {
            id: env.activity_id.clone(),
            desired: desired.clone(),
            actions: Vec::new(),
            failed: false,
            done: Vec::new(),
            last: None,
        });
        AgentStep::Identify {
            activity_id: env.activity_id,
            desired,
        }
    }

    /// The feedback to repeat when `activity_id` (and `command`, if any) was
    /// handled already.
    fn repeat_for(
        &self,
        activity_id: &str,
        command: Option<(&CommandKind, &str)>,
    ) -> Option<Envelope<Feedback>> {
        if let Some(a) = &self.activity
            && a.id == activity_id
        {
            let seen = command.is_none_or(|(c, b)| {
                let b = whole_domain(b);
                a.done.iter().any(|(dc, db)| dc == c && db == b)
            });
            return if seen { self.last_feedback() } else { None };
        }
        self.finished
            .as_ref()
            .filter(|f| f.activity_id == activity_id)
            .cloned()
    }

    fn on_command(&mut self, bytes: &[u8]) -> AgentStep {
        let env = match Envelope::<Command>::from_slice(bytes) {
            Ok(env) => env,
            Err(e) => return AgentStep::Ignore(AgentWarning::Undecodable(e)),
        };
        let kind = env
            .payload
            .as_ref()
            .and_then(|c| Some((c.command.as_ref()?, c.baseline.as_str())));
        if let Some(repeat) = self.repeat_for(&env.activity_id, kind) {
            return AgentStep::Repeat(repeat);
        }
        let current = match &self.activity {
            Some(a) if a.id == env.activity_id => None,
            Some(a) => Some(format!("activity {:?} is current", a.id)),
            None => Some("no activity is current".to_owned()),
        };
        if let Some(current) = current {
            return AgentStep::Ignore(AgentWarning::ActivityMismatch {
                activity_id: env.activity_id,
                current,
            });
        }
        let Some(Command {
            command: Some(command),
            baseline,
        }) = env.payload
        else {
            return AgentStep::Ignore(AgentWarning::MissingCommand);
        };
        AgentStep::Run {
            activity_id: env.activity_id,
            command,
            baseline,
        }
    }

    /// Records the identified actions (an action without a status becomes `IDENTIFIED`).
    pub fn identified(&mut self, mut actions: Vec<Action>) {
        for a in &mut actions {
            if a.status.is_none() {
                a.status = Some(ActionStatus::Identified);
            }
        }
        if let Some(act) = self.activity.as_mut() {
            act.actions = actions;
        }
    }

    /// The current action list.
    pub fn actions(&self) -> &[Action] {
        self.activity.as_ref().map_or(&[], |a| a.actions.as_slice())
    }

    /// The current action list, for changes by the agent.
    pub fn actions_mut(&mut self) -> Option<&mut Vec<Action>> {
        self.activity.as_mut().map(|a| &mut a.actions)
    }

    /// Moves every action that has not failed to `status`.
    pub fn set_all_actions(&mut self, status: &ActionStatus, message: Option<&str>) {
        if let Some(act) = self.activity.as_mut() {
            for a in &mut act.actions {
                if !a.status.as_ref().is_some_and(is_failure) {
                    a.status = Some(status.clone());
                    a.progress = 0;
                    if let Some(m) = message {
                        m.clone_into(&mut a.message);
                    }
                }
            }
        }
    }

    /// Marks the activity as failed (the end is then INCOMPLETE).
    pub fn mark_failed(&mut self) {
        if let Some(a) = self.activity.as_mut() {
            a.failed = true;
        }
    }

    /// Whether a phase failed or was rolled back.
    pub fn has_failed(&self) -> bool {
        self.activity.as_ref().is_some_and(|a| a.failed)
    }

    /// Ends the activity, remembering its last feedback for repeats.
    pub fn finish(&mut self) {
        self.finished = self.last_feedback();
        self.activity = None;
    }

    /// Records that `command` ran, so a repeated command is answered with
    /// the last feedback instead of running again.
    pub fn mark_done(&mut self, command: CommandKind, baseline: &str) {
        if let Some(a) = self.activity.as_mut() {
            a.done.push((command, whole_domain(baseline).to_owned()));
        }
    }

    /// Remembers the latest feedback sent for the current activity.
    pub fn remember(&mut self, status: &Status, message: &str, timestamp: i64) {
        if let Some(a) = self.activity.as_mut() {
            a.last = Some((status.clone(), message.to_owned(), timestamp));
        }
    }

    /// The latest feedback of the current activity (re-sent after a reconnect).
    pub fn last_feedback(&self) -> Option<Envelope<Feedback>> {
        let a = self.activity.as_ref()?;
        let (status, message, timestamp) = a.last.clone()?;
        Some(self.feedback(timestamp, status, &message))
    }

    /// Whether `baseline` is known: empty, `*`, a baseline title of the desired
    /// state, or `<domain>:<component>` of one of its components.
    pub fn knows_baseline(&self, baseline: &str) -> bool {
        if baseline.is_empty() || baseline == "*" {
            return true;
        }
        let Some(d) = self.desired() else {
            return false;
        };
        d.baselines.iter().any(|b| b.title == baseline)
            || baseline
                .strip_prefix(self.domain.as_str())
                .and_then(|r| r.strip_prefix(':'))
                .is_some_and(|c| {
                    d.domain(&self.domain)
                        .is_some_and(|dom| dom.components.iter().any(|x| x.id == c))
                })
    }

    /// A feedback for the current activity with the full action list.
    /// A borrowed feedback for the current activity, for encoding without
    /// copying the action list.
    pub fn feedback_view<'a>(
        &'a self,
        now: i64,
        status: &'a Status,
        message: &'a str,
    ) -> Envelope<FeedbackView<'a>> {
        let (id, actions) = match &self.activity {
            Some(a) => (a.id.as_str(), a.actions.as_slice()),
            None => ("", &[][..]),
        };
        Envelope::new(
            id,
            now,
            FeedbackView {
                baseline: "",
                status: Some(status),
                message,
                actions,
            },
        )
    }

    /// A feedback for the current activity with the full action list.
    pub fn feedback(&self, now: i64, status: Status, message: &str) -> Envelope<Feedback> {
        let (id, actions) = match &self.activity {
            Some(a) => (a.id.clone(), a.actions.clone()),
            None => (String::new(), Vec::new()),
        };
        Envelope::new(
            id,
            now,
            Feedback::new(status)
                .with_message(message)
                .with_actions(actions),
        )
    }

    /// The current-state message.
    pub fn current_state(
        &self,
        activity_id: &str,
        now: i64,
        inventory: Inventory,
    ) -> Envelope<Inventory> {
        Envelope::new(activity_id, now, inventory)
    }
}

/// `*` and the empty baseline both mean the whole domain.
fn whole_domain(baseline: &str) -> &str {
    if baseline == "*" { "" } else { baseline }
}

fn is_failure(s: &ActionStatus) -> bool {
    matches!(
        s,
        ActionStatus::DownloadFailure
            | ActionStatus::UpdateFailure
            | ActionStatus::ActivationFailure
            | ActionStatus::RemovalFailure
    )
}

/// The statuses of a phase: domain progress, success, failure; and the
/// action statuses for progress, success and failure.
pub(crate) struct PhaseStatuses {
    pub(crate) progress: Status,
    pub(crate) success: Status,
    pub(crate) failure: Status,
    pub(crate) action_progress: Option<ActionStatus>,
    pub(crate) action_success: Option<ActionStatus>,
    pub(crate) action_failure: Option<ActionStatus>,
}

pub(crate) fn phase_statuses(cmd: &CommandKind) -> Option<PhaseStatuses> {
    use ActionStatus as A;
    Some(match cmd {
        CommandKind::Download => PhaseStatuses {
            progress: Status::Downloading,
            success: Status::DownloadSuccess,
            failure: Status::DownloadFailure,
            action_progress: Some(A::Downloading),
            action_success: Some(A::DownloadSuccess),
            action_failure: Some(A::DownloadFailure),
        },
        CommandKind::Update => PhaseStatuses {
            progress: Status::Updating,
            success: Status::UpdateSuccess,
            failure: Status::UpdateFailure,
            action_progress: Some(A::Updating),
            action_success: Some(A::UpdateSuccess),
            action_failure: Some(A::UpdateFailure),
        },
        CommandKind::Activate => PhaseStatuses {
            progress: Status::Activating,
            success: Status::ActivationSuccess,
            failure: Status::ActivationFailure,
            action_progress: Some(A::Activating),
            action_success: Some(A::ActivationSuccess),
            action_failure: Some(A::ActivationFailure),
        },
        CommandKind::Rollback => PhaseStatuses {
            progress: Status::Rollback,
            success: Status::RollbackSuccess,
            failure: Status::RollbackFailure,
            action_progress: None,
            action_success: None,
            action_failure: None,
        },
        CommandKind::Cleanup => PhaseStatuses {
            progress: Status::Cleanup,
            success: Status::CleanupSuccess,
            failure: Status::CleanupFailure,
            action_progress: None,
            action_success: None,
            action_failure: None,
        },
        CommandKind::Other(_) => return None,
    })
}
