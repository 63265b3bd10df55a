//! JSON merge patch (RFC 7386), diff and composition over property maps.

use serde_json::{Map, Value};

use crate::patch::error::PatchError;

/// Deepest tree the patch functions accept (IoT Hub allows 10, AWS 6).
pub const MAX_PATCH_DEPTH: usize = 64;

/// Nesting depth of a map (a flat map is 1), computed iteratively and
/// stopping as soon as `limit` is exceeded.
pub(crate) fn depth_exceeds(map: &Map<String, Value>, limit: usize) -> bool {
    let mut stack: Vec<(usize, &Value)> = map.values().map(|v| (1, v)).collect();
    while let Some((d, v)) = stack.pop() {
        let children: Box<dyn Iterator<Item = &Value>> = match v {
            Value::Object(m) => Box::new(m.values()),
            Value::Array(a) => Box::new(a.iter()),
            _ => continue,
        };
        if d + 1 > limit {
            return true;
        }
        stack.extend(children.map(|c| (d + 1, c)));
    }
    false
}

pub(crate) fn guard(what: &'static str, map: &Map<String, Value>) -> Result<(), PatchError> {
    if depth_exceeds(map, MAX_PATCH_DEPTH) {
        Err(PatchError::TooDeep {
            what,
            limit: MAX_PATCH_DEPTH,
        })
    } else {
        Ok(())
    }
}

/// Applies `patch` to `target` as IoT Hub (twin PATCH) and AWS (shadow
/// update) do: `null` removes, objects merge recursively, anything else
/// replaces; an object merged into a non-object starts from `{}`.
pub fn apply_merge(
    target: &mut Map<String, Value>,
    patch: &Map<String, Value>,
) -> Result<(), PatchError> {
    guard("patch", patch)?;
    merge_rec(target, patch);
    Ok(())
}

pub(crate) fn merge_rec(target: &mut Map<String, Value>, patch: &Map<String, Value>) {
    for (k, v) in patch {
        match v {
            Value::Null => {
                target.remove(k);
            }
            Value::Object(p) => {
                let entry = target
                    .entry(k.clone())
                    .or_insert_with(|| Value::Object(Map::new()));
                if !entry.is_object() {
                    *entry = Value::Object(Map::new());
                }
                if let Value::Object(t) = entry {
                    merge_rec(t, p);
                }
            }
            other => {
                target.insert(k.clone(), other.clone());
            }
        }
    }
}

/// The minimal merge patch turning `a` into `b`: only changed paths,
/// `null` for removed keys, recursion into objects present on both sides.
/// `apply_merge(a, diff(a, b)) == b` for trees without `null` values
/// (stored twins and shadows never hold `null`).
pub fn diff(
    a: &Map<String, Value>,
    b: &Map<String, Value>,
) -> Result<Map<String, Value>, PatchError> {
    guard("left tree", a)?;
    guard("right tree", b)?;
    Ok(diff_rec(a, b))
}

fn diff_rec(a: &Map<String, Value>, b: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for k in a.keys() {
        if !b.contains_key(k) {
            out.insert(k.clone(), Value::Null);
        }
    }
    for (k, bv) in b {
        match (a.get(k), bv) {
            (Some(av), bv) if av == bv => {}
            (Some(Value::Object(ao)), Value::Object(bo)) => {
                let d = diff_rec(ao, bo);
                if !d.is_empty() {
                    out.insert(k.clone(), Value::Object(d));
                }
            }
            (Some(_), Value::Object(bo)) => {
                // A non-object is replaced by `{}` first; an empty `b` object
                // would otherwise be a no-op patch.
                out.insert(k.clone(), Value::Object(bo.clone()));
            }
            _ => {
                out.insert(k.clone(), bv.clone());
            }
        }
    }
    out
}

/// One merge patch with the effect of applying `first`, then `second`.
///
/// Fails with [`PatchError::NotComposable`] where `first` replaces or
/// removes a value and `second` merges an object into it: the result is
/// "exactly this object", which one merge patch cannot express.
pub fn compose(
    first: &Map<String, Value>,
    second: &Map<String, Value>,
) -> Result<Map<String, Value>, PatchError> {
    guard("first patch", first)?;
    guard("second patch", second)?;
    let mut path = Vec::new();
    compose_rec(first, second, &mut path)
}

fn compose_rec<'a>(
    first: &'a Map<String, Value>,
    second: &'a Map<String, Value>,
    path: &mut Vec<&'a str>,
) -> Result<Map<String, Value>, PatchError> {
    let mut out = first.clone();
    for (k, v2) in second {
        path.push(k);
        match (first.get(k), v2) {
            (Some(Value::Object(o1)), Value::Object(o2)) => {
                let c = compose_rec(o1, o2, path)?;
                out.insert(k.clone(), Value::Object(c));
            }
            (Some(v1), Value::Object(_)) if !v1.is_object() => {
                // `first` removed `k` or made it a scalar; merging an object
                // now yields exactly that object whatever the target held,
                // and a merge patch has no way to say "replace".
                return Err(PatchError::NotComposable {
                    path: path.join("."),
                });
            }
            _ => {
                out.insert(k.clone(), v2.clone());
            }
        }
        path.pop();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn m(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn docs_example_null_removes() {
        let mut t = m(json!({"existingProperty": "old", "otherOldProperty": 1, "keep": true}));
        let p = m(
            json!({"newProperty": {"nestedProperty": "newValue"}, "existingProperty": "otherNewValue", "otherOldProperty": null}),
        );
        apply_merge(&mut t, &p).unwrap();
        assert_eq!(
            Value::Object(t),
            json!({"newProperty": {"nestedProperty": "newValue"}, "existingProperty": "otherNewValue", "keep": true})
        );
    }

    #[test]
    fn diff_is_minimal() {
        let a = m(json!({"a": 1, "b": {"c": 2, "d": 3}, "e": [1], "f": "x"}));
        let b = m(json!({"a": 1, "b": {"c": 2, "d": 4}, "e": [1, 2], "g": {}}));
        assert_eq!(
            Value::Object(diff(&a, &b).unwrap()),
            json!({"b": {"d": 4}, "e": [1, 2], "f": null, "g": {}})
        );
    }

    #[test]
    fn composition_of_replace_then_merge_is_refused() {
        let p1 = m(json!({"a": null}));
        let p2 = m(json!({"a": {"x": 1}}));
        assert_eq!(
            compose(&p1, &p2),
            Err(PatchError::NotComposable { path: "a".into() })
        );
    }
}
