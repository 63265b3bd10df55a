//! Every captured DDI document decodes, negative ones fail with a clear error,
//! and re-encoding gives an equivalent document.

#![allow(clippy::unwrap_used)] // helpers outside #[test] fns assert by unwrapping too

use ddi_client::model::{
    ActionFeedback, Artifact, ConfigData, ConfirmationBase, ConfirmationBaseAction, ControllerBase,
    DeploymentBase, Document, Status,
};
use serde_json::Value;

/// Fields that the lenient decoder drops by design, by file-name prefix
/// (`""` = every file) and exact path: the upstream tolerance fixtures'
/// unknown key. A key of the same name anywhere else must survive the round
/// trip.
const DROPPED: &[(&str, &str)] = &[("", "$.unknownProperty")];

fn may_drop(name: &str, path: &str) -> bool {
    DROPPED
        .iter()
        .any(|(prefix, p)| name.starts_with(prefix) && *p == path)
}

type Check = fn(&str, &[u8]) -> Result<(), String>;

/// Which decoder handles which file, by name prefix. Longer prefixes first.
const KINDS: &[(&str, Check)] = &[
    ("controller-base_", check::<ControllerBase>),
    ("deployment-base_", check::<DeploymentBase>),
    ("confirmation-base-action_", check::<ConfirmationBaseAction>),
    ("confirmation-base_", check::<ConfirmationBase>),
    ("artifact_", check::<Artifact>),
    ("config-data_", check::<ConfigData>),
    ("feedback_", check::<ActionFeedback>),
    ("status_", check::<Status>),
];

fn check<T: Document + PartialEq + std::fmt::Debug>(
    name: &str,
    bytes: &[u8],
) -> Result<(), String> {
    let decoded = T::from_json(bytes);
    if name.contains("INVALID") {
        let err = decoded
            .err()
            .ok_or(format!("{name}: negative vector decoded"))?;
        let msg = err.to_string();
        assert!(
            msg.starts_with(&format!("invalid {} document", T::NAME)),
            "{name}: {msg}"
        );
        assert!(
            std::error::Error::source(&err).is_some(),
            "{name}: no source"
        );
        return Ok(());
    }
    let doc = decoded.map_err(|e| format!("{name}: {e}"))?;
    let encoded = doc.to_json();
    let again = T::from_json(&encoded).map_err(|e| format!("{name}: re-decode: {e}"))?;
    assert_eq!(doc, again, "{name}: decode(encode(x)) != x");
    #[cfg(feature = "cbor")]
    assert_eq!(
        T::from_cbor(&doc.to_cbor()).map_err(|e| e.to_string())?,
        doc,
        "{name}: cbor"
    );
    let original: Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let reencoded: Value = serde_json::from_slice(&encoded).map_err(|e| e.to_string())?;
    equivalent(&original, &reencoded, name, "$");
    Ok(())
}

/// `re` holds every value of `orig` except the [`DROPPED`] paths and empty or
/// null values, and nothing `orig` does not hold.
fn equivalent(orig: &Value, re: &Value, name: &str, path: &str) {
    match (orig, re) {
        (Value::Object(o), Value::Object(r)) => {
            for (k, v) in o {
                match r.get(k) {
                    Some(rv) => equivalent(v, rv, name, &format!("{path}.{k}")),
                    None => {
                        let at = format!("{path}.{k}");
                        assert!(
                            may_drop(name, &at) || is_empty(v),
                            "{name}: {at} was dropped"
                        );
                    }
                }
            }
            for k in r.keys() {
                assert!(o.contains_key(k), "{name}: {path}.{k} was invented");
            }
        }
        (Value::Array(o), Value::Array(r)) => {
            assert_eq!(o.len(), r.len(), "{name}: {path} length");
            for (i, (a, b)) in o.iter().zip(r).enumerate() {
                equivalent(a, b, name, &format!("{path}[{i}]"));
            }
        }
        // Lenient numeric strings (`"timestamp": "1627…"`) come back as numbers.
        (Value::String(s), Value::Number(n)) => assert_eq!(s, &n.to_string(), "{name}: {path}"),
        // Ids are read as string or number and written as the string hawkBit emits.
        (Value::Number(n), Value::String(s)) if path.ends_with(".id") => {
            assert_eq!(s, &n.to_string(), "{name}: {path}");
        }
        (a, b) => assert_eq!(a, b, "{name}: {path}"),
    }
}

#[test]
fn only_the_listed_paths_may_be_dropped() {
    assert!(!may_drop("config-data_x.json", "$.time"));
    assert!(may_drop("config-data_x.json", "$.unknownProperty"));
    assert!(!may_drop("deployment-base_x.json", "$.id"));
    assert!(may_drop("artifact_x.json", "$.unknownProperty"));
    assert!(!may_drop("artifact_x.json", "$._links.unknownProperty"));
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

#[test]
fn every_ddi_vector_decodes_and_reencodes() {
    let Some(dir) = testkit::vectors::dir("ddi") else {
        return;
    };
    for (prefix, check) in KINDS {
        for v in dir.with_prefix(prefix) {
            check(v.name(), &v.bytes()).unwrap();
        }
    }
    // A new kind of file must get a decoder, not be skipped silently.
    for v in dir.all() {
        let claimed =
            v.name() == "ddi-openapi-v1.json" || KINDS.iter().any(|(p, _)| v.name().starts_with(p));
        assert!(claimed, "no decoder for vector {}", v.name());
    }
}

#[test]
fn at_least_one_negative_vector_exists_and_fails() {
    let Some(dir) = testkit::vectors::dir("ddi") else {
        return;
    };
    let negatives: Vec<_> = dir
        .all()
        .into_iter()
        .filter(|v| v.name().contains("INVALID"))
        .collect();
    assert!(!negatives.is_empty());
    for v in negatives {
        let (_, check) = KINDS.iter().find(|(p, _)| v.name().starts_with(p)).unwrap();
        check(v.name(), &v.bytes()).unwrap();
    }
}

#[test]
fn lenient_details_of_vectors() {
    let Some(dir) = testkit::vectors::dir("ddi") else {
        return;
    };
    // The tolerance fixture's non-enum status is preserved, not rejected.
    for v in dir.with_prefix("deployment-base_") {
        let d = DeploymentBase::from_json(&v.bytes()).unwrap();
        if let Some(h) = &d.action_history {
            assert!(!h.status.as_str().is_empty(), "{}", v.name());
        }
        assert!(d.id.as_i64().is_some(), "{}", v.name());
    }
    // Action links keep their opaque `c=` query.
    for v in dir.with_prefix("controller-base_") {
        let c = ControllerBase::from_json(&v.bytes()).unwrap();
        if let Some(l) = &c.links.deployment_base {
            assert!(l.href.contains("?c="), "{}", v.name());
        }
        assert!(c.sleep().is_some(), "{}", v.name());
    }
}

/// The OpenAPI file lists the 16 operations the client implements.
#[test]
fn openapi_lists_sixteen_operations() {
    let Some(dir) = testkit::vectors::dir("ddi") else {
        return;
    };
    let spec: Value = serde_json::from_slice(&dir.file("ddi-openapi-v1.json").bytes()).unwrap();
    let paths = spec["paths"].as_object().unwrap();
    let ops: usize = paths
        .values()
        .map(|p| {
            p.as_object()
                .unwrap()
                .keys()
                .filter(|m| ["get", "put", "post", "delete"].contains(&m.as_str()))
                .count()
        })
        .sum();
    assert_eq!(ops, 16);
}
