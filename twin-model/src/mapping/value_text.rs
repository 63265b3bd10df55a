//! A reversible text form of JSON values for hawkBit's string-only
//! attributes and metadata.
//!
//! Strings are written raw, so they read naturally in hawkBit and in
//! target filters (`fw.version == 1.0`); other values are written as
//! compact JSON (`2`, `true`, `[1,2]`, `{}`). Reading tries JSON first and
//! falls back to the raw string. The round trip is exact except for
//! strings that themselves read as JSON (`"2"`, `"true"`, `"1.0"`, `"[1]"`):
//! [`is_ambiguous`] flags them so mappings can report that their reverse
//! would change the type.

use serde_json::Value;

/// The text form of `value`.
pub fn to_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// True when `value` is a string whose text would read back as another
/// JSON value.
pub fn is_ambiguous(value: &Value) -> bool {
    matches!(value, Value::String(s) if serde_json::from_str::<Value>(s).is_ok())
}

/// The value of a text written by [`to_text`].
pub fn from_text(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn examples() {
        assert_eq!(to_text(&json!("JH4TB2H26CC000000")), "JH4TB2H26CC000000");
        assert_eq!(to_text(&json!("2")), "2");
        assert!(is_ambiguous(&json!("2")));
        assert!(!is_ambiguous(&json!("v1.0")));
        assert_eq!(to_text(&json!(2)), "2");
        assert_eq!(to_text(&json!([1, "a"])), "[1,\"a\"]");
        assert_eq!(from_text("\"2\""), json!("2"));
        assert_eq!(from_text("2"), json!(2));
        assert_eq!(from_text("v1.0"), json!("v1.0"));
    }

    proptest! {
        #[test]
        fn strings_round_trip_unless_ambiguous(s in "\\PC{0,12}") {
            let v = Value::String(s);
            prop_assert_eq!(from_text(&to_text(&v)) == v, !is_ambiguous(&v));
        }

        #[test]
        fn scalars_round_trip(i in any::<i64>(), b in any::<bool>()) {
            prop_assert_eq!(from_text(&to_text(&json!(i))), json!(i));
            prop_assert_eq!(from_text(&to_text(&json!(b))), json!(b));
        }
    }
}
