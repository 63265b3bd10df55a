//! Twin tags and reported properties to hawkBit target attributes, and back.
//!
//! # Policy (deterministic, reported to the caller)
//!
//! 1. Both sections are flattened ([`super::flatten`]): tags under
//!    [`AttributeOptions::tags_prefix`] (default `tags.`), then reported
//!    properties under [`AttributeOptions::reported_prefix`] (default
//!    `reported.`), each in key order. Values use [`super::value_text`].
//! 2. An entry nested deeper than [`super::flatten::MAX_FLATTEN_DEPTH`]
//!    is dropped ([`DropReason::TooDeep`]); valid twins nest at most 10.
//!    A key with a path segment containing `.` (not a valid twin key) is
//!    dropped ([`DropReason::AmbiguousKey`]): it could not be reversed.
//! 3. A key over 128 characters (UTF-16 units, as hawkBit counts) is
//!    dropped ([`DropReason::KeyTooLong`]); so is an entry whose key or
//!    value has a character DDI `configData` refuses
//!    ([`crate::hawkbit::target::is_attribute_text`]: non-ASCII among
//!    others), which would make the server reject every attribute of the
//!    upload ([`DropReason::UnsupportedCharacters`]).
//! 4. A value over 128 characters is dropped ([`DropReason::ValueTooLong`])
//!    or, with [`ValueOverflow::Truncate`], cut to 128 characters at a
//!    character boundary and listed in [`AttributeMapping::truncated`].
//! 5. Of what remains, the first [`AttributeOptions::max_entries`] (≤ 100)
//!    in the order of step 1 are kept; the rest are dropped
//!    ([`DropReason::OverLimit`]), so tags win over reported properties.
//!
//! Strings are written raw; one that reads back as another JSON type
//! (`"1.0"`, `"true"`) is kept but listed in [`AttributeMapping::ambiguous`].
//! The reverse mapping is exact when [`AttributeMapping::is_lossless`].

use std::collections::BTreeMap;

use ddi_client::model::{ConfigData, ConfigMode};
use serde_json::{Map, Value};

use crate::hawkbit::target::{
    ATTRIBUTE_KEY_MAX, ATTRIBUTE_VALUE_MAX, ATTRIBUTES_PER_TARGET_MAX, is_attribute_text, java_len,
};
use crate::mapping::flatten::{UnflattenError, flatten, insert_dotted};
use crate::mapping::value_text::{from_text, is_ambiguous, to_text};

/// What to do with values over 128 characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ValueOverflow {
    /// Drop the attribute (default; keeps the mapping reversible).
    #[default]
    Drop,
    /// Keep the first 128 characters (not reversible).
    Truncate,
}

/// Options of the attribute mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeOptions {
    /// Prefix of tag keys; must be non-empty for the reverse mapping.
    pub tags_prefix: String,
    /// Prefix of reported keys.
    pub reported_prefix: String,
    /// Maximum attributes (clamped to 100, hawkBit's default quota); lower
    /// it to leave room for attributes the device sets itself.
    pub max_entries: usize,
    /// Long value policy.
    pub value_overflow: ValueOverflow,
}

impl Default for AttributeOptions {
    fn default() -> Self {
        Self {
            tags_prefix: "tags.".to_owned(),
            reported_prefix: "reported.".to_owned(),
            max_entries: ATTRIBUTES_PER_TARGET_MAX,
            value_overflow: ValueOverflow::Drop,
        }
    }
}

/// Why an entry was not mapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DropReason {
    /// A path segment contains `.`.
    AmbiguousKey,
    /// Key over 128 characters.
    KeyTooLong,
    /// Value over 128 characters.
    ValueTooLong,
    /// Beyond the entry limit.
    OverLimit,
    /// Nested deeper than [`crate::mapping::flatten::MAX_FLATTEN_DEPTH`].
    TooDeep,
    /// The key or value has a character hawkBit's `configData` refuses.
    UnsupportedCharacters,
}

/// An entry left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DroppedEntry {
    /// The flattened key (with prefix).
    pub key: String,
    /// Why.
    pub reason: DropReason,
}

/// The result of [`twin_to_attributes`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AttributeMapping {
    /// The attributes to send.
    pub attributes: BTreeMap<String, String>,
    /// Entries left out, in policy order.
    pub dropped: Vec<DroppedEntry>,
    /// Keys whose value was truncated.
    pub truncated: Vec<String>,
    /// Keys holding a string that reads back as another JSON type (see
    /// [`crate::mapping::value_text::is_ambiguous`]).
    pub ambiguous: Vec<String>,
}

impl AttributeMapping {
    /// True when nothing was dropped, truncated or made ambiguous, so
    /// [`attributes_to_twin`] gives back exactly the input.
    pub fn is_lossless(&self) -> bool {
        self.dropped.is_empty() && self.truncated.is_empty() && self.ambiguous.is_empty()
    }

    /// A DDI `configData` body carrying the attributes.
    pub fn to_config_data(&self, mode: ConfigMode) -> ConfigData {
        self.attributes
            .iter()
            .fold(ConfigData::new(mode), |body, (k, v)| body.with(k, v))
    }
}

fn truncate_java(s: &str, max: usize) -> String {
    let mut units = 0;
    let mut out = String::new();
    for c in s.chars() {
        units += c.len_utf16();
        if units > max {
            break;
        }
        out.push(c);
    }
    out
}

/// Maps tags and reported properties to attributes under `options`.
pub fn twin_to_attributes(
    tags: Option<&Map<String, Value>>,
    reported: Option<&Map<String, Value>>,
    options: &AttributeOptions,
) -> AttributeMapping {
    let mut out = AttributeMapping::default();
    let max = options.max_entries.min(ATTRIBUTES_PER_TARGET_MAX);
    let empty = Map::new();
    let sections = [
        (&options.tags_prefix, tags.unwrap_or(&empty)),
        (&options.reported_prefix, reported.unwrap_or(&empty)),
    ];
    let mut kept = 0;
    for (prefix, section) in sections {
        for entry in flatten(section) {
            let key = format!("{prefix}{}", entry.dotted());
            let reason = if entry.too_deep {
                Some(DropReason::TooDeep)
            } else if entry.path.iter().any(|s| s.contains('.')) {
                Some(DropReason::AmbiguousKey)
            } else if java_len(&key) > ATTRIBUTE_KEY_MAX {
                Some(DropReason::KeyTooLong)
            } else if !is_attribute_text(&key) {
                Some(DropReason::UnsupportedCharacters)
            } else {
                None
            };
            if let Some(reason) = reason {
                out.dropped.push(DroppedEntry { key, reason });
                continue;
            }
            let mut value = to_text(entry.value);
            if !is_attribute_text(&value) {
                out.dropped.push(DroppedEntry {
                    key,
                    reason: DropReason::UnsupportedCharacters,
                });
                continue;
            }
            if java_len(&value) > ATTRIBUTE_VALUE_MAX {
                match options.value_overflow {
                    ValueOverflow::Drop => {
                        out.dropped.push(DroppedEntry {
                            key,
                            reason: DropReason::ValueTooLong,
                        });
                        continue;
                    }
                    ValueOverflow::Truncate => {
                        value = truncate_java(&value, ATTRIBUTE_VALUE_MAX);
                        out.truncated.push(key.clone());
                    }
                }
            }
            if kept >= max {
                out.truncated.retain(|k| k != &key);
                out.dropped.push(DroppedEntry {
                    key,
                    reason: DropReason::OverLimit,
                });
                continue;
            }
            kept += 1;
            if is_ambiguous(entry.value) {
                out.ambiguous.push(key.clone());
            }
            out.attributes.insert(key, value);
        }
    }
    out
}

/// Tags and reported properties rebuilt from attributes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TwinSections {
    /// Rebuilt tags.
    pub tags: Map<String, Value>,
    /// Rebuilt reported properties.
    pub reported: Map<String, Value>,
    /// Attributes with neither prefix (set by the device itself).
    pub unmapped: BTreeMap<String, String>,
}

/// The reverse of [`twin_to_attributes`]; exact for lossless mappings.
pub fn attributes_to_twin(
    attributes: &BTreeMap<String, String>,
    options: &AttributeOptions,
) -> Result<TwinSections, UnflattenError> {
    let mut out = TwinSections::default();
    for (key, text) in attributes {
        if let Some(rest) = key
            .strip_prefix(options.tags_prefix.as_str())
            .filter(|_| !options.tags_prefix.is_empty())
        {
            insert_dotted(&mut out.tags, rest, from_text(text))?;
        } else if let Some(rest) = key.strip_prefix(options.reported_prefix.as_str()) {
            insert_dotted(&mut out.reported, rest, from_text(text))?;
        } else {
            out.unmapped.insert(key.clone(), text.clone());
        }
    }
    Ok(out)
}
