//! Applying twin patches with `$metadata` and `$version` maintained the
//! way IoT Hub does.
//!
//! * Each written section gets `$version + 1`; the twin `version` gets +1
//!   when anything changed. The ETag is opaque and left to the service.
//! * Every node on a written path (the section root included) gets
//!   `$lastUpdated = now`; desired nodes also `$lastUpdatedVersion`.
//!   Removed keys lose their metadata, while their parent's newer
//!   `$lastUpdated` shows the removal. Tags carry no metadata.

use serde_json::{Map, Value};

use crate::iothub::metadata::MetadataNode;
use crate::iothub::properties::{PropertySection, TwinProperties};
use crate::iothub::twin::{Twin, TwinPatch};
use crate::patch::error::PatchError;
use crate::patch::merge::{guard, merge_rec};
use crate::timestamp::Timestamp;

struct Stamp<'a> {
    at: &'a Timestamp,
    version: Option<i64>,
}

fn merge_stamped(
    target: &mut Map<String, Value>,
    meta: &mut MetadataNode,
    patch: &Map<String, Value>,
    stamp: &Stamp<'_>,
) {
    meta.last_updated = Some(stamp.at.clone());
    if stamp.version.is_some() {
        meta.last_updated_version = stamp.version;
    }
    for (k, v) in patch {
        match v {
            Value::Null => {
                target.remove(k);
                meta.children.remove(k);
            }
            Value::Object(p) => {
                let entry = target
                    .entry(k.clone())
                    .or_insert_with(|| Value::Object(Map::new()));
                if !entry.is_object() {
                    *entry = Value::Object(Map::new());
                    meta.children.remove(k);
                }
                let child = meta.children.entry(k.clone()).or_default();
                if let Value::Object(t) = entry {
                    merge_stamped(t, child, p, stamp);
                }
            }
            other => {
                target.insert(k.clone(), other.clone());
                meta.children.insert(
                    k.clone(),
                    MetadataNode::stamped(stamp.at.clone(), stamp.version),
                );
            }
        }
    }
}

/// Applies a patch to one property section, bumping `$version` and
/// stamping `$metadata`. `desired` selects `$lastUpdatedVersion` stamping.
pub fn apply_section_patch(
    section: &mut PropertySection,
    patch: &Map<String, Value>,
    now: &Timestamp,
    desired: bool,
) -> Result<(), PatchError> {
    guard("patch", patch)?;
    let version = section.version.unwrap_or(0) + 1;
    section.version = Some(version);
    let stamp = Stamp {
        at: now,
        version: desired.then_some(version),
    };
    let meta = section.metadata.get_or_insert_with(MetadataNode::default);
    merge_stamped(&mut section.values, meta, patch, &stamp);
    Ok(())
}

/// Applies a [`TwinPatch`] (tags, desired, reported) at time `now`.
pub fn apply_twin_patch(
    twin: &mut Twin,
    patch: &TwinPatch,
    now: &Timestamp,
) -> Result<(), PatchError> {
    if let Some(t) = &patch.tags {
        guard("tags patch", t)?;
    }
    let (desired, reported) = match &patch.properties {
        Some(p) => (p.desired.as_ref(), p.reported.as_ref()),
        None => (None, None),
    };
    for section in [desired, reported].into_iter().flatten() {
        guard("patch", section)?;
    }
    let mut changed = false;
    if let Some(t) = &patch.tags {
        merge_rec(twin.tags.get_or_insert_with(Map::new), t);
        changed = true;
    }
    let props = twin.properties.get_or_insert_with(TwinProperties::default);
    if let Some(d) = desired {
        apply_section_patch(
            props.desired.get_or_insert_with(PropertySection::default),
            d,
            now,
            true,
        )?;
        changed = true;
    }
    if let Some(r) = reported {
        apply_section_patch(
            props.reported.get_or_insert_with(PropertySection::default),
            r,
            now,
            false,
        )?;
        changed = true;
    }
    if changed {
        twin.version = Some(twin.version.unwrap_or(0) + 1);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn desired_patch_stamps_metadata_and_versions() {
        let twin_json = json!({
            "deviceId": "d", "version": 4,
            "properties": {"desired": {
                "existingProperty": "old", "otherOldProperty": 1,
                "$metadata": {"$lastUpdated": "2020-01-01T00:00:00.0000000Z", "$lastUpdatedVersion": 3,
                    "existingProperty": {"$lastUpdated": "2020-01-01T00:00:00.0000000Z", "$lastUpdatedVersion": 3},
                    "otherOldProperty": {"$lastUpdated": "2020-01-01T00:00:00.0000000Z", "$lastUpdatedVersion": 3}},
                "$version": 3}}
        });
        let mut twin: Twin = serde_json::from_value(twin_json).unwrap();
        let patch: TwinPatch = serde_json::from_value(json!({"properties": {"desired": {
            "newProperty": {"nestedProperty": "newValue"}, "existingProperty": "otherNewValue", "otherOldProperty": null}}}))
        .unwrap();
        let now = Timestamp::parse("2024-05-06T07:08:09.1234567Z");
        apply_twin_patch(&mut twin, &patch, &now).unwrap();
        let out = serde_json::to_value(&twin).unwrap();
        let n = "2024-05-06T07:08:09.1234567Z";
        assert_eq!(
            out,
            json!({"deviceId": "d", "version": 5, "properties": {"desired": {
                "existingProperty": "otherNewValue", "newProperty": {"nestedProperty": "newValue"},
                "$metadata": {"$lastUpdated": n, "$lastUpdatedVersion": 4,
                    "existingProperty": {"$lastUpdated": n, "$lastUpdatedVersion": 4},
                    "newProperty": {"$lastUpdated": n, "$lastUpdatedVersion": 4,
                        "nestedProperty": {"$lastUpdated": n, "$lastUpdatedVersion": 4}}},
                "$version": 4}}})
        );
    }

    #[test]
    fn reported_patch_has_no_last_updated_version() {
        let mut twin = Twin::new("d");
        let patch = TwinPatch {
            tags: Some(json!({"env": "prod"}).as_object().cloned().unwrap()),
            properties: Some(crate::iothub::twin::TwinPatchProperties {
                desired: None,
                reported: json!({"fw": "1.0"}).as_object().cloned(),
            }),
        };
        apply_twin_patch(&mut twin, &patch, &Timestamp::parse("2024-01-01T00:00:00Z")).unwrap();
        let out = serde_json::to_value(&twin).unwrap();
        assert_eq!(out["tags"], json!({"env": "prod"}));
        assert_eq!(out["properties"]["reported"]["$version"], 1);
        assert_eq!(
            out["properties"]["reported"]["$metadata"]["fw"],
            json!({"$lastUpdated": "2024-01-01T00:00:00Z"})
        );
        assert_eq!(out["version"], 1);
    }
}
