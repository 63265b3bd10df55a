//! Which replica devices a sync owns.

use crate::model::{DeviceId, DeviceRecord};

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
}
