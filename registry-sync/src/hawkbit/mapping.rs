//! How a [`DeviceRecord`] lands on a hawkBit target, and back.
//!
//! | record | target |
//! | --- | --- |
//! | `id` | `controllerId` (also the `name` of created targets) |
//! | `credentials.primary` | `securityToken` (a secondary is not stored) |
//! | `tags` | target metadata, one entry per tag (ownership tags such as `managedBy=hub-eu1` included) |
//! | `attributes` | target attributes (read via the Management API, written via DDI `configData`) |
//! | `status: Disabled { reason }` | target tag `disabled` assigned, reason in metadata `registrySync.disabledReason` |
//! | `reported` | not stored (hawkBit has no such section) |

use super::model::{MetadataEntry, Tag, Target};
use crate::device::{Credentials, DeviceRecord, DeviceStatus, Secret};
use crate::error::{Error, ErrorKind, Result};
use crate::properties::Properties;
use std::collections::BTreeMap;
use twin_model::hawkbit::target::{
    ATTRIBUTE_KEY_MAX, ATTRIBUTE_VALUE_MAX, ATTRIBUTES_PER_TARGET_MAX, METADATA_KEY_MAX,
    METADATA_PER_TARGET_MAX, METADATA_VALUE_MAX, java_len,
};

/// `controllerId` limit.
const CONTROLLER_ID_MAX: usize = 256;
/// `securityToken` limit.
const TOKEN_MAX: usize = 128;

/// The record ↔ target rules of one connector: which tag and metadata key
/// mark soft-deleted targets, and whether tokens are read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetMapping {
    /// The target tag of soft-deleted targets.
    pub disabled_tag: String,
    /// The metadata key holding the reason.
    pub reason_key: String,
    /// Whether `securityToken` becomes the record's credentials.
    pub read_tokens: bool,
}

impl TargetMapping {
    /// The record for a target, its metadata, its tags and its attributes.
    pub fn record(
        &self,
        target: &Target,
        metadata: &[MetadataEntry],
        tags: &[Tag],
        attributes: &BTreeMap<String, String>,
    ) -> DeviceRecord {
        let mut d = DeviceRecord::new(target.controller_id.as_str());
        if self.read_tokens
            && let Some(t) = &target.security_token
        {
            d.credentials = Some(Credentials::new(Secret::new(t.expose()), None));
        }
        d.tags = metadata
            .iter()
            .filter(|m| m.key != self.reason_key)
            .map(|m| (m.key.as_str(), m.value.as_str()))
            .collect();
        if tags.iter().any(|t| t.name == self.disabled_tag) {
            let reason = metadata
                .iter()
                .find(|m| m.key == self.reason_key)
                .map(|m| m.value.clone().into_boxed_str());
            d.status = DeviceStatus::Disabled { reason };
        }
        d.attributes = attributes
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        d
    }

    /// The metadata a record should leave on its target (tags, plus the
    /// reason of a disabled one).
    pub fn metadata(&self, device: &DeviceRecord) -> BTreeMap<String, String> {
        let mut m: BTreeMap<String, String> = device
            .tags
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        if let DeviceStatus::Disabled {
            reason: Some(reason),
        } = &device.status
        {
            m.insert(self.reason_key.clone(), reason.to_string());
        }
        m
    }

    /// Refuses records hawkBit would refuse (limits of its §4.2), before any
    /// request is sent, so a refused write changes nothing.
    pub fn validate(&self, device: &DeviceRecord) -> Result<()> {
        let id = device.id.as_str();
        let rejected =
            |what: &str| Error::new(ErrorKind::Rejected).with_context(format!("{id}: {what}"));
        if id.is_empty() || java_len(id) > CONTROLLER_ID_MAX || id.chars().any(char::is_whitespace)
        {
            return Err(rejected(
                "controllerId must be 1-256 characters without whitespace",
            ));
        }
        if let Some(c) = &device.credentials {
            let n = java_len(c.expose_primary());
            if n == 0 || n > TOKEN_MAX {
                return Err(rejected("securityToken must be 1-128 characters"));
            }
        }
        if device.tags.contains_key(&self.reason_key) {
            return Err(rejected("tag key is reserved for the disabled reason"));
        }
        let metadata = self.metadata(device);
        if metadata.len() > METADATA_PER_TARGET_MAX {
            return Err(rejected("more than 100 metadata entries"));
        }
        for (k, v) in &metadata {
            if k.is_empty() || java_len(k) > METADATA_KEY_MAX || java_len(v) > METADATA_VALUE_MAX {
                return Err(rejected(
                    "metadata key over 128 or value over 4000 characters",
                ));
            }
        }
        if device.attributes.len() > ATTRIBUTES_PER_TARGET_MAX {
            return Err(rejected("more than 100 attributes"));
        }
        let config = attribute_body(&device.attributes);
        if config.invalid_attribute().is_some()
            || device
                .attributes
                .iter()
                .any(|(k, v)| java_len(k) > ATTRIBUTE_KEY_MAX || java_len(v) > ATTRIBUTE_VALUE_MAX)
        {
            return Err(rejected(
                "attribute over 128 characters or with characters hawkBit refuses",
            ));
        }
        Ok(())
    }
}

/// The `configData` body replacing every attribute with `attributes`.
pub(crate) fn attribute_body(attributes: &Properties) -> ddi_client::model::ConfigData {
    let mut c = ddi_client::model::ConfigData::new(ddi_client::model::ConfigMode::Replace);
    for (k, v) in attributes.iter() {
        c.data.insert(k.to_owned(), Some(v.to_owned()));
    }
    c
}

/// The writes that turn `current` metadata into `desired`.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct MetadataChanges {
    pub(crate) delete: Vec<String>,
    pub(crate) update: Vec<(String, String)>,
    pub(crate) create: Vec<(String, String)>,
}

impl MetadataChanges {
    pub(crate) fn between(
        current: &BTreeMap<String, String>,
        desired: &BTreeMap<String, String>,
    ) -> Self {
        let mut c = Self::default();
        for k in current.keys() {
            if !desired.contains_key(k) {
                c.delete.push(k.clone());
            }
        }
        for (k, v) in desired {
            match current.get(k) {
                None => c.create.push((k.clone(), v.clone())),
                Some(old) if old != v => c.update.push((k.clone(), v.clone())),
                Some(_) => {}
            }
        }
        c
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.delete.is_empty() && self.update.is_empty() && self.create.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn mapping() -> TargetMapping {
        TargetMapping {
            disabled_tag: "disabled".into(),
            reason_key: "reason".into(),
            read_tokens: true,
        }
    }

    #[test]
    fn disabled_targets_come_back_disabled_with_their_reason() {
        let target = Target {
            controller_id: "d1".into(),
            ..Target::default()
        };
        let metadata = [
            MetadataEntry {
                key: "managedBy".into(),
                value: "hub".into(),
            },
            MetadataEntry {
                key: "reason".into(),
                value: "gone".into(),
            },
        ];
        let tags = [Tag {
            name: "disabled".into(),
            ..Tag::default()
        }];
        let d = mapping().record(&target, &metadata, &tags, &BTreeMap::new());
        assert_eq!(d.status, DeviceStatus::disabled("gone"));
        assert_eq!(d.tags.iter().collect::<Vec<_>>(), [("managedBy", "hub")]);
        assert_eq!(
            mapping().metadata(&d).get("reason").map(String::as_str),
            Some("gone")
        );
    }

    #[test]
    fn limits_are_checked_before_sending() {
        let m = mapping();
        assert!(
            m.validate(&DeviceRecord::new("ok").with_tag("k", "v"))
                .is_ok()
        );
        assert!(m.validate(&DeviceRecord::new("has space")).is_err());
        assert!(m.validate(&DeviceRecord::new("")).is_err());
        assert!(m.validate(&DeviceRecord::new("x".repeat(257))).is_err());
        assert!(
            m.validate(&DeviceRecord::new("d").with_tag("reason", "x"))
                .is_err()
        );
        assert!(
            m.validate(&DeviceRecord::new("d").with_attribute("k", &"v".repeat(129)))
                .is_err()
        );
        assert!(
            m.validate(&DeviceRecord::new("d").with_attribute("k", "Größe"))
                .is_err()
        );
        assert!(
            m.validate(&DeviceRecord::new("d").with_tag("k", &"v".repeat(4000)))
                .is_ok()
        );
        assert!(
            m.validate(&DeviceRecord::new("d").with_tag("k", &"v".repeat(4001)))
                .is_err()
        );
        let many = (0..101).fold(DeviceRecord::new("d"), |d, i| {
            d.with_tag(&format!("k{i}"), "v")
        });
        assert!(m.validate(&many).is_err());
        let tok = DeviceRecord::new("d")
            .with_credentials(Credentials::new(Secret::new("t".repeat(129)), None));
        assert!(m.validate(&tok).is_err());
    }

    fn arb_record() -> impl Strategy<Value = DeviceRecord> {
        (
            "[a-z0-9-]{1,12}",
            proptest::option::of("[0-9a-f]{1,32}"),
            proptest::collection::btree_map("[A-Z][a-zA-Z.]{0,7}", "\\PC{0,12}", 0..6),
            proptest::collection::btree_map("[a-zA-Z_]{1,8}", "[a-zA-Z0-9 ().-]{0,12}", 0..6),
            proptest::option::of(proptest::option::of("\\PC{1,10}")),
        )
            .prop_map(|(id, token, tags, attrs, disabled)| {
                let mut d = DeviceRecord::new(id);
                if let Some(t) = token {
                    d.credentials = Some(Credentials::new(Secret::new(t), None));
                }
                d.tags = tags.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                d.attributes = attrs
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                if let Some(reason) = disabled {
                    d.status = DeviceStatus::Disabled {
                        reason: reason.map(String::into_boxed_str),
                    };
                }
                d
            })
    }

    proptest! {
        /// What the connector writes for a record (token, metadata, the
        /// disabled tag, attributes) reads back as the same record.
        #[test]
        fn records_survive_the_round_trip_through_a_target(d in arb_record()) {
            let m = mapping();
            prop_assert!(m.validate(&d).is_ok());
            let target = Target {
                controller_id: d.id.to_string(),
                security_token: d
                    .credentials
                    .as_ref()
                    .map(|c| twin_model::iothub::secret::Secret::new(c.expose_primary())),
                ..Target::default()
            };
            let metadata: Vec<MetadataEntry> = m
                .metadata(&d)
                .into_iter()
                .map(|(key, value)| MetadataEntry { key, value })
                .collect();
            let tags = if d.status.is_enabled() {
                Vec::new()
            } else {
                vec![Tag { name: m.disabled_tag.clone(), ..Tag::default() }]
            };
            let config = attribute_body(&d.attributes);
            let attributes: BTreeMap<String, String> = config
                .data
                .into_iter()
                .filter_map(|(k, v)| Some((k, v?)))
                .collect();
            let back = m.record(&target, &metadata, &tags, &attributes);
            prop_assert_eq!(back, d);
        }

        #[test]
        fn applying_the_changes_yields_the_desired_metadata(
            current in proptest::collection::btree_map("[a-d]", "[0-2]", 0..5),
            desired in proptest::collection::btree_map("[a-d]", "[0-2]", 0..5),
        ) {
            let c = MetadataChanges::between(&current, &desired);
            let mut now = current.clone();
            for k in &c.delete { now.remove(k); }
            for (k, v) in c.update.iter().chain(&c.create) { now.insert(k.clone(), v.clone()); }
            prop_assert_eq!(&now, &desired);
            prop_assert_eq!(c.is_empty(), current == desired);
        }
    }
}
