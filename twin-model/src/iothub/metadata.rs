//! `$metadata` trees of twin property sections.

use std::collections::BTreeMap;

use serde::de::Error as _;
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::timestamp::Timestamp;

/// One node of a `$metadata` tree: when (and at which desired `$version`)
/// the matching property node was last written, plus its children.
///
/// IoT Hub keeps metadata for intermediate objects too, so a removal shows
/// as a newer `$lastUpdated` on the parent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MetadataNode {
    /// `$lastUpdated`.
    pub last_updated: Option<Timestamp>,
    /// `$lastUpdatedVersion` (desired sections only).
    pub last_updated_version: Option<i64>,
    /// Metadata of the child properties, by key.
    pub children: BTreeMap<String, Self>,
}

impl MetadataNode {
    /// A leaf stamped with `at` (and `version` for desired sections).
    pub fn stamped(at: Timestamp, version: Option<i64>) -> Self {
        Self {
            last_updated: Some(at),
            last_updated_version: version,
            children: BTreeMap::new(),
        }
    }

    /// Builds a node from a JSON object, ignoring unknown `$` keys and
    /// non-object children (lenient decode).
    pub fn from_map(map: &Map<String, Value>) -> Self {
        let mut node = Self::default();
        for (k, v) in map {
            match k.as_str() {
                "$lastUpdated" => node.last_updated = v.as_str().map(Timestamp::parse),
                "$lastUpdatedVersion" => node.last_updated_version = v.as_i64(),
                _ if k.starts_with('$') => {}
                _ => {
                    if let Value::Object(child) = v {
                        node.children.insert(k.clone(), Self::from_map(child));
                    }
                }
            }
        }
        node
    }

    /// The node at `path` below this one.
    pub fn get(&self, path: &[&str]) -> Option<&Self> {
        path.iter().try_fold(self, |n, k| n.children.get(*k))
    }
}

impl Serialize for MetadataNode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let len = usize::from(self.last_updated.is_some())
            + usize::from(self.last_updated_version.is_some())
            + self.children.len();
        let mut m = s.serialize_map(Some(len))?;
        if let Some(t) = &self.last_updated {
            m.serialize_entry("$lastUpdated", t)?;
        }
        if let Some(v) = &self.last_updated_version {
            m.serialize_entry("$lastUpdatedVersion", v)?;
        }
        for (k, v) in &self.children {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for MetadataNode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::Object(map) => Ok(Self::from_map(&map)),
            other => Err(D::Error::custom(format_args!(
                "expected a $metadata object, found {}",
                crate::json_kind(&other)
            ))),
        }
    }
}
