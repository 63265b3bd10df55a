//! The server's state (tenants, controllers, catalog, actions), its
//! management operations and the lookups the DDI endpoints share; the
//! endpoints themselves are in `endpoints.rs`, free of HTTP.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::SystemTime;

use axum::http::StatusCode;

use super::action::{Action, ActionId, ActionStatus, ActionType, MaintenanceWindow, StatusEntry};
use super::catalog::{Artifact, Distribution, DistributionId, ModuleId, SoftwareModule};
use super::config::{ArtifactLinks, TenantConfig, format_sleep};
use super::errors::ApiError;

/// A controller (hawkBit's target), as the server holds it.
#[derive(Clone, PartialEq)]
pub struct Controller {
    /// Its id.
    pub id: String,
    /// Its target token, if any.
    pub token: Option<String>,
    /// Attributes set through `configData`.
    pub attributes: BTreeMap<String, String>,
    /// Whether the server asks for attributes (the `configData` link).
    pub request_attributes: bool,
    /// Its actions, oldest first.
    pub actions: Vec<ActionId>,
    /// The action that installed what it runs now.
    pub installed: Option<ActionId>,
    /// Auto-confirmation, when active.
    pub auto_confirm: Option<AutoConfirm>,
    /// Root polls answered (200 or 304).
    pub polls: u64,
    /// Time of the last root poll.
    pub last_poll: Option<SystemTime>,
}

impl std::fmt::Debug for Controller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Controller")
            .field("id", &self.id)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("attributes", &self.attributes)
            .field("request_attributes", &self.request_attributes)
            .field("actions", &self.actions)
            .field("installed", &self.installed)
            .field("auto_confirm", &self.auto_confirm)
            .field("polls", &self.polls)
            .field("last_poll", &self.last_poll)
            .finish()
    }
}

impl Controller {
    pub(crate) fn new(id: &str, token: Option<String>) -> Self {
        Self {
            id: id.to_owned(),
            token,
            attributes: BTreeMap::new(),
            request_attributes: true,
            actions: Vec::new(),
            installed: None,
            auto_confirm: None,
            polls: 0,
            last_poll: None,
        }
    }
}

/// An active auto-confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoConfirm {
    /// `initiator` from the activation body.
    pub initiator: Option<String>,
    /// `remark` from the activation body (hawkBit's fallback text without body).
    pub remark: Option<String>,
    /// Activation time, epoch ms.
    pub activated_at: i64,
}

/// How to assign a distribution to a controller.
#[derive(Debug, Clone)]
pub struct Assignment {
    /// Soft, forced, download-only or time-forced.
    pub action_type: ActionType,
    /// An optional maintenance window.
    pub maintenance: Option<MaintenanceWindow>,
    /// Whether the device must confirm first (user consent flow).
    pub confirmation_required: bool,
}

impl Default for Assignment {
    /// A forced action, no window, no confirmation.
    fn default() -> Self {
        Self {
            action_type: ActionType::Forced,
            maintenance: None,
            confirmation_required: false,
        }
    }
}

impl Assignment {
    /// With this action type.
    pub fn new(action_type: ActionType) -> Self {
        Self {
            action_type,
            ..Self::default()
        }
    }

    /// With a maintenance window.
    pub fn maintenance(mut self, window: MaintenanceWindow) -> Self {
        self.maintenance = Some(window);
        self
    }

    /// Requiring the device's confirmation.
    pub fn confirmation_required(mut self) -> Self {
        self.confirmation_required = true;
        self
    }
}

pub(crate) struct Tenant {
    pub(crate) config: TenantConfig,
    pub(crate) sleep: String,
    pub(crate) controllers: HashMap<String, Controller>,
    /// What only the Management API sees (names, metadata, tags, users).
    pub(crate) mgmt: super::mgmt::MgmtTenant,
}

impl Tenant {
    pub(crate) fn new(config: TenantConfig) -> Self {
        Self {
            sleep: format_sleep(config.polling_time),
            config,
            controllers: HashMap::new(),
            mgmt: super::mgmt::MgmtTenant::default(),
        }
    }
}

/// Where links point.
#[derive(Debug, Clone)]
pub(crate) struct Origins {
    pub(crate) server: String,
    pub(crate) cdn: String,
}

/// Who made a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Caller {
    Target,
    Gateway,
    Certificate,
    Anonymous,
}

#[derive(Default)]
pub(crate) struct Store {
    pub(crate) tenants: HashMap<String, Tenant>,
    pub(crate) modules: Vec<SoftwareModule>,
    pub(crate) distributions: Vec<Distribution>,
    pub(crate) actions: Vec<Action>,
    pub(crate) links: ArtifactLinks,
}

impl Store {
    pub(crate) fn tenant_mut(&mut self, tenant: &str) -> &mut Tenant {
        self.tenants
            .entry(tenant.to_owned())
            .or_insert_with(|| Tenant::new(TenantConfig::default()))
    }

    pub(crate) fn set_tenant(&mut self, tenant: &str, config: TenantConfig) {
        let t = self.tenant_mut(tenant);
        t.sleep = format_sleep(config.polling_time);
        t.config = config;
    }

    pub(crate) fn register(&mut self, tenant: &str, id: &str, token: Option<String>) {
        let t = self.tenant_mut(tenant);
        match t.controllers.get_mut(id) {
            Some(c) => c.token = token,
            None => {
                t.controllers
                    .insert(id.to_owned(), Controller::new(id, token));
            }
        }
    }

    pub(crate) fn controller(&self, tenant: &str, id: &str) -> Option<&Controller> {
        self.tenants.get(tenant)?.controllers.get(id)
    }

    pub(crate) fn controller_mut(&mut self, tenant: &str, id: &str) -> Option<&mut Controller> {
        self.tenants.get_mut(tenant)?.controllers.get_mut(id)
    }

    /// Stores a module built outside the lock, giving it the next id.
    pub(crate) fn add_module(&mut self, mut module: SoftwareModule) -> ModuleId {
        let id = ModuleId(self.modules.len() as u64 + 1);
        module.id = id;
        self.modules.push(module);
        id
    }

    pub(crate) fn register_flag(&mut self, tenant: &str, id: &str) {
        if let Some(c) = self.controller_mut(tenant, id) {
            c.request_attributes = true;
        }
    }

    pub(crate) fn replace_artifact(
        &mut self,
        module: ModuleId,
        artifact: Arc<Artifact>,
    ) -> Result<(), String> {
        let index = usize::try_from(module.0)
            .ok()
            .and_then(|i| i.checked_sub(1))
            .ok_or_else(|| format!("no module {module}"))?;
        let m = self
            .modules
            .get_mut(index)
            .ok_or_else(|| format!("no module {module}"))?;
        let slot = m
            .artifacts
            .iter_mut()
            .find(|a| a.filename == artifact.filename)
            .ok_or_else(|| format!("module {module} has no file {}", artifact.filename))?;
        *slot = artifact;
        Ok(())
    }

    pub(crate) fn module(&self, id: ModuleId) -> Option<&SoftwareModule> {
        self.modules
            .get(usize::try_from(id.0).ok()?.checked_sub(1)?)
    }

    pub(crate) fn create_distribution(
        &mut self,
        name: &str,
        version: &str,
        modules: &[ModuleId],
    ) -> DistributionId {
        let id = DistributionId(self.distributions.len() as u64 + 1);
        self.distributions.push(Distribution {
            id,
            name: name.to_owned(),
            version: version.to_owned(),
            modules: modules.to_vec(),
        });
        id
    }

    pub(crate) fn distribution(&self, id: DistributionId) -> Option<&Distribution> {
        self.distributions
            .get(usize::try_from(id.0).ok()?.checked_sub(1)?)
    }

    pub(crate) fn action(&self, id: ActionId) -> Option<&Action> {
        self.actions
            .get(usize::try_from(id.0).ok()?.checked_sub(1)?)
    }

    pub(crate) fn action_mut(&mut self, id: ActionId) -> Option<&mut Action> {
        self.actions
            .get_mut(usize::try_from(id.0).ok()?.checked_sub(1)?)
    }

    pub(crate) fn assign(
        &mut self,
        tenant: &str,
        controller: &str,
        distribution: DistributionId,
        assignment: &Assignment,
    ) -> Result<ActionId, String> {
        if self.distribution(distribution).is_none() {
            return Err(format!("no distribution {}", distribution.0));
        }
        if self.controller(tenant, controller).is_none() {
            self.register(tenant, controller, None);
        }
        let multi = self.tenant_mut(tenant).config.multi_assignment;
        let id = ActionId(self.actions.len() as u64 + 1);
        let (auto_confirm, older) = {
            let c = self
                .controller(tenant, controller)
                .ok_or("controller vanished")?;
            (c.auto_confirm.clone(), c.actions.clone())
        };
        if !multi {
            for old in older {
                if let Some(a) = self.action_mut(old)
                    && a.active
                    && !a.is_canceling_or_canceled()
                {
                    a.set_status(ActionStatus::Canceling);
                    a.push(StatusEntry::server(
                        ActionStatus::Canceling,
                        "cancel obsolete action due to new update",
                    ));
                }
            }
        }
        let mut action = Action {
            id,
            tenant: tenant.to_owned(),
            controller: controller.to_owned(),
            distribution,
            action_type: assignment.action_type,
            status: ActionStatus::Running,
            active: true,
            maintenance: assignment.maintenance,
            history: Vec::new(),
            revision: 0,
        };
        if assignment.confirmation_required {
            match &auto_confirm {
                Some(ac) => action.push(StatusEntry::server(
                    ActionStatus::Running,
                    &format!(
                        "Assignment automatically confirmed by initiator '{}'.",
                        ac.initiator.as_deref().unwrap_or("")
                    ),
                )),
                None => {
                    action.status = ActionStatus::WaitForConfirmation;
                    action.push(StatusEntry::server(
                        ActionStatus::WaitForConfirmation,
                        "Waiting for the confirmation by the device before processing with the deployment",
                    ));
                }
            }
        } else {
            action.push(StatusEntry::server(
                ActionStatus::Running,
                "Assignment initiated by user 'testkit'",
            ));
        }
        self.actions.push(action);
        if let Some(c) = self.controller_mut(tenant, controller) {
            c.actions.push(id);
        }
        Ok(id)
    }

    pub(crate) fn cancel(&mut self, id: ActionId) -> Result<(), String> {
        let a = self
            .action_mut(id)
            .ok_or_else(|| format!("no action {id}"))?;
        if !a.active {
            return Err(format!("action {id} is closed"));
        }
        if !a.is_canceling_or_canceled() {
            a.set_status(ActionStatus::Canceling);
            a.push(StatusEntry::server(
                ActionStatus::Canceling,
                "manual cancelation requested",
            ));
        }
        Ok(())
    }

    pub(crate) fn authorize(
        &self,
        tenant: &str,
        controller: &str,
        authorization: Option<&str>,
        certificate_cn: Option<&str>,
    ) -> Result<Caller, ApiError> {
        let unauthorized = || ApiError::empty(StatusCode::UNAUTHORIZED);
        let t = self.tenants.get(tenant).ok_or_else(unauthorized)?;
        if let Some(header) = authorization {
            if let Some(token) = header.strip_prefix("TargetToken ") {
                let known = t
                    .controllers
                    .get(controller)
                    .and_then(|c| c.token.as_deref());
                if t.config.target_token && known == Some(token) {
                    return Ok(Caller::Target);
                }
            } else if let Some(token) = header.strip_prefix("GatewayToken ")
                && t.config.gateway_token.as_deref() == Some(token)
            {
                return Ok(Caller::Gateway);
            }
        }
        if t.config.client_certificate && certificate_cn == Some(controller) {
            return Ok(Caller::Certificate);
        }
        if t.config.anonymous {
            Ok(Caller::Anonymous)
        } else {
            Err(unauthorized())
        }
    }

    pub(crate) fn find_or_register(
        &mut self,
        tenant: &str,
        controller: &str,
    ) -> Result<(), ApiError> {
        let t = self
            .tenants
            .get_mut(tenant)
            .ok_or_else(|| ApiError::entity_not_found("Target", controller))?;
        if !t.controllers.contains_key(controller) {
            if !t.config.auto_register {
                return Err(ApiError::entity_not_found("Target", controller));
            }
            t.controllers
                .insert(controller.to_owned(), Controller::new(controller, None));
        }
        Ok(())
    }

    pub(crate) fn find_target(
        &self,
        tenant: &str,
        controller: &str,
    ) -> Result<&Controller, ApiError> {
        self.controller(tenant, controller)
            .ok_or_else(|| ApiError::entity_not_found("Target", controller))
    }

    /// `findActionForTarget`: 404 with a body when unknown or someone else's.
    pub(crate) fn find_action(
        &self,
        tenant: &str,
        controller: &str,
        id: u64,
    ) -> Result<ActionId, ApiError> {
        self.find_target(tenant, controller)?;
        let action = self
            .action(ActionId(id))
            .ok_or_else(|| ApiError::entity_not_found("Action", id))?;
        if action.tenant != tenant || action.controller != controller {
            return Err(ApiError::not_a_valid_action(id, controller));
        }
        Ok(action.id)
    }

    /// The single highest-weight open action (the oldest, all weights equal).
    pub(crate) fn active_action(&self, c: &Controller) -> Option<ActionId> {
        c.actions
            .iter()
            .copied()
            .find(|id| self.action(*id).is_some_and(|a| a.active))
    }

    pub(crate) fn cancel_if_lapsed(&mut self, id: ActionId, now: SystemTime) {
        if let Some(a) = self.action_mut(id)
            && a.active
            && !a.is_canceling_or_canceled()
            && a.maintenance.is_some_and(|w| w.has_lapsed(now))
        {
            a.set_status(ActionStatus::Canceling);
            a.push(StatusEntry::server(
                ActionStatus::Canceling,
                "maintenance window has lapsed, action canceled",
            ));
        }
    }

    pub(crate) fn config(&self, tenant: &str) -> TenantConfig {
        self.tenants
            .get(tenant)
            .map(|t| t.config.clone())
            .unwrap_or_default()
    }

    /// Whether `module` belongs to an open action of the controller or to its
    /// installed one.
    pub(crate) fn module_assigned(&self, c: &Controller, module: ModuleId) -> Option<ActionId> {
        let holds = |id: &ActionId| {
            self.action(*id)
                .and_then(|a| self.distribution(a.distribution))
                .is_some_and(|d| d.modules.contains(&module))
        };
        c.actions
            .iter()
            .filter(|id| self.action(**id).is_some_and(|a| a.active))
            .chain(c.installed.iter())
            .find(|id| holds(id))
            .copied()
    }

    pub(crate) fn set_maintenance(
        &mut self,
        id: ActionId,
        window: Option<MaintenanceWindow>,
    ) -> Result<(), String> {
        let a = self
            .action_mut(id)
            .ok_or_else(|| format!("no action {id}"))?;
        a.maintenance = window;
        a.revision = a.revision.wrapping_add(1);
        Ok(())
    }
}
