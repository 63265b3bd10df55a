//! The FIQL (RSQL) subset of the simulated Management API's `q` parameter:
//! `field==value` and `field!=value`, `*` wildcards, `;` (and) binding
//! tighter than `,` (or), values optionally quoted, and the ordered
//! comparisons `=lt=`, `=le=`, `=gt=`, `=ge=` on the two audit timestamps
//! (`createdAt`, `lastModifiedAt`, milliseconds since the epoch).
//! Parentheses, `=in=`/`=out=`, ordered comparisons on other fields and
//! unknown fields are refused with a 400.

use super::errors;
use crate::ddi::errors::ApiError;

/// What a comparison looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Selector {
    ControllerId,
    Name,
    Description,
    UpdateStatus,
    /// A target tag's name.
    Tag,
    /// A target metadata value by key (`metadata.KEY`).
    Metadata(String),
    /// A target attribute by key (`attribute.KEY`).
    Attribute(String),
    /// A tag's colour.
    Colour,
    /// Creation time, ms since the epoch.
    CreatedAt,
    /// Last modification time, ms since the epoch.
    LastModifiedAt,
}

/// The operator of one comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Op {
    /// `==` (`true`) or `!=` (`false`) against a glob pattern.
    Glob { equal: bool, pattern: String },
    /// `=lt=`, `=le=`, `=gt=`, `=ge=` against a number: the orderings that pass.
    Ordered {
        value: i64,
        pass: &'static [std::cmp::Ordering],
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Comparison {
    selector: Selector,
    op: Op,
}

/// A parsed query: an OR of ANDs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Query {
    any_of: Vec<Vec<Comparison>>,
}

impl Query {
    /// Parses `q`; `allowed` says which selectors this entity has.
    pub(crate) fn parse(q: &str, allowed: &dyn Fn(&Selector) -> bool) -> Result<Self, ApiError> {
        let mut any_of = Vec::new();
        for alternative in split_top(q, ',')? {
            let mut all_of = Vec::new();
            for term in split_top(&alternative, ';')? {
                let c = comparison(&term)?;
                if !allowed(&c.selector) {
                    return Err(errors::rsql_invalid_field(&term));
                }
                all_of.push(c);
            }
            any_of.push(all_of);
        }
        Ok(Self { any_of })
    }

    /// Whether an entity matches; `values` gives what it holds for a selector
    /// (several tag names, one metadata value, nothing when absent).
    pub(crate) fn matches(&self, values: &dyn Fn(&Selector) -> Vec<String>) -> bool {
        self.any_of.iter().any(|all| {
            all.iter().all(|c| match &c.op {
                Op::Glob { equal, pattern } => {
                    let hit = values(&c.selector).iter().any(|v| glob(pattern, v));
                    hit == *equal
                }
                Op::Ordered { value, pass } => values(&c.selector)
                    .iter()
                    .filter_map(|v| v.parse::<i64>().ok())
                    .any(|v| pass.contains(&v.cmp(value))),
            })
        })
    }
}

/// Splits at `sep` outside quotes, unquoting nothing yet.
fn split_top(q: &str, sep: char) -> Result<Vec<String>, ApiError> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for ch in q.chars() {
        if escaped {
            current.push(ch);
            escaped = false;
            continue;
        }
        match (quote, ch) {
            (Some(_), '\\') => {
                current.push(ch);
                escaped = true;
            }
            (Some(open), c) if c == open => {
                current.push(ch);
                quote = None;
            }
            (Some(_), _) => current.push(ch),
            (None, '"' | '\'') => {
                current.push(ch);
                quote = Some(ch);
            }
            (None, '(' | ')') => return Err(errors::rsql_syntax(q)),
            (None, c) if c == sep => parts.push(std::mem::take(&mut current)),
            (None, _) => current.push(ch),
        }
    }
    if quote.is_some() || escaped {
        return Err(errors::rsql_syntax(q));
    }
    parts.push(current);
    if parts.iter().any(|p| p.trim().is_empty()) {
        return Err(errors::rsql_syntax(q));
    }
    Ok(parts)
}

fn comparison(term: &str) -> Result<Comparison, ApiError> {
    use std::cmp::Ordering::{Equal, Greater, Less};
    const ORDERED: [(&str, &[std::cmp::Ordering]); 4] = [
        ("=lt=", &[Less]),
        ("=le=", &[Less, Equal]),
        ("=gt=", &[Greater]),
        ("=ge=", &[Greater, Equal]),
    ];
    // The operator starts at the first `=` or `!`: field names hold neither,
    // values may (quoted).
    let at = term
        .find(['=', '!'])
        .ok_or_else(|| errors::rsql_syntax(term))?;
    let (field, rest) = term.split_at(at);
    // `Ok(pass)`: ordered; `Err(equal)`: `==` or `!=`.
    let (value, kind) = if let Some(v) = rest.strip_prefix("==") {
        (v, Err(true))
    } else if let Some(v) = rest.strip_prefix("!=") {
        (v, Err(false))
    } else if let Some((v, pass)) = ORDERED
        .iter()
        .find_map(|(token, pass)| rest.strip_prefix(token).map(|v| (v, *pass)))
    {
        (v, Ok(pass))
    } else {
        return Err(errors::rsql_syntax(term));
    };
    let field = field.trim();
    if field.is_empty() || field.contains(['=', '!', '<', '>', '~', ' ']) {
        return Err(errors::rsql_syntax(term));
    }
    let selector = selector(field).ok_or_else(|| errors::rsql_invalid_field(field))?;
    let value = unquote(value.trim()).ok_or_else(|| errors::rsql_syntax(term))?;
    let op = match kind {
        Ok(pass) => {
            if !matches!(selector, Selector::CreatedAt | Selector::LastModifiedAt) {
                return Err(errors::rsql_syntax(term));
            }
            let value = value.parse().map_err(|_| errors::rsql_syntax(term))?;
            Op::Ordered { value, pass }
        }
        Err(equal) => Op::Glob {
            equal,
            pattern: value,
        },
    };
    Ok(Comparison { selector, op })
}

fn selector(field: &str) -> Option<Selector> {
    let lower = field.to_ascii_lowercase();
    for (prefix, make) in [
        ("metadata.", Selector::Metadata as fn(String) -> Selector),
        ("attribute.", Selector::Attribute),
    ] {
        if lower.starts_with(prefix) {
            let key = field.get(prefix.len()..).unwrap_or_default();
            return (!key.is_empty()).then(|| make(key.to_owned()));
        }
    }
    Some(match lower.as_str() {
        "id" | "controllerid" => Selector::ControllerId,
        "name" => Selector::Name,
        "description" => Selector::Description,
        "updatestatus" => Selector::UpdateStatus,
        "tag" | "tags.name" => Selector::Tag,
        "colour" => Selector::Colour,
        "createdat" => Selector::CreatedAt,
        "lastmodifiedat" => Selector::LastModifiedAt,
        _ => return None,
    })
}

/// A bare value (no reserved characters) or a quoted one with `\` escapes.
fn unquote(v: &str) -> Option<String> {
    let mut chars = v.chars();
    match chars.next() {
        None => None,
        Some(q @ ('"' | '\'')) => {
            let inner = v.get(1..v.len().checked_sub(1)?)?;
            if !v.ends_with(q) || v.len() < 2 {
                return None;
            }
            let mut out = String::new();
            let mut escaped = false;
            for ch in inner.chars() {
                if escaped {
                    out.push(ch);
                    escaped = false;
                } else if ch == '\\' {
                    escaped = true;
                } else {
                    out.push(ch);
                }
            }
            (!escaped).then_some(out)
        }
        Some(_) => {
            let reserved = v.chars().any(|c| {
                matches!(
                    c,
                    '"' | '\'' | '(' | ')' | ';' | ',' | '=' | '!' | '<' | '>' | '~'
                ) || c.is_whitespace()
            });
            (!reserved).then(|| v.to_owned())
        }
    }
}

/// `*` matches any run of characters; everything else literally.
pub(crate) fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(c) if Some(c) == t.get(ti) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|c| *c == '*'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn any(_: &Selector) -> bool {
        true
    }

    #[test]
    fn globs() {
        assert!(glob("hub1-*", "hub1-dev"));
        assert!(glob("*", ""));
        assert!(glob("a*c*e", "abcde"));
        assert!(!glob("a*c", "abd"));
        assert!(glob("exact", "exact"));
        assert!(!glob("exact", "exact2"));
    }

    #[test]
    fn and_binds_tighter_than_or() {
        let q = Query::parse("controllerId==a*;tag==x,name==z", &any).unwrap();
        let target = |id: &'static str, tag: &'static str, name: &'static str| {
            move |s: &Selector| match s {
                Selector::ControllerId => vec![id.to_owned()],
                Selector::Tag => vec![tag.to_owned()],
                Selector::Name => vec![name.to_owned()],
                _ => vec![],
            }
        };
        assert!(q.matches(&target("ab", "x", "n")));
        assert!(!q.matches(&target("ab", "y", "n")));
        assert!(q.matches(&target("b", "y", "z")));
    }

    #[test]
    fn quoted_values_and_metadata() {
        let q = Query::parse("metadata.managedBy==\"hub;1\"", &any).unwrap();
        let with = |v: &'static str| {
            move |s: &Selector| match s {
                Selector::Metadata(k) if k == "managedBy" => vec![v.to_owned()],
                _ => vec![],
            }
        };
        assert!(q.matches(&with("hub;1")));
        assert!(!q.matches(&with("hub2")));
        let not = Query::parse("metadata.managedBy!=hub1", &any).unwrap();
        assert!(not.matches(&|_: &Selector| vec![]));
    }

    #[test]
    fn ordered_comparisons_on_timestamps() {
        let at = |ms: i64| {
            move |s: &Selector| match s {
                Selector::LastModifiedAt => vec![ms.to_string()],
                Selector::CreatedAt => vec!["100".to_owned()],
                _ => vec![],
            }
        };
        let ge = Query::parse("lastModifiedAt=ge=200", &any).unwrap();
        assert!(ge.matches(&at(200)) && ge.matches(&at(201)) && !ge.matches(&at(199)));
        let gt = Query::parse("lastModifiedAt=gt=200", &any).unwrap();
        assert!(!gt.matches(&at(200)) && gt.matches(&at(201)));
        let lt = Query::parse("createdAt=lt=101;lastModifiedAt=le=300", &any).unwrap();
        assert!(lt.matches(&at(300)) && !lt.matches(&at(301)));
        // numbers, not text: 1000 > 999
        let big = Query::parse("lastModifiedAt=gt=999", &any).unwrap();
        assert!(big.matches(&at(1000)));
        // the equality operators still work on the timestamps
        assert!(
            Query::parse("createdAt==100", &any)
                .unwrap()
                .matches(&at(0))
        );
    }

    #[test]
    fn unsupported_syntax_and_fields_are_400() {
        for q in [
            "(a==b)",
            "name=gt=a",
            "lastModifiedAt=ge=soon",
            "lastModifiedAt=ge=",
            "name=in=(a,b)",
            "name==",
            "nosuch==1",
            "a==b;",
            "name==\"open",
        ] {
            assert_eq!(
                Query::parse(q, &any).unwrap_err().status,
                axum::http::StatusCode::BAD_REQUEST,
                "{q}"
            );
        }
        let only_name = |s: &Selector| *s == Selector::Name;
        assert!(Query::parse("colour==red", &only_name).is_err());
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(q in "\\PC{0,40}") {
            let _ = Query::parse(&q, &any);
        }

        #[test]
        fn star_matches_everything(s in "\\PC{0,20}") {
            proptest::prop_assert!(glob("*", &s));
            let with_star = format!("{s}*");
            proptest::prop_assert!(glob(&with_star, &s));
        }
    }
}
