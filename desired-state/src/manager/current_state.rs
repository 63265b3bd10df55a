//! Current-state collection from the agents and the merged inventory.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use super::output::{AgentMessage, CloudMessage, ManagerOutput, ManagerWarning};
use super::{ManagerConfig, ms};
use crate::model::{Association, Envelope, Inventory, SoftwareNode, SoftwareType};

/// A `currentstate/get` round waiting for answers.
#[derive(Debug)]
struct Round {
    activity_id: String,
    requested_at: i64,
    /// Domains still to answer, with the time to give up on each.
    waiting: BTreeMap<String, i64>,
    /// Domains sent the request a second time.
    asked_again: BTreeSet<String>,
}

#[derive(Debug)]
pub(crate) struct CurrentStateTracker {
    inventories: BTreeMap<String, Inventory>,
    timestamps: BTreeMap<String, i64>,
    /// Pending rounds; a new request never cancels an older one.
    rounds: Vec<Round>,
    debounce_at: Option<i64>,
}

impl CurrentStateTracker {
    pub(crate) fn new(_config: &ManagerConfig) -> Self {
        Self {
            inventories: BTreeMap::new(),
            timestamps: BTreeMap::new(),
            rounds: Vec::new(),
            debounce_at: None,
        }
    }

    pub(crate) fn inventories(&self) -> &BTreeMap<String, Inventory> {
        &self.inventories
    }

    /// Asks every agent for its state. Unlike Kanto, a pending request never
    /// blocks a desired state: rounds are plain bookkeeping here.
    pub(crate) fn request(
        &mut self,
        now: i64,
        activity_id: &str,
        config: &ManagerConfig,
        out: &mut VecDeque<ManagerOutput>,
    ) {
        let mut waiting = BTreeMap::new();
        for (domain, settings) in &config.agents {
            out.push_back(ManagerOutput::ToAgent {
                domain: domain.clone(),
                message: AgentMessage::CurrentStateGet(Envelope::empty(activity_id, now)),
            });
            waiting.insert(
                domain.clone(),
                now.saturating_add(ms(settings.read_timeout)),
            );
        }
        if waiting.is_empty() {
            self.publish(now, activity_id, config, out);
            return;
        }
        self.rounds.push(Round {
            activity_id: activity_id.to_owned(),
            requested_at: now,
            waiting,
            asked_again: BTreeSet::new(),
        });
    }

    pub(crate) fn on_report(
        &mut self,
        now: i64,
        domain: &str,
        env: Envelope<Inventory>,
        config: &ManagerConfig,
        out: &mut VecDeque<ManagerOutput>,
    ) {
        if self
            .timestamps
            .get(domain)
            .is_some_and(|t| env.timestamp < *t)
        {
            out.push_back(ManagerOutput::Warning(ManagerWarning::StaleCurrentState {
                domain: domain.to_owned(),
            }));
            return;
        }
        self.timestamps.insert(domain.to_owned(), env.timestamp);
        self.inventories
            .insert(domain.to_owned(), env.payload.unwrap_or_default());
        // Kanto only accepts the matching activity id, so an agent that
        // restarts and reports `initial-…` leaves the domain waiting for the
        // whole read timeout; any report made after the request answers it.
        let mut completed = Vec::new();
        self.rounds.retain_mut(|round| {
            if !round.waiting.contains_key(domain) {
                return true;
            }
            let answers =
                env.activity_id == round.activity_id || env.timestamp >= round.requested_at;
            if !answers {
                // A report made before the request: the agent may have
                // subscribed only after the request went out (it started
                // just before the manager) and never see it. It is connected
                // now, so ask it once more.
                if round.asked_again.insert(domain.to_owned()) {
                    out.push_back(ManagerOutput::ToAgent {
                        domain: domain.to_owned(),
                        message: AgentMessage::CurrentStateGet(Envelope::empty(
                            &round.activity_id,
                            now,
                        )),
                    });
                }
                return true;
            }
            round.waiting.remove(domain);
            if round.waiting.is_empty() {
                completed.push(round.activity_id.clone());
                return false;
            }
            true
        });
        for id in &completed {
            self.publish(now, id, config, out);
        }
        if !completed.is_empty() {
            return;
        }
        if env.activity_id.is_empty() && self.debounce_at.is_none() {
            self.debounce_at = Some(now.saturating_add(ms(config.current_state_delay)));
        }
    }

    pub(crate) fn next_deadline(&self) -> Option<i64> {
        let round = self
            .rounds
            .iter()
            .filter_map(|r| r.waiting.values().min().copied())
            .min();
        [round, self.debounce_at].into_iter().flatten().min()
    }

    pub(crate) fn on_timeout(
        &mut self,
        now: i64,
        config: &ManagerConfig,
        out: &mut VecDeque<ManagerOutput>,
    ) {
        let mut completed = Vec::new();
        self.rounds.retain_mut(|round| {
            round.waiting.retain(|_, deadline| *deadline > now);
            if round.waiting.is_empty() {
                completed.push(round.activity_id.clone());
                return false;
            }
            true
        });
        for id in &completed {
            self.publish(now, id, config, out);
        }
        if self.debounce_at.is_some_and(|t| t <= now) {
            self.publish(now, "", config, out);
        }
    }

    fn publish(
        &mut self,
        now: i64,
        activity_id: &str,
        config: &ManagerConfig,
        out: &mut VecDeque<ManagerOutput>,
    ) {
        self.debounce_at = None;
        let inv = aggregate(config, &self.inventories);
        out.push_back(ManagerOutput::ToCloud(CloudMessage::CurrentState(
            Envelope::new(activity_id, now, inv),
        )));
    }
}

/// Kanto's merge: the manager's own node, every agent's nodes, an association
/// from the manager node to each domain's root node, then the agents' own
/// associations.
pub(crate) fn aggregate(
    config: &ManagerConfig,
    inventories: &BTreeMap<String, Inventory>,
) -> Inventory {
    let um_id = format!("{}-update-manager", config.domain);
    let mut inv = Inventory::default();
    inv.software_nodes.push(SoftwareNode {
        id: um_id.clone(),
        version: config.version.clone(),
        name: "Update Manager".to_owned(),
        parameters: crate::model::Config::new(),
        kind: Some(SoftwareType::Application),
    });
    let mut own = Vec::new();
    for (domain, agent) in inventories {
        inv.hardware_nodes
            .extend(agent.hardware_nodes.iter().cloned());
        inv.software_nodes
            .extend(agent.software_nodes.iter().cloned());
        if let Some(root) = agent.domain_root(domain) {
            inv.associations
                .push(Association::new(um_id.clone(), root.id.clone()));
        }
        own.extend(agent.associations.iter().cloned());
    }
    inv.associations.extend(own);
    inv
}
