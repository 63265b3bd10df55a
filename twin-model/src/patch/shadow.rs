//! The AWS shadow update cycle: apply an `/update` request to a stored
//! document and produce the `/accepted`, `/delta` and `/documents`
//! messages, or the `/rejected` error.
//!
//! Semantics implemented (from the AWS developer guide):
//! * `version` in the request must equal the stored version (409).
//! * A section set to `null` is deleted with its metadata; `null` leaves
//!   are deleted; objects merge; arrays and scalars replace.
//! * Metadata mirrors every written leaf with `{"timestamp": now}`;
//!   arrays get one such entry per element.
//! * The stored version increases by one per accepted update (first is 1).
//! * Delta: desired leaves absent from or different to reported (numbers
//!   compared numerically, arrays as a whole). A `/update/delta` message is
//!   produced only when the request wrote desired state and the delta
//!   restricted to the paths it wrote is not empty.

use serde_json::{Map, Value, json};

use crate::aws::shadow::{
    SectionUpdate, ShadowDeltaMessage, ShadowDocument, ShadowDocumentsMessage, ShadowErrorResponse,
    ShadowMetadata, ShadowSnapshot, ShadowState, ShadowUpdateRequest, UpdateState,
};
use crate::patch::merge::{guard, merge_rec};
use crate::validate::Rule;
use crate::validate::shadow::validate_update;

/// What an accepted update publishes.
#[derive(Debug, Clone, PartialEq)]
pub struct ShadowUpdateOutcome {
    /// `/update/accepted`.
    pub accepted: ShadowDocument,
    /// `/update/delta`, when there is one.
    pub delta: Option<ShadowDeltaMessage>,
    /// `/update/documents`.
    pub documents: ShadowDocumentsMessage,
}

fn equal_values(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => x == y,
            _ => x == y,
        },
        _ => a == b,
    }
}

/// The delta of `desired` against `reported`, as AWS computes it.
pub fn compute_delta(
    desired: &Map<String, Value>,
    reported: &Map<String, Value>,
) -> Map<String, Value> {
    let mut out = Map::new();
    if guard("desired", desired).is_err() || guard("reported", reported).is_err() {
        return out;
    }
    delta_rec(desired, Some(reported), &mut out);
    out
}

fn delta_rec(
    desired: &Map<String, Value>,
    reported: Option<&Map<String, Value>>,
    out: &mut Map<String, Value>,
) {
    for (k, dv) in desired {
        if dv.is_null() {
            continue;
        }
        let rv = reported.and_then(|r| r.get(k));
        match (dv, rv) {
            (Value::Object(d), Some(Value::Object(r))) => {
                let mut sub = Map::new();
                delta_rec(d, Some(r), &mut sub);
                if !sub.is_empty() {
                    out.insert(k.clone(), Value::Object(sub));
                }
            }
            (Value::Object(d), _) => {
                let mut sub = Map::new();
                delta_rec(d, None, &mut sub);
                out.insert(k.clone(), Value::Object(sub));
            }
            (dv, Some(rv)) if equal_values(dv, rv) => {}
            (dv, _) => {
                out.insert(k.clone(), dv.clone());
            }
        }
    }
}

/// Keeps the parts of `delta` that lie on paths written by `written`.
fn restrict(delta: &Map<String, Value>, written: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, wv) in written {
        let Some(dv) = delta.get(k) else { continue };
        match (dv, wv) {
            (Value::Object(d), Value::Object(w)) => {
                let sub = restrict(d, w);
                if !sub.is_empty() {
                    out.insert(k.clone(), Value::Object(sub));
                }
            }
            _ => {
                out.insert(k.clone(), dv.clone());
            }
        }
    }
    out
}

fn leaf_metadata(v: &Value, now: i64) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), leaf_metadata(v, now)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|_| json!({ "timestamp": now })).collect()),
        _ => json!({ "timestamp": now }),
    }
}

/// Metadata of what `patch` writes (nulls map to nothing).
fn patch_metadata(patch: &Map<String, Value>, now: i64) -> Map<String, Value> {
    patch
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| match v {
            Value::Object(m) => (k.clone(), Value::Object(patch_metadata(m, now))),
            other => (k.clone(), leaf_metadata(other, now)),
        })
        .collect()
}

/// Mirrors the merge on the metadata tree.
fn merge_metadata(meta: &mut Map<String, Value>, patch: &Map<String, Value>, now: i64) {
    for (k, v) in patch {
        match v {
            Value::Null => {
                meta.remove(k);
            }
            Value::Object(p) => {
                let entry = meta
                    .entry(k.clone())
                    .or_insert_with(|| Value::Object(Map::new()));
                if entry.get("timestamp").is_some() || !entry.is_object() {
                    *entry = Value::Object(Map::new());
                }
                if let Value::Object(m) = entry {
                    merge_metadata(m, p, now);
                }
            }
            other => {
                meta.insert(k.clone(), leaf_metadata(other, now));
            }
        }
    }
}

fn rejected(code: u16, message: &str, req: &ShadowUpdateRequest, now: i64) -> ShadowErrorResponse {
    ShadowErrorResponse {
        code,
        message: message.to_owned(),
        timestamp: Some(now),
        client_token: req.client_token.clone(),
    }
}

fn apply_section(
    state: &mut Option<Map<String, Value>>,
    meta: &mut Option<Map<String, Value>>,
    update: Option<&SectionUpdate>,
    now: i64,
) {
    match update {
        None => {}
        Some(SectionUpdate::Clear) => {
            *state = None;
            *meta = None;
        }
        Some(SectionUpdate::Merge(p)) => {
            merge_rec(state.get_or_insert_with(Map::new), p);
            merge_metadata(meta.get_or_insert_with(Map::new), p, now);
        }
    }
}

fn snapshot(doc: &ShadowDocument) -> ShadowSnapshot {
    ShadowSnapshot {
        state: ShadowState {
            desired: doc.state.desired.clone(),
            reported: doc.state.reported.clone(),
            delta: None,
        },
        metadata: doc.metadata.clone(),
        version: doc.version,
    }
}

/// Applies `req` to `doc` at epoch second `now`.
pub fn apply_shadow_update(
    doc: &mut ShadowDocument,
    req: &ShadowUpdateRequest,
    now: i64,
) -> Result<ShadowUpdateOutcome, ShadowErrorResponse> {
    if let Err(v) = validate_update(req) {
        let too_large = v
            .iter()
            .any(|x| matches!(x.rule, Rule::SectionTooLarge { .. }));
        return Err(if too_large {
            rejected(
                413,
                "The payload exceeds the maximum size allowed",
                req,
                now,
            )
        } else {
            rejected(400, &v.to_string(), req, now)
        });
    }
    for s in [&req.state.desired, &req.state.reported] {
        if let Some(SectionUpdate::Merge(m)) = s
            && guard("state", m).is_err()
        {
            return Err(rejected(
                400,
                "JSON contains too many levels of nesting",
                req,
                now,
            ));
        }
    }
    if let Some(v) = req.version
        && Some(v) != doc.version
    {
        return Err(rejected(409, "Version conflict", req, now));
    }
    let previous = snapshot(doc);
    let meta = doc.metadata.get_or_insert_with(ShadowMetadata::default);
    apply_section(
        &mut doc.state.desired,
        &mut meta.desired,
        req.state.desired.as_ref(),
        now,
    );
    apply_section(
        &mut doc.state.reported,
        &mut meta.reported,
        req.state.reported.as_ref(),
        now,
    );
    doc.state.delta = None;
    let version = doc.version.map_or(1, |v| v + 1);
    doc.version = Some(version);
    doc.timestamp = Some(now);
    doc.client_token.clone_from(&req.client_token);

    let section_meta = |s: &Option<SectionUpdate>| match s {
        Some(SectionUpdate::Merge(m)) => Some(patch_metadata(m, now)),
        _ => None,
    };
    let accepted = ShadowDocument {
        state: ShadowState {
            desired: req.state.desired.as_ref().map(section_value),
            reported: req.state.reported.as_ref().map(section_value),
            delta: None,
        },
        metadata: Some(ShadowMetadata {
            desired: section_meta(&req.state.desired),
            reported: section_meta(&req.state.reported),
        }),
        version: Some(version),
        timestamp: Some(now),
        client_token: req.client_token.clone(),
    };
    let delta = match &req.state.desired {
        Some(SectionUpdate::Merge(written)) => {
            let empty = Map::new();
            let desired = doc.state.desired.as_ref().unwrap_or(&empty);
            let reported = doc.state.reported.as_ref().unwrap_or(&empty);
            let d = restrict(&compute_delta(desired, reported), written);
            (!d.is_empty()).then(|| ShadowDeltaMessage {
                metadata: Some(patch_metadata(&d, now)),
                state: d,
                version: Some(version),
                timestamp: Some(now),
                client_token: req.client_token.clone(),
            })
        }
        _ => None,
    };
    let documents = ShadowDocumentsMessage {
        previous: previous.version.map(|_| previous),
        current: Some(snapshot(doc)),
        timestamp: Some(now),
        client_token: req.client_token.clone(),
    };
    Ok(ShadowUpdateOutcome {
        accepted,
        delta,
        documents,
    })
}

// Section content of an accepted message: the request's own values.
fn section_value(s: &SectionUpdate) -> Map<String, Value> {
    match s {
        SectionUpdate::Merge(m) => m.clone(),
        SectionUpdate::Clear => Map::new(),
    }
}

/// A request writing `desired` only.
pub fn desired_update(
    desired: Map<String, Value>,
    client_token: Option<String>,
) -> ShadowUpdateRequest {
    ShadowUpdateRequest {
        state: UpdateState {
            desired: Some(SectionUpdate::Merge(desired)),
            reported: None,
        },
        client_token,
        version: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn delta_as_aws_computes_it() {
        let desired = m(
            json!({"color": {"r": 255, "g": 0, "b": 0}, "temp": 70, "list": [1, 2], "same": 1.0, "new": {"x": 1}}),
        );
        let reported = m(
            json!({"color": {"r": 255, "g": 255, "b": 255}, "temp": 70, "list": [1], "same": 1, "extra": true}),
        );
        assert_eq!(
            Value::Object(compute_delta(&desired, &reported)),
            json!({"color": {"g": 0, "b": 0}, "list": [1, 2], "new": {"x": 1}})
        );
    }

    #[test]
    fn update_cycle_with_version_and_null_delete() {
        let mut doc: ShadowDocument = serde_json::from_value(json!({"version": 1, "state": {"reported": {"color": {"r": 255, "g": 255, "b": 255}, "SomeKey": "SomeValue"}}})).unwrap();
        let req: ShadowUpdateRequest = serde_json::from_value(json!({"version": 1, "clientToken": "device", "state": {"desired": {"color": {"r": 255, "g": 0, "b": null}, "temperature": 70}}})).unwrap();
        let out = apply_shadow_update(&mut doc, &req, 1000).unwrap();
        assert_eq!(doc.version, Some(2));
        assert_eq!(
            Value::Object(doc.state.desired.clone().unwrap()),
            json!({"color": {"r": 255, "g": 0}, "temperature": 70})
        );
        let delta = out.delta.unwrap();
        assert_eq!(
            Value::Object(delta.state),
            json!({"color": {"g": 0}, "temperature": 70})
        );
        assert_eq!(delta.version, Some(2));
        assert_eq!(
            out.accepted.metadata.unwrap().desired.unwrap()["color"]["r"],
            json!({"timestamp": 1000})
        );
        assert_eq!(out.documents.previous.unwrap().version, Some(1));
        // Same version again: conflict.
        let err = apply_shadow_update(&mut doc, &req, 1001).unwrap_err();
        assert_eq!(err.code, 409);
        assert_eq!(err.client_token.as_deref(), Some("device"));
        // Reported-only update publishes no delta; clearing desired removes it.
        let clear: ShadowUpdateRequest = serde_json::from_value(
            json!({"state": {"desired": null, "reported": {"temperature": 70}}}),
        )
        .unwrap();
        let out = apply_shadow_update(&mut doc, &clear, 1002).unwrap();
        assert!(out.delta.is_none());
        assert!(doc.state.desired.is_none());
        assert!(doc.metadata.as_ref().unwrap().desired.is_none());
        assert_eq!(doc.version, Some(3));
    }

    #[test]
    fn too_deep_update_is_rejected_with_400() {
        let req: ShadowUpdateRequest = serde_json::from_value(json!({"state": {"desired": {"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": 1}}}}}}}}}})).unwrap();
        let err = apply_shadow_update(&mut ShadowDocument::default(), &req, 1).unwrap_err();
        assert_eq!(err.code, 400);
    }
}
