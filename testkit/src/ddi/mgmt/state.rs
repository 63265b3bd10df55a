//! What the Management API keeps beside the DDI controllers: target names
//! and audit fields, metadata, target tags and the tenant's users.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

use crate::ddi::store::Tenant;

/// The Management API side of one tenant.
#[derive(Debug, Default)]
pub(crate) struct MgmtTenant {
    /// Basic-auth `(user, password)` pairs.
    pub(crate) users: Vec<(String, String)>,
    /// Per controller id.
    pub(crate) targets: BTreeMap<String, TargetMeta>,
    /// Per tag id.
    pub(crate) tags: BTreeMap<u64, TagDef>,
    next_seq: u64,
    next_tag: u64,
}

/// Audit fields of an entity.
#[derive(Debug, Clone)]
pub(crate) struct Audit {
    pub(crate) created_by: String,
    pub(crate) created_at: i64,
    pub(crate) last_modified_by: String,
    pub(crate) last_modified_at: i64,
}

impl Audit {
    pub(crate) fn new(by: &str) -> Self {
        let now = now_ms();
        Self {
            created_by: by.to_owned(),
            created_at: now,
            last_modified_by: by.to_owned(),
            last_modified_at: now,
        }
    }

    pub(crate) fn touch(&mut self, by: &str) {
        self.last_modified_by = by.to_owned();
        // keep lastModifiedAt strictly after createdAt, as the database does
        self.last_modified_at = now_ms().max(self.created_at + 1);
    }
}

/// A target's Management API fields.
#[derive(Debug, Clone)]
pub(crate) struct TargetMeta {
    /// Creation order (hawkBit's database id, the default sort).
    pub(crate) seq: u64,
    pub(crate) name: String,
    pub(crate) description: Option<String>,
    pub(crate) address: Option<String>,
    pub(crate) audit: Audit,
    pub(crate) metadata: BTreeMap<String, String>,
    pub(crate) tags: BTreeSet<u64>,
}

/// A target tag.
#[derive(Debug, Clone)]
pub(crate) struct TagDef {
    pub(crate) id: u64,
    pub(crate) name: String,
    pub(crate) description: Option<String>,
    pub(crate) colour: Option<String>,
    pub(crate) audit: Audit,
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl MgmtTenant {
    pub(crate) fn next_seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    pub(crate) fn next_tag_id(&mut self) -> u64 {
        self.next_tag += 1;
        self.next_tag
    }

    /// A generated security token: 32 hex characters, as hawkBit makes them.
    pub(crate) fn generate_token(&mut self, controller: &str) -> String {
        let seq = self.next_seq();
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let digest = Sha256::digest(format!("{controller}/{seq}/{nanos}").as_bytes());
        hex::encode(digest).chars().take(32).collect()
    }

    pub(crate) fn tag_by_name(&self, name: &str) -> Option<&TagDef> {
        self.tags.values().find(|t| t.name == name)
    }
}

impl Tenant {
    /// Gives every controller registered through DDI (or the Rust API) its
    /// Management API fields, in id order so the creation order is stable.
    pub(crate) fn adopt_controllers(&mut self) {
        if self.mgmt.targets.len() == self.controllers.len()
            && self
                .controllers
                .keys()
                .all(|k| self.mgmt.targets.contains_key(k))
        {
            return;
        }
        let mut missing: Vec<String> = self
            .controllers
            .keys()
            .filter(|k| !self.mgmt.targets.contains_key(*k))
            .cloned()
            .collect();
        missing.sort();
        for id in missing {
            let seq = self.mgmt.next_seq();
            self.mgmt.targets.insert(
                id.clone(),
                TargetMeta {
                    seq,
                    name: id,
                    description: None,
                    address: None,
                    audit: Audit::new("CONTROLLER_PLUG_AND_PLAY"),
                    metadata: BTreeMap::new(),
                    tags: BTreeSet::new(),
                },
            );
        }
        let controllers = &self.controllers;
        self.mgmt.targets.retain(|k, _| controllers.contains_key(k));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ddi::config::TenantConfig;
    use crate::ddi::store::Controller;

    #[test]
    fn generated_tokens_are_32_hex_and_distinct() {
        let mut m = MgmtTenant::default();
        let a = m.generate_token("x");
        let b = m.generate_token("x");
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn adoption_follows_the_controllers() {
        let mut t = Tenant::new(TenantConfig::default());
        for id in ["b", "a"] {
            t.controllers.insert(id.into(), Controller::new(id, None));
        }
        t.adopt_controllers();
        assert_eq!(t.mgmt.targets["a"].seq, 1);
        assert_eq!(t.mgmt.targets["b"].seq, 2);
        t.controllers.remove("a");
        t.adopt_controllers();
        assert!(!t.mgmt.targets.contains_key("a"));
    }
}
