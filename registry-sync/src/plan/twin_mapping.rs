//! `twin-model`'s IoT Hub twin → hawkBit mapping behind the
//! [`AttributeMapping`] seam.
//!
//! [`TwinAttributes`] turns a master device's twin tags and reported
//! properties into what a hawkBit target can hold, under hawkBit's limits:
//!
//! * **attributes**: `twin_model::mapping::attributes::twin_to_attributes`:
//!   tags under `tags.` then reported properties under `reported.` (the
//!   prefixes are configurable), flattened, keys and values of at most 128
//!   characters, at most 100 entries, with twin-model's documented policy for
//!   what does not fit (dropped, or truncated on request);
//! * **tags** (hawkBit target metadata): `tags_to_metadata`: one entry per
//!   top-level twin tag, a nested value as its JSON text (split one level
//!   deeper only when over 4000 characters), under an optional key prefix.
//!
//! The mapping is deterministic, as the planner requires. What it leaves out
//! is never silent: [`TwinAttributes::explain`] returns twin-model's full
//! report (dropped, truncated and ambiguous entries) for any device, for
//! logs or an operator view.

use super::AttributeMapping;
use crate::model::{DeviceRecord, Properties};
use std::borrow::Cow;
use twin_model::mapping::attributes::{AttributeMapping as TwinReport, AttributeOptions};
use twin_model::mapping::tags::{MetadataMapping, tags_to_metadata};

/// Twin tags and reported properties to hawkBit attributes and metadata,
/// through `twin-model`'s mapping and limits.
#[derive(Clone, Debug, Default)]
pub struct TwinAttributes {
    options: AttributeOptions,
    metadata_prefix: String,
}

/// What [`TwinAttributes`] made of one device, with everything it left out.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TwinMappingReport {
    /// The attribute mapping, with dropped, truncated and ambiguous keys.
    pub attributes: TwinReport,
    /// The metadata mapping, with dropped and ambiguous keys.
    pub metadata: MetadataMapping,
    /// Flat keys that could not be placed in a tree (`a` next to `a.b`),
    /// left out of both.
    pub conflicting: Vec<String>,
}

impl TwinMappingReport {
    /// Whether nothing was left out, cut or made ambiguous.
    pub fn is_lossless(&self) -> bool {
        self.attributes.is_lossless() && self.metadata.is_lossless() && self.conflicting.is_empty()
    }
}

impl TwinAttributes {
    /// twin-model's default options (`tags.` / `reported.` prefixes, 100
    /// attributes, long values dropped), metadata keys unprefixed.
    pub fn new() -> Self {
        Self::default()
    }

    /// The attribute options (default: twin-model's `AttributeOptions::default()`).
    pub fn options(&mut self, options: AttributeOptions) -> &mut Self {
        self.options = options;
        self
    }

    /// A prefix for metadata keys, e.g. `tags.` (default none).
    pub fn metadata_prefix(&mut self, prefix: impl Into<String>) -> &mut Self {
        self.metadata_prefix = prefix.into();
        self
    }

    /// The full mapping of `master`, with everything it left out.
    pub fn explain(&self, master: &DeviceRecord) -> TwinMappingReport {
        let (tags, mut conflicting) = crate::twin_json::tree_lenient(&master.tags);
        let (reported, more) = crate::twin_json::tree_lenient(&master.reported);
        conflicting.extend(more);
        TwinMappingReport {
            attributes: twin_model::mapping::attributes::twin_to_attributes(
                Some(&tags),
                Some(&reported),
                &self.options,
            ),
            metadata: tags_to_metadata(&tags, &self.metadata_prefix),
            conflicting,
        }
    }
}

impl AttributeMapping for TwinAttributes {
    fn tags<'a>(&self, master: &'a DeviceRecord) -> Cow<'a, Properties> {
        let (tags, _) = crate::twin_json::tree_lenient(&master.tags);
        let mapped = tags_to_metadata(&tags, &self.metadata_prefix);
        Cow::Owned(
            mapped
                .entries
                .into_iter()
                .map(|e| (e.key, e.value))
                .collect(),
        )
    }

    fn attributes<'a>(&self, master: &'a DeviceRecord) -> Cow<'a, Properties> {
        let (tags, _) = crate::twin_json::tree_lenient(&master.tags);
        let (reported, _) = crate::twin_json::tree_lenient(&master.reported);
        let mapped = twin_model::mapping::attributes::twin_to_attributes(
            Some(&tags),
            Some(&reported),
            &self.options,
        );
        Cow::Owned(mapped.attributes.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device() -> DeviceRecord {
        DeviceRecord::new("d-1")
            .with_tag("site.name", "north")
            .with_tag("floor", "3")
            .with_reported("firmware.version", "1.2.0")
            .with_reported("huge", &"x".repeat(300))
    }

    #[test]
    fn attributes_follow_twin_models_policy_and_limits() {
        let m = TwinAttributes::new();
        let d = device();
        let a = m.attributes(&d);
        assert_eq!(a.get("tags.site.name"), Some("north"));
        assert_eq!(a.get("tags.floor"), Some("3"));
        assert_eq!(a.get("reported.firmware.version"), Some("1.2.0"));
        assert_eq!(a.get("reported.huge"), None, "over 128 characters: dropped");
        let report = m.explain(&d);
        assert!(!report.is_lossless());
        assert_eq!(report.attributes.dropped.len(), 1);
        assert_eq!(report.attributes.dropped[0].key, "reported.huge");
    }

    #[test]
    fn at_most_one_hundred_attributes_and_the_rest_reported() {
        let mut d = DeviceRecord::new("many");
        for i in 0..150 {
            d = d.with_reported(&format!("k{i:03}"), "v");
        }
        let m = TwinAttributes::new();
        assert_eq!(m.attributes(&d).len(), 100);
        assert_eq!(m.explain(&d).attributes.dropped.len(), 50);
    }

    #[test]
    fn tags_become_metadata_and_conflicts_are_listed_not_lost_silently() {
        let d = DeviceRecord::new("c")
            .with_tag("a", "1")
            .with_tag("a.b", "2")
            .with_tag("zone", "eu");
        let mut m = TwinAttributes::new();
        m.metadata_prefix("twin.");
        let tags = m.tags(&d);
        assert_eq!(tags.get("twin.zone"), Some("eu"));
        assert_eq!(tags.get("twin.a"), Some("1"));
        assert_eq!(m.explain(&d).conflicting, ["a.b"]);
    }

    #[test]
    fn the_mapping_is_deterministic() {
        let m = TwinAttributes::new();
        assert_eq!(m.attributes(&device()), m.attributes(&device()));
        assert_eq!(m.tags(&device()), m.tags(&device()));
    }
}
