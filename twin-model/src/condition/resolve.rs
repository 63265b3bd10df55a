//! Which configurations apply to a twin, resolved by priority as IoT Hub
//! does.
//!
//! Configurations whose target condition selects the twin are ordered by
//! `priority` (higher first), then by `createdTimeUtc` (newer first), then
//! by id (for determinism). Each `deviceContent` / `moduleContent` path
//! (`properties.desired.<path>`) is claimed by the first configuration in
//! that order; a later configuration's path that equals, contains or lies
//! inside a claimed path is overridden and reported. Edge deployments
//! (`modulesContent`) are applied whole: the first targeting deployment
//! wins and the others are reported (layered deployments are not modelled).

use std::cmp::Ordering;

use serde_json::{Map, Value};

use crate::condition::ast::Condition;
use crate::condition::error::ParseError;
use crate::condition::eval::CompiledCondition;
use crate::iothub::configuration::Configuration;
use crate::iothub::twin::Twin;
use crate::mapping::flatten::insert_dotted;

/// A configuration whose target condition does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("target condition of configuration `{id}` is invalid")]
pub struct ConfigurationConditionError {
    /// Configuration id.
    pub id: String,
    /// The parse error.
    #[source]
    pub source: ParseError,
}

/// Configurations with compiled target conditions, sorted by precedence.
#[derive(Debug, Clone)]
pub struct ConfigurationSet {
    items: Vec<(Configuration, CompiledCondition)>,
}

/// One applied content path.
#[derive(Debug, Clone, PartialEq)]
pub struct AppliedPath {
    /// `properties.desired.<path>` as written in the configuration.
    pub path: String,
    /// The winning configuration.
    pub configuration: String,
    /// The value (`null` removes).
    pub value: Value,
}

/// A path that lost against a configuration of higher precedence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverriddenPath {
    /// The path.
    pub path: String,
    /// The configuration that lost.
    pub configuration: String,
    /// The configuration that won.
    pub winner: String,
}

/// The outcome for one twin.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Resolution {
    /// Ids of the targeting configurations, in precedence order.
    pub targeted: Vec<String>,
    /// Applied device/module content paths.
    pub applied: Vec<AppliedPath>,
    /// Paths that lost.
    pub overridden: Vec<OverriddenPath>,
    /// The Edge deployment applied whole, if any.
    pub edge_deployment: Option<String>,
    /// Edge deployments that lost.
    pub overridden_deployments: Vec<String>,
}

fn created(c: &Configuration) -> Option<crate::timestamp::UtcInstant> {
    c.created_time_utc
        .as_ref()
        .and_then(crate::timestamp::Timestamp::instant)
}

fn precedence(a: &Configuration, b: &Configuration) -> Ordering {
    b.priority
        .unwrap_or(0)
        .cmp(&a.priority.unwrap_or(0))
        .then_with(|| created(b).cmp(&created(a)))
        .then_with(|| a.id.cmp(&b.id))
}

fn segments(path: &str) -> Vec<&str> {
    path.split('.').collect()
}

fn overlaps(a: &[&str], b: &[&str]) -> bool {
    a.iter().zip(b).all(|(x, y)| x == y)
}

impl ConfigurationSet {
    /// Compiles every target condition (absent means `*`).
    pub fn new(configurations: &[Configuration]) -> Result<Self, ConfigurationConditionError> {
        let mut items = configurations
            .iter()
            .map(|c| {
                let text = c.target_condition.as_deref().unwrap_or("*");
                Condition::parse(text)
                    .map(|cond| (c.clone(), cond.compile()))
                    .map_err(|source| ConfigurationConditionError {
                        id: c.id.clone().unwrap_or_default(),
                        source,
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        items.sort_by(|a, b| precedence(&a.0, &b.0));
        Ok(Self { items })
    }

    /// The twins the configuration `id` targets (unknown id: none).
    pub fn targeted<'a>(&self, id: &str, twins: &'a [Twin]) -> Vec<&'a Twin> {
        self.items
            .iter()
            .find(|(c, _)| c.id.as_deref() == Some(id))
            .map_or_else(Vec::new, |(_, cond)| cond.select(twins))
    }

    /// Configuration ids in precedence order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.items
            .iter()
            .map(|(c, _)| c.id.as_deref().unwrap_or(""))
    }

    /// Resolves which content applies to `twin`.
    pub fn resolve(&self, twin: &Twin) -> Resolution {
        let mut out = Resolution::default();
        let mut claimed: Vec<(Vec<&str>, &str)> = Vec::new();
        for (cfg, cond) in &self.items {
            if !cond.matches(twin) {
                continue;
            }
            let id = cfg.id.as_deref().unwrap_or("");
            out.targeted.push(id.to_owned());
            let content = if twin.module_id.is_some() {
                &cfg.content.module_content
            } else {
                &cfg.content.device_content
            };
            for (path, value) in content.iter().flatten() {
                let segs = segments(path);
                if let Some((_, winner)) = claimed.iter().find(|(c, _)| overlaps(c, &segs)) {
                    out.overridden.push(OverriddenPath {
                        path: path.clone(),
                        configuration: id.to_owned(),
                        winner: (*winner).to_owned(),
                    });
                } else {
                    claimed.push((segs, id));
                    out.applied.push(AppliedPath {
                        path: path.clone(),
                        configuration: id.to_owned(),
                        value: value.clone(),
                    });
                }
            }
            if cfg.content.modules_content.is_some() {
                if out.edge_deployment.is_none() {
                    out.edge_deployment = Some(id.to_owned());
                } else {
                    out.overridden_deployments.push(id.to_owned());
                }
            }
        }
        out
    }
}

impl Resolution {
    /// The desired-properties patch of the applied paths (paths not under
    /// `properties.desired` are skipped).
    pub fn desired_patch(&self) -> Map<String, Value> {
        let mut patch = Map::new();
        for a in &self.applied {
            if a.path == "properties.desired" {
                if let Value::Object(m) = &a.value {
                    for (k, v) in m {
                        patch.insert(k.clone(), v.clone());
                    }
                }
            } else if let Some(rest) = a.path.strip_prefix("properties.desired.") {
                // Paths were checked not to overlap, so insertion cannot conflict.
                let _ = insert_dotted(&mut patch, rest, a.value.clone());
            }
        }
        patch
    }
}
