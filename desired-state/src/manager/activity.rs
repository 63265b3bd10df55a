//! One running activity: identification, phases, consent, rollback, cleanup.

use std::collections::VecDeque;

use super::domain_run::{DomainRun, DomainState, Transition, transition};
use super::output::{AgentMessage, CloudMessage, ManagerOutput, ManagerWarning};
use super::{ManagerConfig, go_duration, ms};
use crate::model::{
    Action, Command, CommandKind, DesiredState, Envelope, Feedback, OwnerConsent, Status,
};

/// Where the activity as a whole stands.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Stage {
    /// Waiting for every domain to identify.
    Identifying,
    /// Waiting for the owner before sending the command.
    Consent(CommandKind),
    /// The command went out; waiting for every domain to finish the phase.
    Phase(CommandKind),
    /// Waiting for ROLLBACK results.
    RollingBack,
    /// Waiting for every domain to end (cleanup results).
    Cleanup,
    /// The final feedback was sent.
    Finished,
}

const INCOMPLETE: &str = "the update process is incompleted";

#[derive(Debug)]
pub(crate) struct Activity {
    pub(crate) id: String,
    domains: Vec<DomainRun>,
    stage: Stage,
    /// Deadline of the current wait (phase or consent timeout).
    deadline: i64,
    /// The command whose signal is awaited, for timeout messages.
    awaited: Option<CommandKind>,
    /// A failure was recorded: the end is INCOMPLETE.
    failed: bool,
    /// Message for the final INCOMPLETE, when more specific than the default.
    end_message: Option<String>,
    /// A domain failed and cross-domain rollback is on.
    rollback_pending: bool,
    running_reported: Option<i64>,
    reported_actions: Vec<Action>,
    actions_dirty: bool,
    final_status: Option<Status>,
    /// Kanto's ACTIVATION_* to UPDATE_* rewrite of cloud-facing actions.
    rewrite: bool,
}

fn next_command(c: &CommandKind) -> CommandKind {
    match c {
        CommandKind::Download => CommandKind::Update,
        CommandKind::Update => CommandKind::Activate,
        _ => CommandKind::Cleanup,
    }
}

impl Activity {
    /// Splits the desired state and sends each supported domain its part; an
    /// activity with no supported domain is finished at once.
    pub(crate) fn start(
        now: i64,
        id: String,
        desired: &DesiredState,
        config: &ManagerConfig,
        out: &mut VecDeque<ManagerOutput>,
    ) -> Self {
        let mut a = Self {
            id,
            domains: Vec::new(),
            stage: Stage::Identifying,
            deadline: now.saturating_add(ms(config.phase_timeout)),
            awaited: Some(CommandKind::Download),
            failed: false,
            end_message: None,
            rollback_pending: false,
            running_reported: None,
            reported_actions: Vec::new(),
            actions_dirty: false,
            final_status: None,
            rewrite: config.kanto_action_status_rewrite,
        };
        a.report(now, Feedback::new(Status::Identifying), out);
        for d in &desired.domains {
            if !config.agents.contains_key(&d.id) {
                out.push_back(ManagerOutput::Warning(ManagerWarning::UnsupportedDomain {
                    domain: d.id.clone(),
                }));
                continue;
            }
            let Some(part) = desired.for_domain(&d.id) else {
                continue;
            };
            out.push_back(ManagerOutput::ToAgent {
                domain: d.id.clone(),
                message: AgentMessage::DesiredState(Envelope::new(a.id.clone(), now, part.clone())),
            });
            a.domains.push(DomainRun::new(d.id.clone(), part));
        }
        if a.domains.is_empty() {
            a.finish(
                now,
                Status::Incomplete,
                "the desired state manifest does not contain any supported domain".to_owned(),
                out,
            );
        }
        a
    }

    pub(crate) fn is_finished(&self) -> bool {
        self.stage == Stage::Finished
    }

    pub(crate) fn waiting_for_consent(&self) -> bool {
        matches!(self.stage, Stage::Consent(_))
    }

    pub(crate) fn reboot_needed(&self, config: &ManagerConfig) -> bool {
        config.reboot_enabled
            && self.final_status == Some(Status::Completed)
            && self.domains.iter().any(|d| {
                d.has_actions && config.agents.get(&d.id).is_some_and(|s| s.reboot_required)
            })
    }

    fn report(&mut self, now: i64, feedback: Feedback, out: &mut VecDeque<ManagerOutput>) {
        out.push_back(ManagerOutput::ToCloud(CloudMessage::Feedback(
            Envelope::new(self.id.clone(), now, feedback),
        )));
    }

    fn send(&self, now: i64, domain: &str, kind: CommandKind, out: &mut VecDeque<ManagerOutput>) {
        out.push_back(ManagerOutput::ToAgent {
            domain: domain.to_owned(),
            message: AgentMessage::Command(Envelope::new(self.id.clone(), now, Command::new(kind))),
        });
    }

    /// Decodes the action lists of progress feedback kept as raw bytes.
    fn materialize(&mut self) {
        for d in &mut self.domains {
            d.materialize();
        }
    }

    fn merged_actions(&mut self) -> Vec<Action> {
        self.materialize();
        let mut all = Vec::with_capacity(self.domains.iter().map(|d| d.actions.len()).sum());
        for d in &self.domains {
            for a in &d.actions {
                let mut a = a.clone();
                if self.rewrite {
                    a.status = a
                        .status
                        .map(crate::model::ActionStatus::kanto_cloud_rewrite);
                }
                all.push(a);
            }
        }
        all
    }

    pub(crate) fn on_feedback(
        &mut self,
        now: i64,
        domain: &str,
        feedback: Feedback,
        config: &ManagerConfig,
        out: &mut VecDeque<ManagerOutput>,
    ) {
        let Some(idx) = self.domains.iter().position(|d| d.id == domain) else {
            out.push_back(ManagerOutput::Warning(ManagerWarning::ActivityMismatch {
                what: "feedback",
                activity_id: self.id.clone(),
                running: format!("domain {domain} is not part of this activity"),
            }));
            return;
        };
        let Some(run) = self.domains.get_mut(idx) else {
            return;
        };
        run.materialize();
        if !feedback.actions.is_empty() && run.actions != feedback.actions {
            run.actions = feedback.actions;
            self.actions_dirty = true;
        }
        let Some(status) = feedback.status else {
            return;
        };
        self.apply(now, idx, &status, feedback.message, config, out);
    }

    /// A progress feedback (`DOWNLOADING`, `UPDATING`, …) whose action list
    /// is kept undecoded until a report needs it: chatty agents send one per
    /// action, each with the full list, and only the latest one matters.
    pub(crate) fn on_progress_raw(
        &mut self,
        now: i64,
        domain: &str,
        status: &Status,
        raw: Vec<u8>,
        config: &ManagerConfig,
        out: &mut VecDeque<ManagerOutput>,
    ) {
        let Some(idx) = self.domains.iter().position(|d| d.id == domain) else {
            return self.on_feedback(now, domain, Feedback::new(status.clone()), config, out);
        };
        if let Some(run) = self.domains.get_mut(idx) {
            run.raw = Some(raw);
            self.actions_dirty = true;
        }
        self.apply(now, idx, status, String::new(), config, out);
    }

    fn apply(
        &mut self,
        now: i64,
        idx: usize,
        status: &Status,
        message: String,
        config: &ManagerConfig,
        out: &mut VecDeque<ManagerOutput>,
    ) {
        let Some(run) = self.domains.get_mut(idx) else {
            return;
        };
        let has_actions = run.has_actions || !run.actions.is_empty();
        match transition(run.state, status, has_actions) {
            Transition::To(state) => {
                if run.state == DomainState::Identifying {
                    run.has_actions = has_actions;
                }
                run.state = state;
                if state == (DomainState::Done { ok: false }) {
                    self.failed = true;
                }
                if !message.is_empty() {
                    run.message = message;
                }
            }
            Transition::Failed => {
                run.state = DomainState::CleaningUp;
                run.message = message;
                self.failed = true;
                if config.rollback_on_failure {
                    self.rollback_pending = true;
                }
                let id = run.id.clone();
                self.send(now, &id, CommandKind::Cleanup, out);
            }
            Transition::Ignore => {}
            Transition::OutOfOrder => {
                out.push_back(ManagerOutput::Warning(ManagerWarning::OutOfOrder {
                    domain: run.id.clone(),
                    status: status.as_str().to_owned(),
                    state: run.state.name(),
                }))
            }
        }
    }

    pub(crate) fn on_consent(
        &mut self,
        now: i64,
        approved: bool,
        config: &ManagerConfig,
        out: &mut VecDeque<ManagerOutput>,
    ) {
        let Stage::Consent(cmd) = self.stage.clone() else {
            return;
        };
        if approved {
            self.send_phase(now, cmd, config, out);
        } else {
            self.consent_refused(now, &cmd, config, out);
        }
    }

    fn consent_refused(
        &mut self,
        now: i64,
        cmd: &CommandKind,
        config: &ManagerConfig,
        out: &mut VecDeque<ManagerOutput>,
    ) {
        self.failed = true;
        self.end_message = Some(format!("{INCOMPLETE}: owner approval not granted"));
        if *cmd == CommandKind::Download {
            // As Kanto: nothing was downloaded, so nothing is sent to the agents.
            let msg = self.end_message.clone().unwrap_or_default();
            self.finish(now, Status::Incomplete, msg, out);
        } else {
            self.start_rollback(now, config, out);
        }
    }

    fn start_rollback(
        &mut self,
        now: i64,
        config: &ManagerConfig,
        out: &mut VecDeque<ManagerOutput>,
    ) {
        let targets: Vec<String> = self
            .domains
            .iter_mut()
            .filter(|d| {
                matches!(
                    d.state,
                    DomainState::DownloadSuccess
                        | DomainState::UpdateSuccess
                        | DomainState::ActivationSuccess
                )
            })
            .map(|d| {
                d.state = DomainState::RollbackRequested;
                d.id.clone()
            })
            .collect();
        for t in &targets {
            self.send(now, t, CommandKind::Rollback, out);
        }
        self.stage = Stage::RollingBack;
        self.awaited = Some(CommandKind::Cleanup);
        self.deadline = now.saturating_add(ms(config.phase_timeout));
    }

    /// Sends `cmd` (or asks for consent first) to the domains ready for it.
    fn gate(
        &mut self,
        now: i64,
        cmd: CommandKind,
        config: &ManagerConfig,
        out: &mut VecDeque<ManagerOutput>,
    ) {
        if config.owner_consent_commands.contains(&cmd) {
            let consent = OwnerConsent {
                command: Some(cmd.clone()),
            };
            out.push_back(ManagerOutput::ToCloud(CloudMessage::OwnerConsent(
                Envelope::new(self.id.clone(), now, consent),
            )));
            self.stage = Stage::Consent(cmd);
            self.deadline = now.saturating_add(ms(config.owner_consent_timeout));
        } else {
            self.send_phase(now, cmd, config, out);
        }
    }

    fn send_phase(
        &mut self,
        now: i64,
        cmd: CommandKind,
        config: &ManagerConfig,
        out: &mut VecDeque<ManagerOutput>,
    ) {
        let ready = match cmd {
            CommandKind::Download => DomainState::Identified,
            CommandKind::Update => DomainState::DownloadSuccess,
            _ => DomainState::UpdateSuccess,
        };
        let targets: Vec<String> = self
            .domains
            .iter()
            .filter(|d| d.has_actions && d.state == ready)
            .map(|d| d.id.clone())
            .collect();
        for t in &targets {
            self.send(now, t, cmd.clone(), out);
        }
        self.awaited = Some(next_command(&cmd));
        self.stage = Stage::Phase(cmd);
        self.deadline = now.saturating_add(ms(config.phase_timeout));
    }

    fn send_cleanup(
        &mut self,
        now: i64,
        config: &ManagerConfig,
        out: &mut VecDeque<ManagerOutput>,
    ) {
        let targets: Vec<String> = self
            .domains
            .iter_mut()
            .filter(|d| {
                matches!(
                    d.state,
                    DomainState::ActivationSuccess | DomainState::RollbackSuccess
                )
            })
            .map(|d| {
                d.state = DomainState::CleaningUp;
                d.id.clone()
            })
            .collect();
        for t in &targets {
            self.send(now, t, CommandKind::Cleanup, out);
        }
        self.stage = Stage::Cleanup;
        self.awaited = None;
        self.deadline = now.saturating_add(ms(config.phase_timeout));
    }

    /// Moves the activity on as far as the domains' states allow.
    pub(crate) fn advance(
        &mut self,
        now: i64,
        config: &ManagerConfig,
        out: &mut VecDeque<ManagerOutput>,
    ) {
        loop {
            let before = self.stage.clone();
            match before.clone() {
                Stage::Identifying => self.after_identification(now, config, out),
                Stage::Phase(cmd) => self.after_phase(now, &cmd, config, out),
                Stage::RollingBack => {
                    let busy = self.domains.iter().any(|d| {
                        matches!(
                            d.state,
                            DomainState::RollbackRequested | DomainState::RollingBack
                        )
                    });
                    if !busy {
                        self.send_cleanup(now, config, out);
                    }
                }
                Stage::Cleanup => {
                    if self.domains.iter().all(DomainRun::is_done) {
                        let (status, msg) = if self.failed {
                            (
                                Status::Incomplete,
                                self.end_message
                                    .clone()
                                    .unwrap_or_else(|| INCOMPLETE.to_owned()),
                            )
                        } else {
                            (Status::Completed, String::new())
                        };
                        self.finish(now, status, msg, out);
                    }
                }
                Stage::Consent(_) | Stage::Finished => {}
            }
            if self.stage == before {
                break;
            }
        }
        self.maybe_report_running(now, config, out);
    }

    fn after_identification(
        &mut self,
        now: i64,
        config: &ManagerConfig,
        out: &mut VecDeque<ManagerOutput>,
    ) {
        if self
            .domains
            .iter()
            .any(|d| d.state == DomainState::Identifying)
        {
            return;
        }
        let failures: Vec<String> = self
            .domains
            .iter()
            .filter(|d| d.state == DomainState::IdentificationFailed)
            .map(|d| format!("[{}]: {}", d.id, d.message))
            .collect();
        if !failures.is_empty() {
            // As Kanto: the domains that did identify get no cleanup.
            self.finish(now, Status::IdentificationFailed, failures.join("; "), out);
            return;
        }
        let actions = self.merged_actions();
        self.report(
            now,
            Feedback::new(Status::Identified).with_actions(actions.clone()),
            out,
        );
        if !self.domains.iter().any(|d| d.has_actions) {
            self.finish(now, Status::Completed, String::new(), out);
            return;
        }
        self.report(
            now,
            Feedback::new(Status::Running).with_actions(actions.clone()),
            out,
        );
        self.running_reported = Some(now);
        self.reported_actions = actions;
        self.actions_dirty = false;
        self.gate(now, CommandKind::Download, config, out);
    }

    fn after_phase(
        &mut self,
        now: i64,
        cmd: &CommandKind,
        config: &ManagerConfig,
        out: &mut VecDeque<ManagerOutput>,
    ) {
        let (busy, done): (&[DomainState], DomainState) = match cmd {
            CommandKind::Download => (
                &[DomainState::Identified, DomainState::Downloading],
                DomainState::DownloadSuccess,
            ),
            CommandKind::Update => (
                &[DomainState::DownloadSuccess, DomainState::Updating],
                DomainState::UpdateSuccess,
            ),
            _ => (
                &[DomainState::UpdateSuccess, DomainState::Activating],
                DomainState::ActivationSuccess,
            ),
        };
        if self
            .domains
            .iter()
            .any(|d| d.has_actions && busy.contains(&d.state))
        {
            return;
        }
        if self.rollback_pending {
            self.end_message = Some(format!(
                "{INCOMPLETE}: rolled back after a failure in another domain"
            ));
            self.start_rollback(now, config, out);
            return;
        }
        let next = next_command(cmd);
        if !self.domains.iter().any(|d| d.state == done) {
            // Every domain failed this phase and is cleaning up.
            self.end_message = Some(format!(
                "failed to wait for command '{next}' signal: {INCOMPLETE}"
            ));
            self.stage = Stage::Cleanup;
            self.awaited = None;
            self.deadline = now.saturating_add(ms(config.phase_timeout));
            return;
        }
        if next == CommandKind::Cleanup {
            self.send_cleanup(now, config, out);
        } else {
            self.gate(now, next, config, out);
        }
    }

    fn maybe_report_running(
        &mut self,
        now: i64,
        config: &ManagerConfig,
        out: &mut VecDeque<ManagerOutput>,
    ) {
        let Some(last) = self.running_reported else {
            return;
        };
        if !self.actions_dirty || self.stage == Stage::Finished {
            return;
        }
        if now.saturating_sub(last) < ms(config.report_feedback_interval) {
            return;
        }
        self.actions_dirty = false;
        let actions = self.merged_actions();
        if actions == self.reported_actions {
            return;
        }
        self.report(
            now,
            Feedback::new(Status::Running).with_actions(actions.clone()),
            out,
        );
        self.reported_actions = actions;
        self.running_reported = Some(now);
    }

    /// The time a rate-limited RUNNING report becomes due, if one is pending.
    pub(crate) fn running_due(&self, config: &ManagerConfig) -> Option<i64> {
        match self.running_reported {
            Some(last) if self.actions_dirty && self.stage != Stage::Finished => {
                Some(last.saturating_add(ms(config.report_feedback_interval)))
            }
            _ => None,
        }
    }

    pub(crate) fn deadline(&self) -> Option<i64> {
        (self.stage != Stage::Finished).then_some(self.deadline)
    }

    pub(crate) fn on_timeout(
        &mut self,
        now: i64,
        config: &ManagerConfig,
        out: &mut VecDeque<ManagerOutput>,
    ) {
        if self.stage == Stage::Finished || now < self.deadline {
            return;
        }
        match self.stage.clone() {
            Stage::Consent(cmd) => self.consent_refused(now, &cmd, config, out),
            Stage::Identifying => {
                let msg = format!(
                    "failed to wait for command 'DOWNLOAD' signal: not received in {}",
                    go_duration::format(config.phase_timeout)
                );
                self.finish(now, Status::IdentificationFailed, msg, out);
            }
            _ => {
                let what = match &self.awaited {
                    Some(cmd) => format!("failed to wait for command '{cmd}' signal"),
                    None => "failed to wait for the update process to end".to_owned(),
                };
                let msg = format!(
                    "{what}: not received in {}",
                    go_duration::format(config.phase_timeout)
                );
                self.finish(now, Status::Incomplete, msg, out);
            }
        }
    }

    /// Re-sends what the domains may have missed while the connection (or the
    /// broker) was down: the desired state to domains still identifying, the
    /// current command to domains still in that phase, pending rollbacks and
    /// cleanups, and a pending consent request. Agents answer a repeat with
    /// their last feedback, so nothing runs twice.
    pub(crate) fn resend(&mut self, now: i64, out: &mut VecDeque<ManagerOutput>) {
        use DomainState as D;
        if self.stage == Stage::Finished {
            return;
        }
        let phase = match &self.stage {
            Stage::Phase(cmd) => Some(cmd.clone()),
            _ => None,
        };
        let mut sends: Vec<(String, Option<CommandKind>)> = Vec::new();
        for d in &self.domains {
            let cmd = match (d.state, &phase) {
                (D::Identifying, _) => None,
                (D::Identified | D::Downloading, Some(CommandKind::Download))
                | (D::DownloadSuccess | D::Updating, Some(CommandKind::Update))
                | (D::UpdateSuccess | D::Activating, Some(CommandKind::Activate)) => phase.clone(),
                (D::RollbackRequested | D::RollingBack, _) => Some(CommandKind::Rollback),
                (D::CleaningUp, _) => Some(CommandKind::Cleanup),
                _ => continue,
            };
            sends.push((d.id.clone(), cmd));
        }
        for (domain, cmd) in sends {
            match cmd {
                Some(kind) => self.send(now, &domain, kind, out),
                None => {
                    let part = self
                        .domains
                        .iter()
                        .find(|d| d.id == domain)
                        .map(|d| d.part.clone())
                        .unwrap_or_default();
                    out.push_back(ManagerOutput::ToAgent {
                        domain,
                        message: AgentMessage::DesiredState(Envelope::new(
                            self.id.clone(),
                            now,
                            part,
                        )),
                    });
                }
            }
        }
        if let Stage::Consent(cmd) = &self.stage {
            let consent = OwnerConsent {
                command: Some(cmd.clone()),
            };
            out.push_back(ManagerOutput::ToCloud(CloudMessage::OwnerConsent(
                Envelope::new(self.id.clone(), now, consent),
            )));
        }
    }

    pub(crate) fn finish(
        &mut self,
        now: i64,
        status: Status,
        message: String,
        out: &mut VecDeque<ManagerOutput>,
    ) {
        if self.stage == Stage::Finished {
            return;
        }
        let actions = if status == Status::IdentificationFailed
            && self.domains.iter().all(|d| d.actions.is_empty())
        {
            Vec::new()
        } else {
            self.merged_actions()
        };
        self.report(
            now,
            Feedback::new(status.clone())
                .with_message(message)
                .with_actions(actions),
            out,
        );
        self.final_status = Some(status);
        self.stage = Stage::Finished;
    }
}
