//! IoT Hub twins to AWS shadows and back.
//!
//! * `properties.desired` ↔ `state.desired`, `properties.reported` ↔
//!   `state.reported`; tags have no shadow counterpart and are not mapped.
//! * Versions: the shadow has one `version`; the twin `version` is used
//!   for it. Back, both section `$version`s are set to the shadow version.
//! * Metadata: each leaf's `$lastUpdated` becomes `{"timestamp": <epoch
//!   seconds>}` (sub-second digits are lost); leaves without a valid date
//!   get no metadata. Back, timestamps become `$lastUpdated` with seven
//!   zero fraction digits.
//! * Limits differ (twin: depth 10, 32 KB per section; shadow: depth 6,
//!   8 KB for both): [`twin_to_shadow`] validates its result and returns
//!   the violations instead of a document AWS would reject.

use serde_json::{Map, Value, json};

use crate::aws::shadow::{
    SectionUpdate, ShadowDocument, ShadowMetadata, ShadowState, ShadowUpdateRequest, UpdateState,
};
use crate::iothub::metadata::MetadataNode;
use crate::iothub::properties::{PropertySection, TwinProperties};
use crate::iothub::twin::Twin;
use crate::timestamp::{Timestamp, UtcInstant};
use crate::validate::Violations;
use crate::validate::shadow::{validate_document, validate_sections};

fn shadow_metadata(values: &Map<String, Value>, meta: &MetadataNode) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, v) in values {
        let Some(child) = meta.children.get(k) else {
            continue;
        };
        match v {
            Value::Object(o) => {
                out.insert(k.clone(), Value::Object(shadow_metadata(o, child)));
            }
            _ => {
                let Some(secs) = child
                    .last_updated
                    .as_ref()
                    .and_then(Timestamp::epoch_seconds)
                else {
                    continue;
                };
                out.insert(k.clone(), json!({ "timestamp": secs }));
            }
        }
    }
    out
}

fn twin_metadata(
    values: &Map<String, Value>,
    meta: &Map<String, Value>,
    version: Option<i64>,
) -> MetadataNode {
    let mut node = MetadataNode::default();
    let mut newest: Option<UtcInstant> = None;
    for (k, v) in values {
        let Some(m) = meta.get(k) else { continue };
        let child = match (v, m) {
            (Value::Object(o), Value::Object(mo)) => twin_metadata(o, mo, version),
            (_, m) => match m.get("timestamp").and_then(Value::as_i64) {
                Some(secs) => MetadataNode::stamped(
                    Timestamp::from_instant(UtcInstant { secs, nanos: 0 }),
                    version,
                ),
                None => continue,
            },
        };
        if let Some(i) = child.last_updated.as_ref().and_then(Timestamp::instant) {
            newest = newest.max(Some(i));
        }
        node.children.insert(k.clone(), child);
    }
    node.last_updated = newest.map(Timestamp::from_instant);
    if node.last_updated.is_some() {
        node.last_updated_version = version;
    }
    node
}

/// The shadow document of a twin's properties, validated against AWS limits.
pub fn twin_to_shadow(twin: &Twin) -> Result<ShadowDocument, Violations> {
    let props = twin.properties.as_ref();
    // Check first (iteratively): copying a hostile tree would recurse.
    validate_sections(
        props.and_then(|p| p.desired.as_ref()).map(|s| &s.values),
        props.and_then(|p| p.reported.as_ref()).map(|s| &s.values),
    )?;
    let section = |s: Option<&PropertySection>| s.map(|s| s.values.clone());
    let meta = |s: Option<&PropertySection>| {
        s.and_then(|s| Some(shadow_metadata(&s.values, s.metadata.as_ref()?)))
    };
    let desired = props.and_then(|p| p.desired.as_ref());
    let reported = props.and_then(|p| p.reported.as_ref());
    let doc = ShadowDocument {
        state: ShadowState {
            desired: section(desired),
            reported: section(reported),
            delta: None,
        },
        metadata: Some(ShadowMetadata {
            desired: meta(desired),
            reported: meta(reported),
        }),
        version: twin.version.and_then(|v| u64::try_from(v).ok()),
        timestamp: None,
        client_token: None,
    };
    validate_document(&doc)?;
    Ok(doc)
}

/// An `/update` request writing a twin's desired and reported values.
pub fn twin_to_shadow_update(twin: &Twin) -> Result<ShadowUpdateRequest, Violations> {
    let doc = twin_to_shadow(twin)?;
    Ok(ShadowUpdateRequest {
        state: UpdateState {
            desired: doc.state.desired.map(SectionUpdate::Merge),
            reported: doc.state.reported.map(SectionUpdate::Merge),
        },
        client_token: None,
        version: None,
    })
}

/// Twin properties of a shadow document (desired metadata gets
/// `$lastUpdatedVersion` = shadow version).
pub fn shadow_to_twin_properties(doc: &ShadowDocument) -> TwinProperties {
    let version = doc.version.and_then(|v| i64::try_from(v).ok());
    let empty = Map::new();
    let section =
        |values: &Option<Map<String, Value>>, meta: Option<&Map<String, Value>>, desired: bool| {
            values.as_ref().map(|v| PropertySection {
                values: v.clone(),
                metadata: meta.map(|m| twin_metadata(v, m, if desired { version } else { None })),
                version,
            })
        };
    let md = doc.metadata.as_ref();
    TwinProperties {
        desired: section(
            &doc.state.desired,
            md.map(|m| m.desired.as_ref().unwrap_or(&empty)),
            true,
        ),
        reported: section(
            &doc.state.reported,
            md.map(|m| m.reported.as_ref().unwrap_or(&empty)),
            false,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn metadata_becomes_epoch_seconds() {
        let twin: Twin = serde_json::from_value(json!({"deviceId": "d", "version": 3, "properties": {"reported": {
            "fw": "1.0", "net": {"ip": "10.0.0.1"},
            "$metadata": {"$lastUpdated": "2018-01-02T19:17:44.4383997Z",
                "fw": {"$lastUpdated": "2018-01-02T19:17:44.4383997Z"},
                "net": {"$lastUpdated": "2018-01-02T19:17:44Z", "ip": {"$lastUpdated": "2018-01-02T19:17:44Z"}}},
            "$version": 2}}}))
        .unwrap();
        let doc = twin_to_shadow(&twin).unwrap();
        assert_eq!(doc.version, Some(3));
        assert_eq!(
            Value::Object(doc.metadata.clone().unwrap().reported.unwrap()),
            json!({"fw": {"timestamp": 1_514_920_664}, "net": {"ip": {"timestamp": 1_514_920_664}}})
        );
        let back = shadow_to_twin_properties(&doc);
        assert_eq!(
            back.reported.as_ref().unwrap().values,
            twin.reported().cloned().unwrap()
        );
    }

    #[test]
    fn too_deep_for_aws_is_reported() {
        let twin: Twin = serde_json::from_value(json!({"deviceId": "d", "properties": {"desired": {"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": 1}}}}}}}}}})).unwrap();
        let e = twin_to_shadow(&twin).unwrap_err();
        assert_eq!(e.0[0].path, "state.desired.a.b.c.d.e.f.g");
    }

    proptest! {
        #[test]
        fn values_round_trip(d in prop::collection::btree_map("[a-z]{1,3}", 0i64..100, 0..5), r in prop::collection::btree_map("[a-z]{1,3}", "[a-z]{0,5}", 0..5), v in 0i64..1000) {
            let mut twin = Twin::new("d");
            twin.version = Some(v);
            twin.properties = Some(TwinProperties {
                desired: Some(PropertySection::from_values(d.into_iter().map(|(k, v)| (k, json!(v))).collect())),
                reported: Some(PropertySection::from_values(r.into_iter().map(|(k, v)| (k, json!(v))).collect())),
            });
            let back = shadow_to_twin_properties(&twin_to_shadow(&twin).unwrap());
            prop_assert_eq!(back.desired.unwrap().values, twin.desired().cloned().unwrap());
            prop_assert_eq!(back.reported.unwrap().values, twin.reported().cloned().unwrap());
        }
    }
}
