//! Twin tags to hawkBit target metadata and target tags.
//!
//! # Metadata policy
//!
//! Each top-level tag becomes one entry `"{prefix}{key}"` whose value is
//! the [`super::value_text`] form of the whole tag value. When that text is
//! over 4000 characters and the value is an object, the object is split
//! one level deeper (`{prefix}{key}.{child}`), recursively; a leaf that
//! still does not fit is dropped, as are keys containing `.`, keys over
//! 128 characters and values nested deeper than
//! [`super::flatten::MAX_FLATTEN_DEPTH`]. At most 100 entries are kept, in
//! key order; the rest are dropped. Every drop is reported. The reverse ([`metadata_to_tags`]) is exact when
//! [`MetadataMapping::is_lossless`].
//!
//! # Target tag policy
//!
//! Every flattened scalar leaf becomes a tag named `key=value` (value in
//! text form); names over 128 characters and over-deep leaves are dropped
//! and reported. Target
//! tags are a one-way projection for filtering in the hawkBit UI: twin keys
//! may contain `=`, so names are not parsed back.

use serde_json::{Map, Value};

use crate::hawkbit::target::{
    METADATA_KEY_MAX, METADATA_PER_TARGET_MAX, METADATA_VALUE_MAX, MetadataEntry, NAME_MAX,
    java_len,
};
use crate::mapping::attributes::{DropReason, DroppedEntry};
use crate::mapping::flatten::{
    MAX_FLATTEN_DEPTH, UnflattenError, flatten, insert_dotted, nests_deeper_than,
};
use crate::mapping::value_text::{from_text, is_ambiguous, to_text};

/// Default prefix of metadata keys written from tags.
pub const METADATA_PREFIX: &str = "twin.tags.";

/// The result of [`tags_to_metadata`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MetadataMapping {
    /// Entries to write, in key order.
    pub entries: Vec<MetadataEntry>,
    /// Entries left out.
    pub dropped: Vec<DroppedEntry>,
    /// Keys holding a string that reads back as another JSON type.
    pub ambiguous: Vec<String>,
}

impl MetadataMapping {
    /// True when [`metadata_to_tags`] gives back exactly the input.
    pub fn is_lossless(&self) -> bool {
        self.dropped.is_empty() && self.ambiguous.is_empty()
    }
}

/// Maps tags to metadata entries under `prefix` (see the module policy).
pub fn tags_to_metadata(tags: &Map<String, Value>, prefix: &str) -> MetadataMapping {
    let mut out = MetadataMapping::default();
    let mut stack: Vec<(Vec<&str>, &Value)> = tags
        .iter()
        .rev()
        .map(|(k, v)| (vec![k.as_str()], v))
        .collect();
    while let Some((path, value)) = stack.pop() {
        let key = format!("{prefix}{}", path.join("."));
        if path.iter().any(|s| s.contains('.')) {
            out.dropped.push(DroppedEntry {
                key,
                reason: DropReason::AmbiguousKey,
            });
            continue;
        }
        // Serializing a hostile tree would recurse; such tags are invalid anyway.
        if path.len() + 1 >= MAX_FLATTEN_DEPTH || nests_deeper_than(value, MAX_FLATTEN_DEPTH) {
            out.dropped.push(DroppedEntry {
                key,
                reason: DropReason::TooDeep,
            });
            continue;
        }
        let text = to_text(value);
        if java_len(&text) > METADATA_VALUE_MAX {
            if let Value::Object(m) = value
                && !m.is_empty()
            {
                stack.extend(m.iter().rev().map(|(k, v)| {
                    let mut p = path.clone();
                    p.push(k.as_str());
                    (p, v)
                }));
            } else {
                out.dropped.push(DroppedEntry {
                    key,
                    reason: DropReason::ValueTooLong,
                });
            }
            continue;
        }
        if java_len(&key) > METADATA_KEY_MAX {
            out.dropped.push(DroppedEntry {
                key,
                reason: DropReason::KeyTooLong,
            });
        } else if out.entries.len() >= METADATA_PER_TARGET_MAX {
            out.dropped.push(DroppedEntry {
                key,
                reason: DropReason::OverLimit,
            });
        } else {
            if is_ambiguous(value) {
                out.ambiguous.push(key.clone());
            }
            out.entries.push(MetadataEntry { key, value: text });
        }
    }
    out
}

/// Rebuilds tags from metadata entries under `prefix`; other entries are
/// ignored.
pub fn metadata_to_tags(
    entries: &[MetadataEntry],
    prefix: &str,
) -> Result<Map<String, Value>, UnflattenError> {
    let mut tags = Map::new();
    for e in entries {
        if let Some(path) = e.key.strip_prefix(prefix) {
            insert_dotted(&mut tags, path, from_text(&e.value))?;
        }
    }
    Ok(tags)
}

/// The result of [`tags_to_target_tags`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TargetTagMapping {
    /// Tag names `key=value`, sorted.
    pub names: Vec<String>,
    /// Leaves left out.
    pub dropped: Vec<DroppedEntry>,
}

/// Maps scalar tag leaves to target tag names `key=value`.
pub fn tags_to_target_tags(tags: &Map<String, Value>) -> TargetTagMapping {
    let mut out = TargetTagMapping::default();
    for entry in flatten(tags) {
        if entry.too_deep {
            out.dropped.push(DroppedEntry {
                key: entry.dotted(),
                reason: DropReason::TooDeep,
            });
            continue;
        }
        if entry.value.is_object() || entry.value.is_array() {
            continue;
        }
        let name = format!("{}={}", entry.dotted(), to_text(entry.value));
        if java_len(&name) > NAME_MAX {
            out.dropped.push(DroppedEntry {
                key: entry.dotted(),
                reason: DropReason::ValueTooLong,
            });
        } else {
            out.names.push(name);
        }
    }
    out.names.sort();
    out
}
