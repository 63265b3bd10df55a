//! Parse errors with positions.

use std::fmt;

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// A character that starts no token.
    UnexpectedChar(char),
    /// A string literal without its closing quote.
    UnterminatedString,
    /// A malformed number.
    InvalidNumber,
    /// A token where something else was expected.
    Unexpected {
        /// What was found.
        found: String,
        /// What would have been valid.
        expected: &'static str,
    },
    /// The input ended early.
    UnexpectedEnd {
        /// What would have been valid.
        expected: &'static str,
    },
    /// A path that starts with an unknown field.
    UnknownField(String),
    /// A function this crate does not implement.
    UnknownFunction(String),
    /// Parentheses or `NOT` nested deeper than the parser allows.
    TooDeep,
    /// Input longer than the parser accepts.
    TooLong,
}

impl fmt::Display for ParseErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnexpectedChar(c) => write!(f, "unexpected character {c:?}"),
            Self::UnterminatedString => f.write_str("unterminated string"),
            Self::InvalidNumber => f.write_str("invalid number"),
            Self::Unexpected { found, expected } => {
                write!(f, "found `{found}`, expected {expected}")
            }
            Self::UnexpectedEnd { expected } => write!(f, "unexpected end, expected {expected}"),
            Self::UnknownField(s) => write!(f, "unknown field `{s}`"),
            Self::UnknownFunction(s) => write!(f, "unknown function `{s}`"),
            Self::TooDeep => f.write_str("nesting too deep"),
            Self::TooLong => f.write_str("condition too long"),
        }
    }
}

/// A parse error at a position of the condition text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} at column {column}")]
pub struct ParseError {
    /// Byte offset into the text.
    pub offset: usize,
    /// 1-based character column.
    pub column: usize,
    /// What went wrong.
    pub kind: ParseErrorKind,
}

impl ParseError {
    pub(crate) fn new(text: &str, offset: usize, kind: ParseErrorKind) -> Self {
        let column = text.get(..offset).map_or(offset, |s| s.chars().count()) + 1;
        Self {
            offset,
            column,
            kind,
        }
    }
}
