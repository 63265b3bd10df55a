//! A point-in-time, id-sorted view of one registry.

use super::{DeviceId, DeviceRecord, DeviceStatus, Etag};
use crate::error::{Error, ErrorKind, Result};
use crate::plan::{Operation, Plan};

/// Every device of one registry, sorted by id, ids unique.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    devices: Vec<DeviceRecord>,
}

impl Snapshot {
    /// Builds a snapshot from records in any order.
    ///
    /// A duplicate id is a [`ErrorKind::Decode`] error: a registry listing that
    /// returns one device twice is malformed, and picking one copy would make
    /// the plan depend on input order.
    pub fn from_records(records: impl IntoIterator<Item = DeviceRecord>) -> Result<Self> {
        let mut devices: Vec<DeviceRecord> = records.into_iter().collect();
        devices.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        if let Some(w) = devices
            .windows(2)
            .find(|w| matches!(w, [a, b] if a.id == b.id))
        {
            let id = w.first().map(|d| d.id.to_string()).unwrap_or_default();
            return Err(
                Error::new(ErrorKind::Decode).with_context(format!("duplicate device id {id}"))
            );
        }
        Ok(Self { devices })
    }

    /// No devices.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Number of devices.
    pub fn len(&self) -> usize {
        self.devices.len()
    }

    /// Whether there is no device.
    pub fn is_empty(&self) -> bool {
        self.devices.is_empty()
    }

    /// The devices in id order.
    pub fn devices(&self) -> &[DeviceRecord] {
        &self.devices
    }

    /// One device.
    pub fn get(&self, id: &str) -> Option<&DeviceRecord> {
        self.devices
            .binary_search_by(|d| d.id.as_str().cmp(id))
            .ok()
            .and_then(|i| self.devices.get(i))
    }

    /// The records, consuming the snapshot.
    pub fn into_records(self) -> Vec<DeviceRecord> {
        self.devices
    }

    /// What this snapshot would look like after `plan` succeeded in full: a dry
    /// run of the plan with the semantics every connector must have. Etags are
    /// replaced by synthetic ones.
    pub fn apply(&self, plan: &Plan) -> Self {
        let mut map: std::collections::BTreeMap<DeviceId, DeviceRecord> = self
            .devices
            .iter()
            .map(|d| (d.id.clone(), d.clone()))
            .collect();
        for (n, op) in plan.operations().iter().enumerate() {
            let etag = Some(Etag::new(format!("dry-{n}")));
            match &op.operation {
                Operation::Create { device } | Operation::Update { device, .. } => {
                    let mut d = device.clone();
                    d.etag = etag;
                    map.insert(d.id.clone(), d);
                }
                Operation::Delete { id, .. } => {
                    map.remove(id);
                }
                Operation::Disable { id, reason, .. } => {
                    if let Some(d) = map.get_mut(id) {
                        d.status = DeviceStatus::Disabled {
                            reason: Some(reason.clone()),
                        };
                        d.etag = etag;
                    }
                }
            }
        }
        Self {
            devices: map.into_values().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_and_duplicates_refused() {
        let s = Snapshot::from_records([DeviceRecord::new("b"), DeviceRecord::new("a")]).unwrap();
        assert_eq!(s.devices().first().map(|d| d.id.as_str()), Some("a"));
        assert!(s.get("b").is_some() && s.get("c").is_none());
        let e =
            Snapshot::from_records([DeviceRecord::new("a"), DeviceRecord::new("a")]).unwrap_err();
        assert!(e.is_decode());
    }
}
