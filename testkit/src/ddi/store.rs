//! The server's state and the DDI operations on it, free of HTTP: each
//! operation takes the parsed request and returns a document or an error.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::SystemTime;

use axum::http::StatusCode;

use super::action::{Action, ActionId, ActionStatus, ActionType, MaintenanceWindow, StatusEntry};
use super::catalog::{Artifact, Distribution, DistributionId, ModuleId, SoftwareModule};
use super::config::{ArtifactLinks, LinkOrigin, TenantConfig, format_sleep};
use super::documents::{
    ActionHistory, ArtifactDoc, AutoConfirmDoc, Cancel, Chunk, Config, ConfirmationBase,
    ConfirmationBaseAction, ControllerBase, Deployment, DeploymentBase, Hashes, Links, Metadata,
    Polling, StopId,
};
use super::errors::ApiError;
use super::feedback::{self, Activation, Attributes, ConfigMode, ParsedFeedback};
use super::route::encode;

const FALLBACK_REMARK: &str =
    "Initiated using the Device Direct Integration API without providing a remark.";

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
    fn new(id: &str, token: Option<String>) -> Self {
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
    sleep: String,
    pub(crate) controllers: HashMap<String, Controller>,
}

impl Tenant {
    pub(crate) fn new(config: TenantConfig) -> Self {
        Self {
            sleep: format_sleep(config.polling_time),
            config,
            controllers: HashMap::new(),
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
    Anonymous,
}

#[derive(Default)]
pub(crate) struct Store {
    pub(crate) tenants: HashMap<String, Tenant>,
    modules: Vec<SoftwareModule>,
    distributions: Vec<Distribution>,
    actions: Vec<Action>,
    pub(crate) links: ArtifactLinks,
}

fn now_ms(now: SystemTime) -> i64 {
    now.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Store {
    // ----- management side (the Rust API) -----

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

    fn controller_mut(&mut self, tenant: &str, id: &str) -> Option<&mut Controller> {
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

    // ----- device side (the DDI endpoints) -----

    pub(crate) fn authorize(
        &self,
        tenant: &str,
        controller: &str,
        authorization: Option<&str>,
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
        if t.config.anonymous {
            Ok(Caller::Anonymous)
        } else {
            Err(unauthorized())
        }
    }

    fn base_href(origins: &Origins, tenant: &str, controller: &str) -> String {
        format!(
            "{}/{}/controller/v1/{}",
            origins.server,
            encode(tenant),
            encode(controller)
        )
    }

    fn find_or_register(&mut self, tenant: &str, controller: &str) -> Result<(), ApiError> {
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

    fn find_target(&self, tenant: &str, controller: &str) -> Result<&Controller, ApiError> {
        self.controller(tenant, controller)
            .ok_or_else(|| ApiError::entity_not_found("Target", controller))
    }

    /// `findActionForTarget`: 404 with a body when unknown or someone else's.
    fn find_action(&self, tenant: &str, controller: &str, id: u64) -> Result<ActionId, ApiError> {
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
    fn active_action(&self, c: &Controller) -> Option<ActionId> {
        c.actions
            .iter()
            .copied()
            .find(|id| self.action(*id).is_some_and(|a| a.active))
    }

    fn cancel_if_lapsed(&mut self, id: ActionId, now: SystemTime) {
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

    pub(crate) fn poll(
        &mut self,
        origins: &Origins,
        tenant: &str,
        controller: &str,
        now: SystemTime,
    ) -> Result<ControllerBase, ApiError> {
        self.find_or_register(tenant, controller)?;
        let active = {
            let c = self.find_target(tenant, controller)?;
            self.active_action(c)
        };
        if let Some(id) = active {
            self.cancel_if_lapsed(id, now);
        }
        let t = self
            .tenants
            .get(tenant)
            .ok_or_else(|| ApiError::entity_not_found("Target", controller))?;
        let c = t
            .controllers
            .get(controller)
            .ok_or_else(|| ApiError::entity_not_found("Target", controller))?;
        let mut sleep = None;
        let mut links = Links::default();
        let base = Self::base_href(origins, tenant, controller);
        if let Some(a) = active.and_then(|id| self.action(id)) {
            if a.is_waiting_confirmation() {
                links.add(
                    "confirmationBase",
                    format!("{base}/confirmationBase/{}?c={}", a.id, a.cache_buster()),
                );
            } else if a.is_canceling_or_canceled() {
                links.add("cancelAction", format!("{base}/cancelAction/{}", a.id));
            } else {
                links.add(
                    "deploymentBase",
                    format!("{base}/deploymentBase/{}?c={}", a.id, a.cache_buster()),
                );
            }
            if let Some(until) = a.maintenance.and_then(|w| w.until_open(now)) {
                let step = until / t.config.maintenance_window_poll_count.max(1);
                sleep = Some(format_sleep(step.clamp(
                    t.config.min_polling_time,
                    t.config.polling_time.max(t.config.min_polling_time),
                )));
            }
        }
        if let Some(installed) = c.installed.and_then(|id| self.action(id))
            && !installed.active
        {
            links.add(
                "installedBase",
                format!("{base}/installedBase/{}", installed.id),
            );
        }
        if c.request_attributes {
            links.add("configData", format!("{base}/configData"));
        }
        let doc = ControllerBase {
            config: Config {
                polling: Polling {
                    sleep: sleep.unwrap_or_else(|| t.sleep.clone()),
                },
            },
            links,
        };
        if let Some(c) = self.controller_mut(tenant, controller) {
            c.polls += 1;
            c.last_poll = Some(now);
        }
        Ok(doc)
    }

    fn deployment(&self, origins: &Origins, a: &Action, now: SystemTime) -> Deployment {
        let chunks = self
            .distribution(a.distribution)
            .map(|d| {
                d.modules
                    .iter()
                    .filter_map(|m| self.module(*m))
                    .map(|m| Chunk {
                        part: m.part.clone(),
                        version: m.version.clone(),
                        name: m.name.clone(),
                        encrypted: m.encrypted.then_some(true),
                        artifacts: m
                            .artifacts
                            .iter()
                            .map(|art| {
                                self.artifact_doc(origins, &a.tenant, &a.controller, m.id, art)
                            })
                            .collect(),
                        metadata: (!m.metadata.is_empty()).then(|| {
                            m.metadata
                                .iter()
                                .map(|(k, v)| Metadata {
                                    key: k.clone(),
                                    value: v.clone(),
                                })
                                .collect()
                        }),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Deployment {
            download: a.download_type(now),
            update: a.update_type(now),
            maintenance_window: a.maintenance_status(now),
            chunks,
        }
    }

    pub(crate) fn artifact_href(
        &self,
        origins: &Origins,
        origin: LinkOrigin,
        tenant: &str,
        controller: &str,
        module: ModuleId,
        filename: &str,
    ) -> String {
        match origin {
            LinkOrigin::Server => format!(
                "{}/softwaremodules/{module}/artifacts/{}",
                Self::base_href(origins, tenant, controller),
                encode(filename)
            ),
            LinkOrigin::Cdn => format!(
                "{}/cdn/{}/{module}/{}",
                origins.cdn,
                encode(tenant),
                encode(filename)
            ),
        }
    }

    fn artifact_doc(
        &self,
        origins: &Origins,
        tenant: &str,
        controller: &str,
        module: ModuleId,
        art: &Artifact,
    ) -> ArtifactDoc {
        let href = self.artifact_href(
            origins,
            self.links.origin,
            tenant,
            controller,
            module,
            &art.filename,
        );
        let mut links = Links::default();
        for (download, md5) in &self.links.rels {
            links.add(download.clone(), href.clone());
            links.add(md5.clone(), format!("{href}.MD5SUM"));
        }
        ArtifactDoc {
            filename: art.filename.clone(),
            hashes: Hashes {
                sha1: art.announced.sha1.clone(),
                md5: art.announced.md5.clone(),
                sha256: art.announce_sha256.then(|| art.announced.sha256.clone()),
            },
            size: art.size(),
            links,
        }
    }

    fn history(a: &Action, requested: i64) -> Option<ActionHistory> {
        let messages = a.history_messages(requested);
        (!messages.is_empty()).then(|| ActionHistory {
            status: a.status.as_str(),
            messages,
        })
    }

    pub(crate) fn deployment_base(
        &mut self,
        origins: &Origins,
        tenant: &str,
        controller: &str,
        id: u64,
        history: i64,
        now: SystemTime,
    ) -> Result<DeploymentBase, ApiError> {
        let id = self.find_action(tenant, controller, id)?;
        self.cancel_if_lapsed(id, now);
        let a = self
            .action(id)
            .ok_or_else(|| ApiError::entity_not_found("Action", id))?;
        if a.is_canceling_or_canceled() || a.is_waiting_confirmation() {
            return Err(ApiError::empty(StatusCode::NOT_FOUND));
        }
        let doc = DeploymentBase {
            id: a.id.to_string(),
            deployment: self.deployment(origins, a, now),
            action_history: Self::history(a, history),
        };
        if let Some(a) = self.action_mut(id)
            && a.history
                .last()
                .is_none_or(|e| e.status != ActionStatus::Retrieved)
        {
            a.history.push(StatusEntry::server(
                ActionStatus::Retrieved,
                "Target retrieved update action and should start now the download.",
            ));
        }
        Ok(doc)
    }

    fn check_quota(t: &TenantConfig, a: &Action, entry: &StatusEntry) -> Result<(), ApiError> {
        if entry.messages.len() > t.max_messages_per_status {
            return Err(ApiError::quota(format!(
                "Quota exceeded: Cannot assign {} more Message entities to ActionStatus. The maximum is {}.",
                entry.messages.len(),
                t.max_messages_per_status
            )));
        }
        let is_final = matches!(entry.status, ActionStatus::Finished | ActionStatus::Error);
        if !is_final && a.history.len() >= t.max_status_entries_per_action {
            return Err(ApiError::quota(format!(
                "Quota exceeded: Cannot assign 1 more ActionStatus entities to Action '{}'. The maximum is {}.",
                a.id, t.max_status_entries_per_action
            )));
        }
        Ok(())
    }

    fn config(&self, tenant: &str) -> TenantConfig {
        self.tenants
            .get(tenant)
            .map(|t| t.config.clone())
            .unwrap_or_default()
    }

    pub(crate) fn deployment_feedback(
        &mut self,
        tenant: &str,
        controller: &str,
        id: u64,
        fb: ParsedFeedback,
    ) -> Result<(), ApiError> {
        let id = self.find_action(tenant, controller, id)?;
        let config = self.config(tenant);
        let a = self
            .action(id)
            .ok_or_else(|| ApiError::entity_not_found("Action", id))?;
        if a.is_waiting_confirmation() {
            return Err(ApiError::empty(StatusCode::NOT_FOUND));
        }
        if !a.active {
            return Err(ApiError::empty(StatusCode::GONE));
        }
        let entry = feedback::deployment_entry(fb);
        Self::check_quota(&config, a, &entry)?;
        let status = entry.status;
        let download_only = a.action_type == ActionType::DownloadOnly;
        let a = self
            .action_mut(id)
            .ok_or_else(|| ApiError::entity_not_found("Action", id))?;
        a.push(entry);
        a.set_status(status);
        let mut installed = false;
        match status {
            ActionStatus::Error => a.active = false,
            ActionStatus::Finished => {
                a.active = false;
                installed = true;
            }
            ActionStatus::Downloaded if download_only => a.active = false,
            _ => {}
        }
        if installed && let Some(c) = self.controller_mut(tenant, controller) {
            c.installed = Some(id);
            c.request_attributes = true;
        }
        Ok(())
    }

    pub(crate) fn cancel_action(
        &mut self,
        tenant: &str,
        controller: &str,
        id: u64,
    ) -> Result<Cancel, ApiError> {
        let id = self.find_action(tenant, controller, id)?;
        let a = self
            .action_mut(id)
            .ok_or_else(|| ApiError::entity_not_found("Action", id))?;
        if !a.is_canceling_or_canceled() {
            return Err(ApiError::empty(StatusCode::NOT_FOUND));
        }
        if a.history
            .last()
            .is_none_or(|e| e.status != ActionStatus::Retrieved)
        {
            a.history.push(StatusEntry::server(
                ActionStatus::Retrieved,
                "Target retrieved cancel action and should start now the cancellation.",
            ));
        }
        Ok(Cancel {
            id: id.to_string(),
            cancel_action: StopId {
                stop_id: id.to_string(),
            },
        })
    }

    pub(crate) fn cancel_feedback(
        &mut self,
        tenant: &str,
        controller: &str,
        id: u64,
        fb: ParsedFeedback,
    ) -> Result<(), ApiError> {
        let id = self.find_action(tenant, controller, id)?;
        let config = self.config(tenant);
        let a = self
            .action(id)
            .ok_or_else(|| ApiError::entity_not_found("Action", id))?;
        if !a.is_canceling_or_canceled() {
            return Err(ApiError::cancel_not_allowed(id.0));
        }
        let entry = feedback::cancel_entry(fb);
        Self::check_quota(&config, a, &entry)?;
        let status = entry.status;
        let a = self
            .action_mut(id)
            .ok_or_else(|| ApiError::entity_not_found("Action", id))?;
        a.push(entry);
        match status {
            ActionStatus::Canceled | ActionStatus::Finished => {
                a.active = false;
                a.set_status(ActionStatus::Canceled);
            }
            // the device refused or failed to cancel: back to running
            ActionStatus::Error | ActionStatus::CancelRejected => {
                a.set_status(ActionStatus::Running)
            }
            _ => {}
        }
        Ok(())
    }

    pub(crate) fn config_data(
        &mut self,
        tenant: &str,
        controller: &str,
        mode: ConfigMode,
        data: Attributes,
    ) -> Result<(), ApiError> {
        let max = self.config(tenant).max_attributes;
        let c = self
            .controller_mut(tenant, controller)
            .ok_or_else(|| ApiError::entity_not_found("Target", controller))?;
        let mut attributes = c.attributes.clone();
        match mode {
            ConfigMode::Merge => {
                for (k, v) in data {
                    match v {
                        Some(v) => attributes.insert(k, v),
                        None => attributes.remove(&k),
                    };
                }
            }
            ConfigMode::Replace => {
                attributes = data
                    .into_iter()
                    .filter_map(|(k, v)| Some((k, v?)))
                    .collect();
            }
            ConfigMode::Remove => {
                for (k, _) in data {
                    attributes.remove(&k);
                }
            }
        }
        if attributes.len() > max {
            return Err(ApiError::quota(format!(
                "Quota exceeded: Cannot assign {} more TargetAttribute entities to Target '{controller}'. The maximum is {max}.",
                attributes.len() - c.attributes.len().min(attributes.len())
            )));
        }
        c.attributes = attributes;
        c.request_attributes = false;
        Ok(())
    }

    pub(crate) fn installed_base(
        &mut self,
        origins: &Origins,
        tenant: &str,
        controller: &str,
        id: u64,
        history: i64,
        now: SystemTime,
    ) -> Result<DeploymentBase, ApiError> {
        let id = self.find_action(tenant, controller, id)?;
        let a = self
            .action(id)
            .ok_or_else(|| ApiError::entity_not_found("Action", id))?;
        if a.active || a.is_canceling_or_canceled() {
            return Err(ApiError::empty(StatusCode::NOT_FOUND));
        }
        Ok(DeploymentBase {
            id: a.id.to_string(),
            deployment: self.deployment(origins, a, now),
            action_history: Self::history(a, history),
        })
    }

    /// `PUT installedBase`: `Ok(true)` when newly set (201).
    pub(crate) fn put_installed_base(
        &mut self,
        tenant: &str,
        controller: &str,
        name: &str,
        version: &str,
    ) -> Result<bool, ApiError> {
        let current = self.find_target(tenant, controller)?.installed;
        let dist = self
            .distributions
            .iter()
            .find(|d| d.name == name && d.version == version)
            .map(|d| d.id)
            .ok_or_else(|| {
                ApiError::entity_not_found("DistributionSet", format!("{name}:{version}"))
            })?;
        if current
            .and_then(|id| self.action(id))
            .is_some_and(|a| a.distribution == dist)
        {
            return Ok(false);
        }
        let id = ActionId(self.actions.len() as u64 + 1);
        let mut action = Action {
            id,
            tenant: tenant.to_owned(),
            controller: controller.to_owned(),
            distribution: dist,
            action_type: ActionType::Forced,
            status: ActionStatus::Finished,
            active: false,
            maintenance: None,
            history: Vec::new(),
            revision: 0,
        };
        action.push(StatusEntry::server(
            ActionStatus::Finished,
            "Distribution set was installed offline",
        ));
        self.actions.push(action);
        if let Some(c) = self.controller_mut(tenant, controller) {
            c.actions.push(id);
            c.installed = Some(id);
        }
        Ok(true)
    }

    pub(crate) fn confirmation_base(
        &mut self,
        origins: &Origins,
        tenant: &str,
        controller: &str,
    ) -> Result<ConfirmationBase, ApiError> {
        self.find_or_register(tenant, controller)?;
        let c = self.find_target(tenant, controller)?;
        let base = Self::base_href(origins, tenant, controller);
        let mut links = Links::default();
        let auto_confirm = match &c.auto_confirm {
            Some(ac) => {
                links.add(
                    "deactivateAutoConfirm",
                    format!("{base}/confirmationBase/deactivateAutoConfirm"),
                );
                AutoConfirmDoc {
                    active: true,
                    initiator: ac.initiator.clone(),
                    remark: ac.remark.clone(),
                    activated_at: Some(ac.activated_at),
                }
            }
            None => {
                links.add(
                    "activateAutoConfirm",
                    format!("{base}/confirmationBase/activateAutoConfirm"),
                );
                AutoConfirmDoc {
                    active: false,
                    initiator: None,
                    remark: None,
                    activated_at: None,
                }
            }
        };
        if let Some(a) = self.active_action(c).and_then(|id| self.action(id))
            && a.is_waiting_confirmation()
        {
            links.add(
                "confirmationBase",
                format!("{base}/confirmationBase/{}?c={}", a.id, a.cache_buster()),
            );
        }
        Ok(ConfirmationBase {
            auto_confirm,
            links,
        })
    }

    pub(crate) fn confirmation_action(
        &mut self,
        origins: &Origins,
        tenant: &str,
        controller: &str,
        id: u64,
        history: i64,
        now: SystemTime,
    ) -> Result<ConfirmationBaseAction, ApiError> {
        let id = self.find_action(tenant, controller, id)?;
        self.cancel_if_lapsed(id, now);
        let a = self
            .action(id)
            .ok_or_else(|| ApiError::entity_not_found("Action", id))?;
        if a.is_canceling_or_canceled() || !a.is_waiting_confirmation() {
            return Err(ApiError::empty(StatusCode::NOT_FOUND));
        }
        Ok(ConfirmationBaseAction {
            id: a.id.to_string(),
            confirmation: self.deployment(origins, a, now),
            action_history: Self::history(a, history),
        })
    }

    pub(crate) fn confirmation_feedback(
        &mut self,
        tenant: &str,
        controller: &str,
        id: u64,
        entry: StatusEntry,
        confirmed: bool,
    ) -> Result<(), ApiError> {
        let id = self.find_action(tenant, controller, id)?;
        let a = self
            .action_mut(id)
            .ok_or_else(|| ApiError::entity_not_found("Action", id))?;
        if !a.active {
            return Err(ApiError::empty(StatusCode::GONE));
        }
        if !a.is_waiting_confirmation() {
            return Err(ApiError::empty(StatusCode::NOT_FOUND));
        }
        a.push(entry);
        if confirmed {
            a.set_status(ActionStatus::Running);
        }
        Ok(())
    }

    pub(crate) fn activate_auto_confirm(
        &mut self,
        tenant: &str,
        controller: &str,
        body: Option<Activation>,
        now: SystemTime,
    ) -> Result<(), ApiError> {
        let c = self
            .controller_mut(tenant, controller)
            .ok_or_else(|| ApiError::entity_not_found("Target", controller))?;
        if c.auto_confirm.is_some() {
            return Err(ApiError::auto_confirm_active(controller));
        }
        let (initiator, remark) = match body {
            Some((initiator, remark)) => (initiator, remark),
            None => (None, Some(FALLBACK_REMARK.to_owned())),
        };
        c.auto_confirm = Some(AutoConfirm {
            initiator: initiator.clone(),
            remark,
            activated_at: now_ms(now),
        });
        let waiting = c.actions.clone();
        for id in waiting {
            if let Some(a) = self.action_mut(id)
                && a.active
                && a.is_waiting_confirmation()
            {
                a.push(StatusEntry::server(
                    ActionStatus::Running,
                    &format!(
                        "Assignment automatically confirmed by initiator '{}'.",
                        initiator.as_deref().unwrap_or("")
                    ),
                ));
                a.set_status(ActionStatus::Running);
            }
        }
        Ok(())
    }

    pub(crate) fn deactivate_auto_confirm(
        &mut self,
        tenant: &str,
        controller: &str,
    ) -> Result<(), ApiError> {
        let c = self
            .controller_mut(tenant, controller)
            .ok_or_else(|| ApiError::entity_not_found("Target", controller))?;
        c.auto_confirm = None;
        Ok(())
    }

    /// Whether `module` belongs to an open action of the controller or to its
    /// installed one.
    fn module_assigned(&self, c: &Controller, module: ModuleId) -> Option<ActionId> {
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

    pub(crate) fn artifact_list(
        &self,
        origins: &Origins,
        tenant: &str,
        controller: &str,
        module: u64,
    ) -> Result<Vec<ArtifactDoc>, ApiError> {
        let c = self.find_target(tenant, controller)?;
        let m = self
            .module(ModuleId(module))
            .ok_or_else(|| ApiError::entity_not_found("SoftwareModule", module))?;
        if self.module_assigned(c, m.id).is_none() {
            return Err(ApiError::module_not_assigned(module, controller));
        }
        Ok(m.artifacts
            .iter()
            .map(|a| self.artifact_doc(origins, tenant, controller, m.id, a))
            .collect())
    }

    /// Finds an artifact for download; a full download (not a range request)
    /// checks the assignment and logs a `DOWNLOAD` entry, as hawkBit does.
    pub(crate) fn artifact_for_download(
        &mut self,
        tenant: &str,
        controller: &str,
        module: u64,
        filename: &str,
        log_path: Option<&str>,
    ) -> Result<Arc<Artifact>, ApiError> {
        let c = self.find_target(tenant, controller)?;
        let m = self
            .module(ModuleId(module))
            .ok_or_else(|| ApiError::entity_not_found("SoftwareModule", module))?;
        let artifact = m
            .artifact(filename)
            .cloned()
            .ok_or_else(|| ApiError::empty(StatusCode::NOT_FOUND))?;
        if let Some(path) = log_path {
            let id = self
                .module_assigned(c, m.id)
                .ok_or_else(|| ApiError::module_not_assigned(module, controller))?;
            if let Some(a) = self.action_mut(id) {
                a.history.push(StatusEntry::server(
                    ActionStatus::Download,
                    &format!("Target downloads {path}"),
                ));
            }
        }
        Ok(artifact)
    }

    /// An artifact by module and name, without any access check (the CDN).
    pub(crate) fn artifact_unchecked(&self, module: u64, filename: &str) -> Option<Arc<Artifact>> {
        self.module(ModuleId(module))?.artifact(filename).cloned()
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
