//! A reversible text form of JSON values for hawkBit's string-only
//! attributes and metadata.
//!
//! Non-strings are written as compact JSON (`2`, `true`, `[1,2]`, `{}`).
//! A string is written raw unless raw text would read back as JSON (for
//! example `"2"`, `"true"`, `"[1]"`, `" 1"`), in which case it is written as
//! a JSON string literal (`"\"2\""`). Reading tries JSON first and falls
//! back to the raw string, so every value survives the round trip.

use serde_json::Value;

/// The text form of `value`.
pub fn to_text(value: &Value) -> String {
    match value {
        Value::String(s) if serde_json::from_str::<Value>(s).is_err() => s.clone(),
        other => other.to_string(),
    }
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
        assert_eq!(to_text(&json!("2")), "\"2\"");
        assert_eq!(to_text(&json!(2)), "2");
        assert_eq!(to_text(&json!([1, "a"])), "[1,\"a\"]");
        assert_eq!(from_text("\"2\""), json!("2"));
        assert_eq!(from_text("v1.0"), json!("v1.0"));
    }

    proptest! {
        #[test]
        fn strings_round_trip(s in "\\PC{0,12}") {
            prop_assert_eq!(from_text(&to_text(&Value::String(s.clone()))), Value::String(s));
        }

        #[test]
        fn scalars_round_trip(i in any::<i64>(), b in any::<bool>()) {
            prop_assert_eq!(from_text(&to_text(&json!(i))), json!(i));
            prop_assert_eq!(from_text(&to_text(&json!(b))), json!(b));
        }
    }
}
