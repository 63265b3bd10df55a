//! Go's `encoding/json` decodes `null` into a field's zero value; serde's
//! `default` only covers a missing key. These helpers give both the same meaning.

use serde::{Deserialize, Deserializer};

/// Decodes `null` (or a missing key, with `#[serde(default)]`) as `T::default()`.
pub(crate) fn null_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// Go's `omitempty` for strings.
pub(crate) fn is_empty_str(s: &str) -> bool {
    s.is_empty()
}

/// Go's `omitempty` for integers and booleans.
pub(crate) fn is_zero<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}
