//! The domain update agent role: a [`DomainAgent`] trait for the domain's
//! logic and an [`AgentRuntime`] that drives it from the manager's messages.
//!
//! The runtime owns the protocol: it answers `currentstate/get` with the
//! request's activity id, sends `IDENTIFYING` then `IDENTIFIED` (or
//! `IDENTIFICATION_FAILED`), and for each command one progress status, then
//! `…_SUCCESS` or `…_FAILURE`, with the full action list every time. After
//! `CLEANUP` it adds `COMPLETED` or `INCOMPLETE`. The trait only does the work.

mod containers_config;
mod core;
mod noop;

use std::future::Future;

pub use containers_config::{ConnectionSection, ContainersAgentConfig, UpdateAgentSection};
pub use core::{AgentCore, AgentStep, AgentWarning};
pub use noop::NoopAgent;

use crate::model::{
    Action, ActionStatus, CommandKind, DesiredState, Envelope, Feedback, FeedbackView, Inventory,
    Status,
};
use core::phase_statuses;

/// A failure of the agent's work; the message goes into the feedback.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct AgentError {
    /// Shown to the manager and the cloud.
    pub message: String,
}

impl AgentError {
    /// An error with `message`.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

/// A message the runtime wants published.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum AgentOutput {
    /// `P/desiredstatefeedback`.
    Feedback(Envelope<Feedback>),
    /// `P/currentstate`, retained.
    CurrentState(Envelope<Inventory>),
    /// Something was ignored.
    Warning(AgentWarning),
}

/// Where the runtime sends its messages; the MQTT binding publishes them.
pub trait AgentSink: Send {
    /// Queue `output` for publishing, in order.
    fn send(&mut self, output: AgentOutput);

    /// Queue a feedback given by reference. The default copies it into an
    /// [`AgentOutput::Feedback`]; sinks that encode override it to skip the
    /// copy (chatty agents send the full action list with every progress).
    fn send_feedback(&mut self, feedback: &Envelope<FeedbackView<'_>>) {
        self.send(AgentOutput::Feedback(Envelope {
            activity_id: feedback.activity_id.clone(),
            timestamp: feedback.timestamp,
            payload: feedback.payload.map(|v| v.to_owned_feedback()),
        }));
    }
}

impl AgentSink for Vec<AgentOutput> {
    fn send(&mut self, output: AgentOutput) {
        self.push(output);
    }
}

/// What a phase method can see and report.
pub struct PhaseContext<'a> {
    core: &'a mut AgentCore,
    sink: &'a mut dyn AgentSink,
    clock: &'a (dyn Fn() -> i64 + Send + Sync),
    progress_status: Status,
    baseline: String,
}

impl std::fmt::Debug for PhaseContext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PhaseContext")
            .field("activity_id", &self.core.activity_id())
            .field("progress_status", &self.progress_status)
            .field("baseline", &self.baseline)
            .finish_non_exhaustive()
    }
}

impl PhaseContext<'_> {
    /// The activity id.
    pub fn activity_id(&self) -> &str {
        self.core.activity_id().unwrap_or("")
    }

    /// The baseline the command is for (empty or `*`: the whole domain).
    pub fn baseline(&self) -> &str {
        &self.baseline
    }

    /// The activity's desired state for this domain.
    pub fn desired(&self) -> Option<&DesiredState> {
        self.core.desired()
    }

    /// The actions, as reported so far.
    pub fn actions(&self) -> &[Action] {
        self.core.actions()
    }

    /// Changes one action; `progress` is clamped to 100.
    pub fn set_action(&mut self, index: usize, status: ActionStatus, progress: u8, message: &str) {
        if let Some(a) = self.core.actions_mut().and_then(|v| v.get_mut(index)) {
            a.status = Some(status);
            a.progress = progress.min(100);
            message.clone_into(&mut a.message);
        }
    }

    /// Sends a progress feedback (the phase's `…ING` status) with every action.
    pub fn report_progress(&mut self) {
        let now = (self.clock)();
        self.core.remember(&self.progress_status, "", now);
        self.sink
            .send_feedback(&self.core.feedback_view(now, &self.progress_status, ""));
    }
}

/// A domain's update logic. Each phase method does its work and returns; the
/// runtime reports statuses around it. Phases the domain does not need can
/// return `Ok(())` at once.
///
/// Implement the methods as `async fn`; their futures must be `Send` (the
/// MQTT binding runs the agent in a tokio task). No extra crate is needed.
pub trait DomainAgent: Send {
    /// Works out the actions for `desired` (this domain's part only); ids are
    /// prefixed, `domain:component`. An error answers `IDENTIFICATION_FAILED`.
    fn identify(
        &mut self,
        desired: &DesiredState,
        ctx: &mut PhaseContext<'_>,
    ) -> impl Future<Output = Result<Vec<Action>, AgentError>> + Send;
    /// Fetches what the actions need.
    fn download(
        &mut self,
        ctx: &mut PhaseContext<'_>,
    ) -> impl Future<Output = Result<(), AgentError>> + Send;
    /// Installs.
    fn update(
        &mut self,
        ctx: &mut PhaseContext<'_>,
    ) -> impl Future<Output = Result<(), AgentError>> + Send;
    /// Switches to the new version.
    fn activate(
        &mut self,
        ctx: &mut PhaseContext<'_>,
    ) -> impl Future<Output = Result<(), AgentError>> + Send;
    /// Returns to the previous version (after DOWNLOAD_SUCCESS, UPDATE_SUCCESS
    /// or ACTIVATION_SUCCESS).
    fn rollback(
        &mut self,
        ctx: &mut PhaseContext<'_>,
    ) -> impl Future<Output = Result<(), AgentError>> + Send;
    /// Removes leftovers; runs after success and after any failure.
    fn cleanup(
        &mut self,
        ctx: &mut PhaseContext<'_>,
    ) -> impl Future<Output = Result<(), AgentError>> + Send;
    /// The domain's inventory: an APPLICATION root node with `domain=<domain>`
    /// and the components as `domain:name` nodes.
    fn current_state(&mut self) -> impl Future<Output = Inventory> + Send;
}

/// Drives a [`DomainAgent`] from raw messages. Transport-agnostic: the MQTT
/// binding feeds it, tests feed it directly.
pub struct AgentRuntime<A> {
    core: AgentCore,
    agent: A,
    clock: Box<dyn Fn() -> i64 + Send + Sync>,
}

impl<A> std::fmt::Debug for AgentRuntime<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentRuntime")
            .field("core", &self.core)
            .finish_non_exhaustive()
    }
}

/// Milliseconds since the Unix epoch from the system clock.
pub fn system_clock_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl<A: DomainAgent> AgentRuntime<A> {
    /// A runtime for `agent` in `domain`, on the system clock.
    pub fn new(domain: impl Into<String>, agent: A) -> Self {
        Self::with_clock(domain, agent, Box::new(system_clock_ms))
    }

    /// A runtime with an explicit clock (milliseconds since the epoch).
    pub fn with_clock(
        domain: impl Into<String>,
        agent: A,
        clock: Box<dyn Fn() -> i64 + Send + Sync>,
    ) -> Self {
        Self {
            core: AgentCore::new(domain),
            agent,
            clock,
        }
    }

    /// The protocol state.
    pub fn core(&self) -> &AgentCore {
        &self.core
    }

    /// The agent.
    pub fn agent(&self) -> &A {
        &self.agent
    }

    /// What to publish on connect: the current state, with Kanto's
    /// `initial-current-state-<ms>` activity id.
    pub async fn on_connect(&mut self, sink: &mut dyn AgentSink) {
        let now = (self.clock)();
        let inv = self.agent.current_state().await;
        sink.send(AgentOutput::CurrentState(self.core.current_state(
            &format!("initial-current-state-{now}"),
            now,
            inv,
        )));
        // The last feedback of a running activity may have been lost while
        // the broker was away.
        if let Some(fb) = self.core.last_feedback() {
            sink.send(AgentOutput::Feedback(fb));
        }
    }

    fn feedback(&mut self, sink: &mut dyn AgentSink, status: Status, message: &str) {
        let now = (self.clock)();
        self.core.remember(&status, message, now);
        sink.send_feedback(&self.core.feedback_view(now, &status, message));
    }

    /// Handles one message from the manager.
    pub async fn handle(&mut self, topic: &str, payload: &[u8], sink: &mut dyn AgentSink) {
        match self.core.on_message(topic, payload) {
            AgentStep::Identify { desired, .. } => self.identify(desired, sink).await,
            AgentStep::Run {
                command, baseline, ..
            } => self.run(command, baseline, sink).await,
            AgentStep::ReportCurrentState { activity_id } => {
                let inv = self.agent.current_state().await;
                let now = (self.clock)();
                sink.send(AgentOutput::CurrentState(self.core.current_state(
                    &activity_id,
                    now,
                    inv,
                )));
            }
            AgentStep::Reject {
                activity_id,
                reason,
            } => {
                let fb = Feedback::new(Status::IdentificationFailed).with_message(reason);
                sink.send(AgentOutput::Feedback(Envelope::new(
                    activity_id,
                    (self.clock)(),
                    fb,
                )));
            }
            AgentStep::Repeat(fb) => sink.send(AgentOutput::Feedback(fb)),
            AgentStep::Ignore(w) => sink.send(AgentOutput::Warning(w)),
        }
    }

    async fn identify(&mut self, desired: DesiredState, sink: &mut dyn AgentSink) {
        self.feedback(sink, Status::Identifying, "");
        let mut ctx = PhaseContext {
            core: &mut self.core,
            sink,
            clock: &*self.clock,
            progress_status: Status::Identifying,
            baseline: String::new(),
        };
        let result = self.agent.identify(&desired, &mut ctx).await;
        match result {
            Ok(actions) => {
                let empty = actions.is_empty();
                let count = actions.len();
                self.core.identified(actions);
                self.feedback(sink, Status::Identified, "");
                // Nothing more happens until an update manager sends DOWNLOAD
                // (a surprise for users who publish to the agent's topic
                // directly, eclipse-kanto/kanto#354).
                if !empty {
                    tracing::info!(
                        activity = self.core.activity_id().unwrap_or(""),
                        actions = count,
                        "identified; waiting for the update manager's DOWNLOAD command"
                    );
                }
                if empty {
                    self.feedback(sink, Status::Completed, "");
                    self.core.finish();
                }
            }
            Err(e) => {
                self.feedback(sink, Status::IdentificationFailed, &e.message);
                self.core.finish();
            }
        }
    }

    async fn run(&mut self, command: CommandKind, baseline: String, sink: &mut dyn AgentSink) {
        let Some(st) = phase_statuses(&command) else {
            let w = AgentWarning::ActivityMismatch {
                activity_id: self.core.activity_id().unwrap_or("").to_owned(),
                current: format!("unknown command {command}"),
            };
            sink.send(AgentOutput::Warning(w));
            return;
        };
        if !self.core.knows_baseline(&baseline) {
            self.feedback(sink, st.failure, &format!("Unknown baseline {baseline}"));
            return;
        }
        if let Some(s) = &st.action_progress {
            self.core.set_all_actions(s, None);
        }
        self.feedback(sink, st.progress.clone(), "");
        let done_baseline = baseline.clone();
        let mut ctx = PhaseContext {
            core: &mut self.core,
            sink,
            clock: &*self.clock,
            progress_status: st.progress.clone(),
            baseline,
        };
        let result = match command {
            CommandKind::Download => self.agent.download(&mut ctx).await,
            CommandKind::Update => self.agent.update(&mut ctx).await,
            CommandKind::Activate => self.agent.activate(&mut ctx).await,
            CommandKind::Rollback => self.agent.rollback(&mut ctx).await,
            _ => self.agent.cleanup(&mut ctx).await,
        };
        match result {
            Ok(()) => {
                if let Some(s) = &st.action_success {
                    self.core.set_all_actions(s, None);
                }
                if command == CommandKind::Rollback {
                    self.core.mark_failed();
                }
                self.feedback(sink, st.success, "");
            }
            Err(e) => {
                if let Some(s) = &st.action_failure {
                    self.core.set_all_actions(s, Some(&e.message));
                }
                self.core.mark_failed();
                self.feedback(sink, st.failure, &e.message);
            }
        }
        self.core.mark_done(command.clone(), &done_baseline);
        if command == CommandKind::Cleanup {
            let end = if self.core.has_failed() {
                Status::Incomplete
            } else {
                Status::Completed
            };
            self.feedback(sink, end, "");
            self.core.finish();
        }
    }
}
