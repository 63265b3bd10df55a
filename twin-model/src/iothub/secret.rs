//! Secret strings that never reach logs.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A secret (symmetric key, password, SAS URI). Serialized verbatim, but
/// its `Debug` output is redacted so secrets never end up in logs.
#[derive(Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself; call only where it must be sent.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let s = Secret::new("c2VjcmV0");
        assert!(!format!("{s:?}").contains("c2VjcmV0"));
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"c2VjcmV0\"");
    }
}
