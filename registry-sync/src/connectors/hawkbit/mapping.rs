//! How a [`DeviceRecord`] lands on a hawkBit target, and back.
//!
//! | record | target |
//! | --- | --- |
//! | `id` | `controllerId` (also the `name` of created targets) |
//! | `credentials.primary` | `securityToken` (a secondary is not stored) |
//! | `tags` | target metadata, one entry per tag (ownership tags such as `managedBy=hub-eu1` included) |
//! | `attributes` | target attributes (read via the Management API, written via DDI `configData`) |
//! | `status: Disabled { reason }` | target tag `disabled` assigned, reason in metadata `registrySync.disabledReason` |
//! | tag named by `name_tag` / `description_tag` (when set) | the target's `name` / `description` instead of metadata |
//! | `reported` | not stored (hawkBit has no such section) |

use super::model::{MetadataEntry, Tag, Target};
use crate::error::{Error, ErrorKind, Result};
use crate::model::Properties;
use crate::model::{Credentials, DeviceRecord, DeviceStatus};
use std::collections::BTreeMap;
use twin_model::hawkbit::target::{
    ATTRIBUTE_KEY_MAX, ATTRIBUTE_VALUE_MAX, ATTRIBUTES_PER_TARGET_MAX, METADATA_KEY_MAX,
    METADATA_PER_TARGET_MAX, METADATA_VALUE_MAX, NAME_MAX, java_len,
};

/// `controllerId` limit.
const CONTROLLER_ID_MAX: usize = 256;
/// `securityToken` limit.
const TOKEN_MAX: usize = 128;
/// `description` limit.
const DESCRIPTION_MAX: usize = 512;

/// The record ↔ target rules of one connector: which tag and metadata key
/// mark soft-deleted targets, whether tokens are read, and which record
/// tags (if any) stand for the target's name and description.
///
/// A connector takes them from its [`HawkbitConfig`](super::HawkbitConfig)
/// ([`HawkbitRegistry::mapping`](super::HawkbitRegistry::mapping)); built
/// alone, it previews what a connector would write and read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetMapping {
    pub(super) disabled_tag: String,
    pub(super) reason_key: String,
    pub(super) read_tokens: bool,
    pub(super) name_tag: Option<String>,
    pub(super) description_tag: Option<String>,
}

impl Default for TargetMapping {
    fn default() -> Self {
        Self::new()
    }
}

impl TargetMapping {
    /// Soft delete with the default tag and reason key, tokens read, no
    /// name or description tag.
    pub fn new() -> Self {
        Self {
            disabled_tag: super::config::DEFAULT_DISABLED_TAG.to_owned(),
            reason_key: super::config::DEFAULT_REASON_KEY.to_owned(),
            read_tokens: true,
            name_tag: None,
            description_tag: None,
        }
    }

    /// The target tag of soft-deleted targets (default
    /// [`DEFAULT_DISABLED_TAG`](super::DEFAULT_DISABLED_TAG)).
    pub fn disabled_tag(&mut self, tag: impl Into<String>) -> &mut Self {
        self.disabled_tag = tag.into();
        self
    }

    /// The metadata key holding a soft-deleted target's reason (default
    /// [`DEFAULT_REASON_KEY`](super::DEFAULT_REASON_KEY)).
    pub fn reason_key(&mut self, key: impl Into<String>) -> &mut Self {
        self.reason_key = key.into();
        self
    }

    /// Whether `securityToken` becomes the record's credentials (default true).
    pub fn read_tokens(&mut self, yes: bool) -> &mut Self {
        self.read_tokens = yes;
        self
    }

    /// The record tag holding the target's `name` (default none: the name is
    /// the `controllerId` and never written after the create).
    pub fn name_tag(&mut self, key: impl Into<String>) -> &mut Self {
        self.name_tag = Some(key.into());
        self
    }

    /// The record tag holding the target's `description` (default none: the
    /// description is left alone).
    pub fn description_tag(&mut self, key: impl Into<String>) -> &mut Self {
        self.description_tag = Some(key.into());
        self
    }

    /// The target tag of soft-deleted targets.
    pub fn get_disabled_tag(&self) -> &str {
        &self.disabled_tag
    }

    /// The metadata key holding the reason.
    pub fn get_reason_key(&self) -> &str {
        &self.reason_key
    }

    /// Whether tokens are read.
    pub fn get_read_tokens(&self) -> bool {
        self.read_tokens
    }

    /// The record tag holding the target's name, if any.
    pub fn get_name_tag(&self) -> Option<&str> {
        self.name_tag.as_deref()
    }

    /// The record tag holding the target's description, if any.
    pub fn get_description_tag(&self) -> Option<&str> {
        self.description_tag.as_deref()
    }

    /// Whether `key` is a tag that is not stored as metadata.
    fn is_field_tag(&self, key: &str) -> bool {
        self.name_tag.as_deref() == Some(key) || self.description_tag.as_deref() == Some(key)
    }

    /// The `name` a record's target should have: the name tag's value, else
    /// the controller id.
    pub fn name(&self, device: &DeviceRecord) -> String {
        self.name_tag
            .as_deref()
            .and_then(|k| device.tags.get(k))
            .unwrap_or(device.id.as_str())
            .to_owned()
    }

    /// The `description` a record's target should have (`None`: not managed;
    /// empty: none).
    pub fn description(&self, device: &DeviceRecord) -> Option<String> {
        let key = self.description_tag.as_deref()?;
        Some(device.tags.get(key).unwrap_or_default().to_owned())
    }
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
            d.credentials = Some(Credentials::new(t.clone(), None));
        }
        d.tags = metadata
            .iter()
            .filter(|m| m.key != self.reason_key && !self.is_field_tag(&m.key))
            .map(|m| (m.key.as_str(), m.value.as_str()))
            .collect();
        if let Some(k) = &self.name_tag
            && !target.name.is_empty()
            && target.name != target.controller_id
        {
            d.tags.insert(k.as_str(), target.name.as_str());
        }
        if let (Some(k), Some(desc)) = (&self.description_tag, &target.description)
            && !desc.is_empty()
        {
            d.tags.insert(k.as_str(), desc.as_str());
        }
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
            .filter(|(k, _)| !self.is_field_tag(k))
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
        let name = java_len(&self.name(device));
        if name == 0 || name > NAME_MAX {
            return Err(rejected("name must be 1-128 characters"));
        }
        if self
            .description(device)
            .is_some_and(|d| java_len(&d) > DESCRIPTION_MAX)
        {
            return Err(rejected("description over 512 characters"));
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
    use crate::model::Secret;
    use proptest::prelude::*;

    fn mapping() -> TargetMapping {
        let mut m = TargetMapping::new();
        m.disabled_tag("disabled").reason_key("reason");
        m
    }

    fn named() -> TargetMapping {
        let mut m = mapping();
        m.name_tag("Name").description_tag("Description");
        m
    }

    #[test]
    fn name_and_description_tags_are_target_fields_not_metadata() {
        let m = named();
        let d = DeviceRecord::new("d1")
            .with_tag("Name", "Pump 7")
            .with_tag("Description", "basement")
            .with_tag("site", "x");
        assert_eq!(m.name(&d), "Pump 7");
        assert_eq!(m.description(&d).as_deref(), Some("basement"));
        assert_eq!(m.metadata(&d).keys().collect::<Vec<_>>(), ["site"]);
        assert_eq!(m.name(&DeviceRecord::new("d2")), "d2");
        assert_eq!(m.description(&DeviceRecord::new("d2")).as_deref(), Some(""));
        assert_eq!(
            mapping().description(&d),
            None,
            "not managed without the tag"
        );
        assert!(
            m.validate(&DeviceRecord::new("d").with_tag("Name", &"n".repeat(129)))
                .is_err()
        );
        assert!(
            m.validate(&DeviceRecord::new("d").with_tag("Name", ""))
                .is_err()
        );
        assert!(
            m.validate(&DeviceRecord::new("d").with_tag("Description", &"d".repeat(513)))
                .is_err()
        );
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
            proptest::collection::btree_map("T[a-zA-Z.]{0,7}", "\\PC{0,12}", 0..6),
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
        fn records_survive_the_round_trip_through_a_target(
            d in arb_record(),
            with_fields in proptest::bool::ANY,
            name in proptest::option::of("[A-Z][A-Za-z ]{0,19}"),
            description in proptest::option::of("\\PC{1,30}"),
        ) {
            let mut d = d;
            let m = if with_fields {
                if let Some(n) = &name { d.tags.insert("Name", n.as_str()); }
                if let Some(t) = &description { d.tags.insert("Description", t.as_str()); }
                named()
            } else {
                mapping()
            };
            prop_assert!(m.validate(&d).is_ok());
            let target = Target {
                controller_id: d.id.to_string(),
                name: m.name(&d),
                description: m.description(&d),
                security_token: d
                    .credentials
                    .as_ref()
                    .map(|c| Secret::new(c.expose_primary())),
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
