//! A domain agent that changes nothing, for demos, tests and benchmarks.

use super::{AgentError, DomainAgent, PhaseContext};
use crate::model::{
    Action, ActionStatus, Association, CommandKind, Component, ComponentRef, DesiredState,
    Inventory, SoftwareNode, SoftwareType,
};

/// A [`DomainAgent`] that identifies one action per component and succeeds
/// every phase at once, remembering the components it "activated".
#[derive(Debug, Clone)]
pub struct NoopAgent {
    domain: String,
    chatty: bool,
    fail: Option<CommandKind>,
    pending: Vec<Component>,
    installed: Vec<Component>,
}

impl NoopAgent {
    /// An agent for `domain`.
    pub fn new(domain: impl Into<String>) -> Self {
        Self {
            domain: domain.into(),
            chatty: false,
            fail: None,
            pending: Vec::new(),
            installed: Vec::new(),
        }
    }

    /// Sends a progress feedback per action in every phase, as chatty real
    /// agents do.
    #[must_use]
    pub fn chatty(mut self, chatty: bool) -> Self {
        self.chatty = chatty;
        self
    }

    /// Fails the given phase with the message `simulated failure`.
    #[must_use]
    pub fn failing(mut self, phase: CommandKind) -> Self {
        self.fail = Some(phase);
        self
    }

    /// The components activated so far.
    pub fn installed(&self) -> &[Component] {
        &self.installed
    }

    fn phase(
        &self,
        kind: &CommandKind,
        progress: ActionStatus,
        ctx: &mut PhaseContext<'_>,
    ) -> Result<(), AgentError> {
        if self.fail.as_ref() == Some(kind) {
            return Err(AgentError::new("simulated failure"));
        }
        if self.chatty {
            for i in 0..ctx.actions().len() {
                ctx.set_action(i, progress.clone(), 100, "");
                ctx.report_progress();
            }
        }
        Ok(())
    }
}

impl DomainAgent for NoopAgent {
    async fn identify(
        &mut self,
        desired: &DesiredState,
        _ctx: &mut PhaseContext<'_>,
    ) -> Result<Vec<Action>, AgentError> {
        let components = desired
            .domain(&self.domain)
            .map(|d| d.components.clone())
            .unwrap_or_default();
        let actions = components
            .iter()
            .map(|c| {
                Action::new(
                    ComponentRef::new(format!("{}:{}", self.domain, c.id), c.version.clone()),
                    ActionStatus::Identified,
                )
                .with_message("Component will be installed.")
            })
            .collect();
        self.pending = components;
        Ok(actions)
    }

    async fn download(&mut self, ctx: &mut PhaseContext<'_>) -> Result<(), AgentError> {
        self.phase(&CommandKind::Download, ActionStatus::Downloading, ctx)
    }

    async fn update(&mut self, ctx: &mut PhaseContext<'_>) -> Result<(), AgentError> {
        self.phase(&CommandKind::Update, ActionStatus::Updating, ctx)
    }

    async fn activate(&mut self, ctx: &mut PhaseContext<'_>) -> Result<(), AgentError> {
        self.phase(&CommandKind::Activate, ActionStatus::Activating, ctx)?;
        self.installed = std::mem::take(&mut self.pending);
        Ok(())
    }

    async fn rollback(&mut self, _ctx: &mut PhaseContext<'_>) -> Result<(), AgentError> {
        self.pending.clear();
        Ok(())
    }

    async fn cleanup(&mut self, _ctx: &mut PhaseContext<'_>) -> Result<(), AgentError> {
        self.pending.clear();
        Ok(())
    }

    async fn current_state(&mut self) -> Inventory {
        let root = format!("{}-update-agent", self.domain);
        let mut inv = Inventory::default();
        inv.software_nodes.push(SoftwareNode::agent_root(
            root.clone(),
            "No-op Update Agent",
            env!("CARGO_PKG_VERSION"),
            &self.domain,
        ));
        for c in &self.installed {
            let id = format!("{}:{}", self.domain, c.id);
            inv.software_nodes.push(SoftwareNode {
                id: id.clone(),
                version: c.version.clone(),
                kind: Some(SoftwareType::Application),
                ..SoftwareNode::default()
            });
            inv.associations.push(Association::new(root.clone(), id));
        }
        inv
    }
}
