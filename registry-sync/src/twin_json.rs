//! [`Properties`] to and from the JSON trees `twin-model` works on, through
//! its flattening and its text form of values.
//!
//! Reading, a tree becomes dotted keys (IoT Hub keys cannot contain `.`),
//! strings kept as they are, other leaves as JSON text; `null`, empty
//! objects and `$` keys (`$version`, `$metadata`) are left out. Writing, a
//! flat value becomes the JSON scalar or array it spells when that reads
//! back to the same text (`2`, `true`, `[1]`), else a string, so writing a
//! record and reading it back is exact.

use crate::model::Properties;
use serde_json::{Map, Value};
use twin_model::mapping::flatten::flatten;
use twin_model::mapping::flatten::insert_dotted;
use twin_model::mapping::value_text::from_text;
use twin_model::mapping::value_text::to_text;

/// The flat properties of a twin section (tags, desired or reported).
///
/// Leaves nested deeper than twin-model follows are left out: IoT Hub
/// refuses twins nested more than ten levels, so only hostile input has them.
pub(crate) fn flat(tree: &Map<String, Value>) -> Properties {
    flatten(tree)
        .into_iter()
        .filter(|e| !e.too_deep && !e.path.iter().any(|s| s.starts_with('$')))
        .filter(|e| match e.value {
            Value::Null => false,
            Value::Object(o) => !o.is_empty(),
            _ => true,
        })
        .map(|e| (e.dotted(), to_text(e.value)))
        .collect()
}

/// A flat value as JSON.
fn value_of(text: &str) -> Value {
    match from_text(text) {
        v @ (Value::Number(_) | Value::Bool(_) | Value::Array(_)) if to_text(&v) == text => v,
        _ => Value::String(text.to_owned()),
    }
}

/// The tree of `props`; a key that is both a leaf and a parent (`a` and
/// `a.b`) cannot be placed: the first such key is returned with its reason.
#[cfg(feature = "iothub")]
pub(crate) fn tree(
    props: &Properties,
) -> Result<Map<String, Value>, (String, twin_model::mapping::flatten::UnflattenError)> {
    let mut root = Map::new();
    for (k, v) in props.iter() {
        insert_dotted(&mut root, k, value_of(v)).map_err(|e| (k.to_owned(), e))?;
    }
    Ok(root)
}

/// The tree of `props`, leaving out (and listing) keys that cannot be placed.
pub(crate) fn tree_lenient(props: &Properties) -> (Map<String, Value>, Vec<String>) {
    let mut root = Map::new();
    let mut skipped = Vec::new();
    for (k, v) in props.iter() {
        if insert_dotted(&mut root, k, value_of(v)).is_err() {
            skipped.push(k.to_owned());
        }
    }
    (root, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trees_flatten_without_metadata_nulls_or_empty_objects() {
        let tree = serde_json::json!({
            "loc": {"city": "x", "$metadata": {"$lastUpdated": "t"}},
            "n": 3,
            "list": [1, "a"],
            "gone": null,
            "empty": {},
            "$version": 4
        });
        let Value::Object(tree) = tree else {
            unreachable!()
        };
        let got: Vec<(String, String)> = flat(&tree)
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let want = [("list", "[1,\"a\"]"), ("loc.city", "x"), ("n", "3")];
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn values_keep_their_type_when_the_text_is_exact() {
        assert_eq!(value_of("2"), Value::from(2));
        assert_eq!(value_of("true"), Value::Bool(true));
        assert_eq!(value_of("[1,2]"), serde_json::json!([1, 2]));
        assert_eq!(value_of("1e3"), Value::from("1e3"));
        assert_eq!(value_of("\"x\""), Value::from("\"x\""));
        assert_eq!(value_of("{}"), Value::from("{}"));
        assert_eq!(value_of("plain"), Value::from("plain"));
    }

    #[cfg(feature = "iothub")]
    #[test]
    fn values_come_back_as_what_they_spell() {
        let props: Properties = [("a.b", "2"), ("a.c", "true"), ("d", "02"), ("e", "x")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let t = tree(&props).unwrap();
        assert_eq!(
            Value::Object(t),
            serde_json::json!({"a": {"b": 2, "c": true}, "d": "02", "e": "x"})
        );
    }

    #[cfg(feature = "iothub")]
    #[test]
    fn a_leaf_that_is_also_a_parent_is_reported() {
        let props: Properties = [("a", "1"), ("a.b", "2"), ("c", "3")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        assert_eq!(tree(&props).unwrap_err().0, "a.b");
        let (t, skipped) = tree_lenient(&props);
        assert_eq!(skipped, ["a.b"]);
        assert_eq!(Value::Object(t), serde_json::json!({"a": 1, "c": 3}));
    }
}
