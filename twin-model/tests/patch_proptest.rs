//! proptest over the patch algebra: diff/apply, composition, twin metadata
//! and AWS delta invariants.

// Tests are exempt from unwrap_used (clippy.toml); this covers their helper fns.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use serde_json::{Map, Value};
use twin_model::iothub::metadata::MetadataNode;
use twin_model::iothub::properties::PropertySection;
use twin_model::patch::shadow::compute_delta;
use twin_model::patch::twin::apply_section_patch;
use twin_model::patch::{PatchError, apply_merge, compose, diff};
use twin_model::timestamp::Timestamp;

fn tree(nulls: bool) -> impl Strategy<Value = Map<String, Value>> {
    let leaf = if nulls {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            (0i64..5).prop_map(Value::from),
            "[ab]{0,2}".prop_map(Value::String),
        ]
        .boxed()
    } else {
        prop_oneof![
            any::<bool>().prop_map(Value::Bool),
            (0i64..5).prop_map(Value::from),
            "[ab]{0,2}".prop_map(Value::String)
        ]
        .boxed()
    };
    let value = leaf.prop_recursive(3, 20, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..2).prop_map(Value::Array),
            prop::collection::btree_map("[xyz]", inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    });
    prop::collection::btree_map("[xyz]", value, 0..4).prop_map(|m| m.into_iter().collect())
}

/// Removes null members of objects (arrays are values and keep theirs).
fn strip_nulls(m: &Map<String, Value>) -> Map<String, Value> {
    m.iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| match v {
            Value::Object(o) => (k.clone(), Value::Object(strip_nulls(o))),
            other => (k.clone(), other.clone()),
        })
        .collect()
}

fn applied(a: &Map<String, Value>, p: &Map<String, Value>) -> Map<String, Value> {
    let mut t = a.clone();
    apply_merge(&mut t, p).unwrap();
    t
}

/// Every value key has a metadata child, at every object level.
fn metadata_covers(values: &Map<String, Value>, meta: &MetadataNode) -> bool {
    values.iter().all(|(k, v)| match (v, meta.children.get(k)) {
        (_, None) => false,
        (Value::Object(o), Some(child)) => metadata_covers(o, child),
        _ => true,
    })
}

proptest! {
    #[test]
    fn apply_of_diff_yields_target(a in tree(false), b in tree(false)) {
        let p = diff(&a, &b).unwrap();
        prop_assert_eq!(applied(&a, &p), b.clone());
        prop_assert!(diff(&b, &b).unwrap().is_empty());
    }

    #[test]
    fn diff_touches_only_changed_keys(a in tree(false), b in tree(false)) {
        let p = diff(&a, &b).unwrap();
        for (k, v) in &p {
            prop_assert!(a.get(k) != b.get(k), "unchanged key {} in patch", k);
            if v.is_null() {
                prop_assert!(!b.contains_key(k));
            }
        }
    }

    #[test]
    fn patches_compose(a in tree(false), p1 in tree(true), p2 in tree(true)) {
        let sequential = applied(&applied(&a, &p1), &p2);
        match compose(&p1, &p2) {
            Ok(c) => prop_assert_eq!(applied(&a, &c), sequential),
            Err(PatchError::NotComposable { path }) => {
                // Only refused where p1 replaced/removed and p2 merges an object.
                let k = path.split('.').next().unwrap();
                prop_assert!(p2.get(k).is_some_and(Value::is_object));
            }
            Err(e) => prop_assert!(false, "unexpected {e}"),
        }
    }

    #[test]
    fn diffs_compose_along_a_chain(a in tree(false), b in tree(false), c in tree(false)) {
        if let Ok(p) = compose(&diff(&a, &b).unwrap(), &diff(&b, &c).unwrap()) {
            prop_assert_eq!(applied(&a, &p), c);
        }
    }

    #[test]
    fn merge_never_stores_nulls(a in tree(false), p in tree(true)) {
        let t = applied(&a, &p);
        prop_assert_eq!(strip_nulls(&t), t);
    }

    #[test]
    fn section_patch_keeps_metadata_in_step(a in tree(false), p1 in tree(true), p2 in tree(true)) {
        let mut s = PropertySection::from_values(Map::new());
        let t0 = Timestamp::parse("2024-01-01T00:00:00Z");
        apply_section_patch(&mut s, &a, &t0, true).unwrap();
        apply_section_patch(&mut s, &p1, &t0, true).unwrap();
        apply_section_patch(&mut s, &p2, &t0, true).unwrap();
        prop_assert_eq!(s.version, Some(3));
        prop_assert_eq!(&s.values, &applied(&applied(&a, &p1), &p2));
        prop_assert!(metadata_covers(&s.values, s.metadata.as_ref().unwrap()));
    }

    #[test]
    fn delta_is_empty_iff_reported_covers_desired(d in tree(false), r in tree(false)) {
        let delta = compute_delta(&d, &r);
        // Reporting the delta makes it vanish.
        let mut r2 = r.clone();
        apply_merge(&mut r2, &delta).unwrap();
        prop_assert!(compute_delta(&d, &r2).is_empty());
        prop_assert!(compute_delta(&d, &d).is_empty());
    }
}
