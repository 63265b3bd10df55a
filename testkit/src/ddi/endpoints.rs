//! The DDI operations on the store, one method per endpoint, with hawkBit's
//! checks in hawkBit's order (target, action, state) and its answers.

use std::sync::Arc;
use std::time::SystemTime;

use axum::http::StatusCode;

use super::action::{Action, ActionId, ActionStatus, ActionType, StatusEntry};
use super::catalog::{Artifact, ModuleId};
use super::config::{TenantConfig, format_sleep, jittered};
use super::documents::{
    ArtifactDoc, AutoConfirmDoc, Cancel, Config, ConfirmationBase, ConfirmationBaseAction,
    ControllerBase, DeploymentBase, Links, Polling, StopId,
};
use super::errors::ApiError;
use super::feedback::{self, Activation, Attributes, ConfigMode, ParsedFeedback};
use super::store::{AutoConfirm, Origins, Store};

const FALLBACK_REMARK: &str =
    "Initiated using the Device Direct Integration API without providing a remark.";

fn now_ms(now: SystemTime) -> i64 {
    now.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Store {
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
                    sleep: sleep.unwrap_or_else(|| match t.config.polling_jitter_percent {
                        0 => t.sleep.clone(),
                        p => format_sleep(jittered(
                            t.config.polling_time,
                            p,
                            t.config.min_polling_time,
                        )),
                    }),
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

    pub(crate) fn check_quota(
        t: &TenantConfig,
        a: &Action,
        entry: &StatusEntry,
    ) -> Result<(), ApiError> {
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
}
