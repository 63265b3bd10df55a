//! What the planner is allowed to do: ownership scope, removal style,
//! completeness rule, synced fields and the mass-delete guard.

use crate::device::{DeviceId, DeviceRecord};

/// Which replica devices belong to this sync (and so may be updated or removed).
///
/// Several masters (e.g. several IoT Hubs) can share one replica (one hawkBit
/// tenant) when each uses its own scope.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Replica devices carrying tag `key = value` are owned; created devices get
    /// the tag. Ids are the same on both sides.
    Tag {
        /// Tag key, e.g. `managedBy`.
        key: Box<str>,
        /// Tag value naming this sync, e.g. `hub-eu1`.
        value: Box<str>,
    },
    /// Replica ids are the master ids with this prefix; every replica device
    /// with the prefix is owned, the others are invisible to this sync.
    IdPrefix(Box<str>),
}

impl Scope {
    /// Ownership by tag.
    pub fn tag(key: impl Into<Box<str>>, value: impl Into<Box<str>>) -> Self {
        Self::Tag {
            key: key.into(),
            value: value.into(),
        }
    }

    /// Ownership by id prefix.
    pub fn id_prefix(prefix: impl Into<Box<str>>) -> Self {
        Self::IdPrefix(prefix.into())
    }

    /// The master id a replica device corresponds to, `None` if the device is
    /// outside this scope's namespace.
    pub fn master_key<'a>(&self, replica: &'a DeviceRecord) -> Option<&'a str> {
        match self {
            Self::Tag { .. } => Some(replica.id.as_str()),
            Self::IdPrefix(p) => replica.id.as_str().strip_prefix(&**p),
        }
    }

    /// Whether this sync owns the replica device.
    pub fn owns(&self, replica: &DeviceRecord) -> bool {
        match self {
            Self::Tag { key, value } => replica.tags.get(key) == Some(&**value),
            Self::IdPrefix(p) => replica.id.as_str().starts_with(&**p),
        }
    }

    /// The replica id for a master id.
    pub fn replica_id(&self, master: &DeviceId) -> DeviceId {
        match self {
            Self::Tag { .. } => master.clone(),
            Self::IdPrefix(p) => DeviceId::new(format!("{p}{master}")),
        }
    }

    /// The ownership tag this scope writes, if any.
    pub fn owner_tag(&self) -> Option<(&str, &str)> {
        match self {
            Self::Tag { key, value } => Some((key, value)),
            Self::IdPrefix(_) => None,
        }
    }
}

/// How a device gone from the master is removed from the replica.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Removal {
    /// Delete it.
    Delete,
    /// Soft delete: disable it with this status reason.
    Disable {
        /// The status reason written.
        reason: Box<str>,
    },
}

/// Which master data must be present before a device is synced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Completeness {
    required_tags: Vec<Box<str>>,
    required_reported: Vec<Box<str>>,
}

impl Completeness {
    /// Nothing required.
    pub fn new() -> Self {
        Self::default()
    }

    /// Requires these tags.
    pub fn require_tags<I: IntoIterator<Item = S>, S: Into<Box<str>>>(
        &mut self,
        keys: I,
    ) -> &mut Self {
        self.required_tags.extend(keys.into_iter().map(Into::into));
        self
    }

    /// Requires these reported properties (flattened keys).
    pub fn require_reported<I: IntoIterator<Item = S>, S: Into<Box<str>>>(
        &mut self,
        keys: I,
    ) -> &mut Self {
        self.required_reported
            .extend(keys.into_iter().map(Into::into));
        self
    }

    /// The required keys `device` lacks (tags as `tags.KEY`, reported as `reported.KEY`).
    pub fn missing(&self, device: &DeviceRecord) -> Vec<Box<str>> {
        let tags = self
            .required_tags
            .iter()
            .filter(|k| !device.tags.contains_key(k))
            .map(|k| format!("tags.{k}").into_boxed_str());
        let reported = self
            .required_reported
            .iter()
            .filter(|k| !device.reported.contains_key(k))
            .map(|k| format!("reported.{k}").into_boxed_str());
        tags.chain(reported).collect()
    }

    /// Whether nothing is required.
    pub fn is_empty(&self) -> bool {
        self.required_tags.is_empty() && self.required_reported.is_empty()
    }
}

/// Which fields the master overwrites on the replica. All on by default.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyncFields {
    /// Enabled/disabled.
    pub status: bool,
    /// Keys or token.
    pub credentials: bool,
    /// Tags (through the mapping).
    pub tags: bool,
    /// Attributes (through the mapping).
    pub attributes: bool,
}

impl Default for SyncFields {
    fn default() -> Self {
        Self {
            status: true,
            credentials: true,
            tags: true,
            attributes: true,
        }
    }
}

impl SyncFields {
    /// Every field synced.
    pub fn all() -> Self {
        Self::default()
    }

    /// Sets each flag.
    pub fn new(status: bool, credentials: bool, tags: bool, attributes: bool) -> Self {
        Self {
            status,
            credentials,
            tags,
            attributes,
        }
    }
}

/// Refuses plans that remove too much of the replica at once.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MassDeleteGuard {
    max_fraction: f64,
    min_count: usize,
    force: bool,
}

impl Default for MassDeleteGuard {
    /// At most 10 % of the owned devices, always allowing up to 10 removals.
    fn default() -> Self {
        Self {
            max_fraction: 0.10,
            min_count: 10,
            force: false,
        }
    }
}

impl MassDeleteGuard {
    /// Allow at most `max_fraction` (0..=1) of owned devices to be removed,
    /// but always allow `min_count` removals.
    pub fn new(max_fraction: f64, min_count: usize) -> Self {
        let max_fraction = if max_fraction.is_finite() {
            max_fraction.clamp(0.0, 1.0)
        } else {
            0.0
        };
        Self {
            max_fraction,
            min_count,
            force: false,
        }
    }

    /// Lets the next plans through regardless (an operator's explicit decision).
    pub fn force(&mut self, force: bool) -> &mut Self {
        self.force = force;
        self
    }

    /// The largest number of removals allowed with `owned` owned devices.
    pub fn allowed(&self, owned: usize) -> usize {
        if self.force {
            return usize::MAX;
        }
        let by_fraction = (self.max_fraction * owned as f64).floor() as usize;
        by_fraction.max(self.min_count)
    }
}

/// Everything the planner needs besides the two snapshots and the mapping.
#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    scope: Scope,
    removal: Removal,
    completeness: Completeness,
    fields: SyncFields,
    guard: MassDeleteGuard,
}

impl Policy {
    /// Hard delete, nothing required, all fields synced, default guard.
    pub fn new(scope: Scope) -> Self {
        Self {
            scope,
            removal: Removal::Delete,
            completeness: Completeness::new(),
            fields: SyncFields::all(),
            guard: MassDeleteGuard::default(),
        }
    }

    /// Sets how removed devices are handled (default: delete).
    pub fn removal(&mut self, removal: Removal) -> &mut Self {
        self.removal = removal;
        self
    }

    /// Sets the completeness rule (default: nothing required).
    pub fn completeness(&mut self, completeness: Completeness) -> &mut Self {
        self.completeness = completeness;
        self
    }

    /// Sets the synced fields (default: all).
    pub fn fields(&mut self, fields: SyncFields) -> &mut Self {
        self.fields = fields;
        self
    }

    /// Sets the mass-delete guard.
    pub fn guard(&mut self, guard: MassDeleteGuard) -> &mut Self {
        self.guard = guard;
        self
    }

    /// The scope.
    pub fn get_scope(&self) -> &Scope {
        &self.scope
    }

    /// The removal style.
    pub fn get_removal(&self) -> &Removal {
        &self.removal
    }

    /// The completeness rule.
    pub fn get_completeness(&self) -> &Completeness {
        &self.completeness
    }

    /// The synced fields.
    pub fn get_fields(&self) -> SyncFields {
        self.fields
    }

    /// The guard.
    pub fn get_guard(&self) -> MassDeleteGuard {
        self.guard
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_scope_maps_ids() {
        let s = Scope::id_prefix("hub1-");
        let r = DeviceRecord::new("hub1-dev");
        assert_eq!(s.master_key(&r), Some("dev"));
        assert!(s.owns(&r));
        assert_eq!(s.master_key(&DeviceRecord::new("hub2-dev")), None);
        assert_eq!(s.replica_id(&DeviceId::new("dev")).as_str(), "hub1-dev");
    }

    #[test]
    fn guard_limits() {
        let g = MassDeleteGuard::new(0.1, 5);
        assert_eq!(g.allowed(1000), 100);
        assert_eq!(g.allowed(10), 5);
        let mut f = g;
        f.force(true);
        assert_eq!(f.allowed(0), usize::MAX);
    }

    #[test]
    fn completeness_names_what_is_missing() {
        let mut c = Completeness::new();
        c.require_tags(["EUI"]).require_reported(["fw"]);
        let d = DeviceRecord::new("d").with_tag("EUI", "00");
        assert_eq!(c.missing(&d), vec![Box::from("reported.fw")]);
    }
}
