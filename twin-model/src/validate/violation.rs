//! Violations and rules.

use std::fmt;

/// At most this many violations are collected; a final
/// [`Rule::TooManyViolations`] entry says more were found.
pub const MAX_VIOLATIONS: usize = 100;

/// The rule a value breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rule {
    /// Section size (counted as the service counts) over its limit.
    SectionTooLarge {
        /// Counted size.
        size: usize,
        /// Limit.
        limit: usize,
    },
    /// Objects nested deeper than allowed.
    TooDeep {
        /// Maximum nesting.
        limit: usize,
    },
    /// Key longer than allowed (bytes).
    KeyTooLong {
        /// Length in bytes.
        len: usize,
        /// Limit.
        limit: usize,
    },
    /// Key contains a forbidden character (control, `.`, `$`, space).
    KeyForbiddenChar {
        /// The character.
        ch: char,
    },
    /// Integer outside [-2^52, 2^52 - 1].
    IntegerOutOfRange,
    /// String value longer than allowed (bytes).
    StringTooLong {
        /// Length in bytes.
        len: usize,
        /// Limit.
        limit: usize,
    },
    /// Bad device or module id.
    InvalidId {
        /// Why.
        reason: String,
    },
    /// A text field longer than allowed (characters).
    TextTooLong {
        /// Length.
        len: usize,
        /// Limit.
        limit: usize,
    },
    /// Symmetric key not base64.
    KeyNotBase64,
    /// Symmetric key not 16 to 64 bytes once decoded.
    KeyLength {
        /// Decoded length.
        len: usize,
    },
    /// Name does not match the service's pattern.
    InvalidName {
        /// The pattern.
        pattern: &'static str,
    },
    /// A negative or otherwise invalid number where a count is required.
    InvalidNumber,
    /// More violations than [`MAX_VIOLATIONS`] were found.
    TooManyViolations,
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SectionTooLarge { size, limit } => write!(f, "size {size} bytes exceeds {limit}"),
            Self::TooDeep { limit } => write!(f, "nesting exceeds {limit} levels"),
            Self::KeyTooLong { len, limit } => write!(f, "key of {len} bytes exceeds {limit}"),
            Self::KeyForbiddenChar { ch } => write!(f, "key contains forbidden character {ch:?}"),
            Self::IntegerOutOfRange => f.write_str("integer outside -2^52..2^52-1"),
            Self::StringTooLong { len, limit } => {
                write!(f, "string of {len} bytes exceeds {limit}")
            }
            Self::InvalidId { reason } => write!(f, "invalid id: {reason}"),
            Self::TextTooLong { len, limit } => {
                write!(f, "text of {len} characters exceeds {limit}")
            }
            Self::KeyNotBase64 => f.write_str("symmetric key is not base64"),
            Self::KeyLength { len } => write!(f, "symmetric key of {len} bytes is outside 16..=64"),
            Self::InvalidName { pattern } => write!(f, "name does not match {pattern}"),
            Self::InvalidNumber => f.write_str("invalid number"),
            Self::TooManyViolations => write!(f, "more than {MAX_VIOLATIONS} violations"),
        }
    }
}

/// One violation: where (dotted path from the document root) and which rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// e.g. `properties.desired.a.b`, `tags`, `clientToken`, `items[3]`.
    pub path: String,
    /// The rule broken.
    pub rule: Rule,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.rule)
    }
}

/// A non-empty list of violations, returned as an error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} limit violation(s), first at {}", .0.len(), .0.first().map_or("", |v| v.path.as_str()))]
pub struct Violations(pub Vec<Violation>);

impl Violations {
    /// `Ok(())` for an empty list.
    pub fn into_result(list: Vec<Violation>) -> Result<(), Self> {
        if list.is_empty() {
            Ok(())
        } else {
            Err(Self(list))
        }
    }

    /// True when there is none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Iterates the violations.
    pub fn iter(&self) -> std::slice::Iter<'_, Violation> {
        self.0.iter()
    }
}

/// Appends a violation unless the cap is reached.
pub(crate) fn push(out: &mut Vec<Violation>, path: impl FnOnce() -> String, rule: Rule) {
    match out.len() {
        n if n < MAX_VIOLATIONS => out.push(Violation { path: path(), rule }),
        n if n == MAX_VIOLATIONS => out.push(Violation {
            path: String::new(),
            rule: Rule::TooManyViolations,
        }),
        _ => {}
    }
}
