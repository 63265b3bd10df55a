//! Twin section rules (§1.2): keys without `.`, `$`, space or control
//! characters and at most 1 KB, at most 10 levels of objects, and sizes
//! (keys plus values; strings by UTF-8 length, numbers 8, booleans 4) of at
//! most 8 KB for tags and 32 KB for desired properties.

use serde_json::{Map, Value};

use super::error::HubError;

/// Tags limit in bytes.
pub(crate) const TAGS_LIMIT: usize = 8 * 1024;
/// Desired (and reported) properties limit in bytes.
pub(crate) const PROPERTIES_LIMIT: usize = 32 * 1024;
const MAX_DEPTH: usize = 10;

fn size_of(v: &Value) -> usize {
    match v {
        Value::Null => 0,
        Value::Bool(_) => 4,
        Value::Number(_) => 8,
        Value::String(s) => s.len(),
        Value::Array(a) => a.iter().map(size_of).sum(),
        Value::Object(o) => o.iter().map(|(k, v)| k.len() + size_of(v)).sum(),
    }
}

fn check_keys(o: &Map<String, Value>, what: &str, depth: usize) -> Result<(), HubError> {
    if depth > MAX_DEPTH {
        return Err(HubError::invalid(format!(
            "{what} nest more than {MAX_DEPTH} levels"
        )));
    }
    for (k, v) in o {
        let bad = k.is_empty()
            || k.len() > 1024
            || k.chars()
                .any(|c| c == '.' || c == '$' || c == ' ' || c.is_control());
        if bad {
            return Err(HubError::invalid(format!("{what} key '{k}' is invalid")));
        }
        if let Value::Object(inner) = v {
            check_keys(inner, what, depth + 1)?;
        }
    }
    Ok(())
}

/// Checks one section (`what` names it in the error) against `limit` bytes.
pub(crate) fn check_section(
    o: &Map<String, Value>,
    what: &str,
    limit: usize,
) -> Result<(), HubError> {
    check_keys(o, what, 1)?;
    let size: usize = o.iter().map(|(k, v)| k.len() + size_of(v)).sum();
    if size > limit {
        return Err(HubError::invalid(format!(
            "{what} are {size} bytes, more than {limit}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn m(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn keys_depth_and_size() {
        assert!(
            check_section(
                &m(json!({"a": {"b": 1, "c": "x"}, "d": true})),
                "tags",
                TAGS_LIMIT
            )
            .is_ok()
        );
        for bad in [
            json!({"a.b": 1}),
            json!({"$x": 1}),
            json!({"a b": 1}),
            json!({"a": {"\u{1}": 1}}),
        ] {
            assert_eq!(
                check_section(&m(bad), "tags", TAGS_LIMIT).unwrap_err().code,
                "ArgumentInvalid"
            );
        }
        let mut deep = json!(1);
        for _ in 0..11 {
            deep = json!({"k": deep});
        }
        assert!(check_section(&m(deep), "tags", TAGS_LIMIT).is_err());
        let big = json!({"k": "x".repeat(TAGS_LIMIT)});
        assert!(check_section(&m(big.clone()), "tags", TAGS_LIMIT).is_err());
        assert!(check_section(&m(big), "desired properties", PROPERTIES_LIMIT).is_ok());
        assert_eq!(
            size_of(&json!({"ab": 1, "c": false, "d": "xyz"})),
            2 + 8 + 1 + 4 + 1 + 3
        );
    }
}
