//! hawkBit controller ids.

use std::fmt;

/// Why a string is not a valid controller id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ControllerIdError {
    /// Empty.
    #[error("controller id is empty")]
    Empty,
    /// More than 256 characters.
    #[error("controller id has {len} characters, more than 256")]
    TooLong {
        /// Length in UTF-16 units (what hawkBit counts).
        len: usize,
    },
    /// Whitespace (hawkBit's `[\S]*`).
    #[error("controller id has whitespace at byte {at}")]
    Whitespace {
        /// Byte offset.
        at: usize,
    },
}

/// A hawkBit controller id: 1–256 characters without whitespace.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ControllerId(String);

/// Java's `\s` (hawkBit validates with `[\S]*`, ASCII whitespace only).
fn is_java_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r')
}

impl ControllerId {
    /// Validates `id`.
    pub fn new(id: impl Into<String>) -> Result<Self, ControllerIdError> {
        let id = id.into();
        if id.is_empty() {
            return Err(ControllerIdError::Empty);
        }
        if let Some(at) = id.find(is_java_space) {
            return Err(ControllerIdError::Whitespace { at });
        }
        let len = id.encode_utf16().count();
        if len > 256 {
            return Err(ControllerIdError::TooLong { len });
        }
        Ok(Self(id))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ControllerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
