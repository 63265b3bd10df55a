//! `twin-model`: under construction.

pub mod decode;
pub mod etag;
pub mod iothub;
mod lenient_enum;
pub mod timestamp;

pub use decode::DecodeError;

/// A short name of a JSON value's kind, for error messages.
pub(crate) fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}
pub mod aws;
pub mod ditto;
pub mod hawkbit;
pub mod mapping;
pub mod patch;
pub mod validate;
