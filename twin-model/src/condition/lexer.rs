//! Tokens of the condition language.

use crate::condition::error::{ParseError, ParseErrorKind};

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Ident(String),
    Str(String),
    Num(f64),
    Dot,
    Comma,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Star,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Tok {
    pub(crate) fn describe(&self) -> String {
        match self {
            Self::Ident(s) => s.clone(),
            Self::Str(s) => format!("'{s}'"),
            Self::Num(n) => n.to_string(),
            Self::Dot => ".".into(),
            Self::Comma => ",".into(),
            Self::LParen => "(".into(),
            Self::RParen => ")".into(),
            Self::LBracket => "[".into(),
            Self::RBracket => "]".into(),
            Self::Star => "*".into(),
            Self::Eq => "=".into(),
            Self::Ne => "!=".into(),
            Self::Lt => "<".into(),
            Self::Le => "<=".into(),
            Self::Gt => ">".into(),
            Self::Ge => ">=".into(),
        }
    }
}

/// A token and its byte span.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Spanned {
    pub(crate) tok: Tok,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// Longest condition accepted (IoT Hub queries are far shorter).
pub(crate) const MAX_LEN: usize = 64 * 1024;

pub(crate) fn lex(text: &str) -> Result<Vec<Spanned>, ParseError> {
    if text.len() > MAX_LEN {
        return Err(ParseError::new(text, 0, ParseErrorKind::TooLong));
    }
    let err = |at: usize, kind| ParseError::new(text, at, kind);
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let start = i;
        let tok = match b {
            b' ' | b'\t' | b'\r' | b'\n' => {
                i += 1;
                continue;
            }
            b'.' if !bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                i += 1;
                Tok::Dot
            }
            b',' => {
                i += 1;
                Tok::Comma
            }
            b'(' => {
                i += 1;
                Tok::LParen
            }
            b')' => {
                i += 1;
                Tok::RParen
            }
            b'[' => {
                i += 1;
                Tok::LBracket
            }
            b']' => {
                i += 1;
                Tok::RBracket
            }
            b'*' => {
                i += 1;
                Tok::Star
            }
            b'=' => {
                i += 1;
                Tok::Eq
            }
            b'!' if bytes.get(i + 1) == Some(&b'=') => {
                i += 2;
                Tok::Ne
            }
            b'<' => match bytes.get(i + 1) {
                Some(b'=') => {
                    i += 2;
                    Tok::Le
                }
                Some(b'>') => {
                    i += 2;
                    Tok::Ne
                }
                _ => {
                    i += 1;
                    Tok::Lt
                }
            },
            b'>' => {
                if bytes.get(i + 1) == Some(&b'=') {
                    i += 2;
                    Tok::Ge
                } else {
                    i += 1;
                    Tok::Gt
                }
            }
            b'\'' | b'"' => {
                let quote = b;
                let mut s = String::new();
                i += 1;
                loop {
                    let Some(rest) = text.get(i..) else {
                        return Err(err(start, ParseErrorKind::UnterminatedString));
                    };
                    let Some(c) = rest.chars().next() else {
                        return Err(err(start, ParseErrorKind::UnterminatedString));
                    };
                    if c == '\\' {
                        let Some(n) = rest.chars().nth(1) else {
                            return Err(err(start, ParseErrorKind::UnterminatedString));
                        };
                        s.push(n);
                        i += 1 + n.len_utf8();
                    } else if c == char::from(quote) {
                        // A doubled quote stands for one quote (SQL style).
                        if bytes.get(i + 1) == Some(&quote) {
                            s.push(c);
                            i += 2;
                        } else {
                            i += 1;
                            break;
                        }
                    } else {
                        s.push(c);
                        i += c.len_utf8();
                    }
                }
                Tok::Str(s)
            }
            b'-' | b'+' | b'0'..=b'9' | b'.' => {
                i += 1;
                while bytes
                    .get(i)
                    .is_some_and(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E'))
                    || (matches!(bytes.get(i), Some(b'-' | b'+'))
                        && matches!(bytes.get(i - 1), Some(b'e' | b'E')))
                {
                    i += 1;
                }
                let s = text.get(start..i).unwrap_or_default();
                Tok::Num(
                    s.parse::<f64>()
                        .ok()
                        .filter(|n| n.is_finite())
                        .ok_or_else(|| err(start, ParseErrorKind::InvalidNumber))?,
                )
            }
            c if c.is_ascii_alphabetic() || c == b'_' || c == b'$' => {
                while bytes
                    .get(i)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'$'))
                {
                    i += 1;
                }
                Tok::Ident(text.get(start..i).unwrap_or_default().to_owned())
            }
            _ => {
                let c = text
                    .get(i..)
                    .and_then(|s| s.chars().next())
                    .unwrap_or('\u{FFFD}');
                return Err(err(i, ParseErrorKind::UnexpectedChar(c)));
            }
        };
        out.push(Spanned { tok, start, end: i });
    }
    Ok(out)
}
