//! AWS IoT Device Shadow limits.

use serde_json::{Map, Value};

use crate::aws::shadow::{
    CLIENT_TOKEN_MAX_BYTES, SectionUpdate, ShadowDocument, ShadowUpdateRequest,
};
use crate::validate::violation::{Rule, Violation, Violations, push};
use crate::validate::walker::{SectionLimits, walk_section};

/// Maximum nesting inside desired or reported.
pub const MAX_DEPTH: usize = 6;
/// Default state document limit (desired + reported, metadata excluded).
pub const STATE_MAX_BYTES: usize = 8 * 1024;
/// Thing name limit.
pub const THING_NAME_MAX: usize = 128;
/// Shadow name limit.
pub const SHADOW_NAME_MAX: usize = 64;

const LIMITS: SectionLimits = SectionLimits {
    max_depth: MAX_DEPTH,
    max_key_bytes: None,
    iothub_key_chars: false,
    max_string_bytes: None,
    iothub_integer_range: false,
    measure_json: true,
};

fn check_sections(
    sections: &[(&str, Option<&Map<String, Value>>)],
    client_token: Option<&str>,
    out: &mut Vec<Violation>,
) {
    // `{"state":{...}}` framing aside, AWS counts the JSON text of the state.
    let mut size = 2;
    let mut present = 0;
    for (path, section) in sections {
        if let Some(s) = section {
            let r = walk_section(path, s, &LIMITS, out);
            size += r.json_size + path.rsplit('.').next().map_or(0, |k| k.len() + 3);
            present += 1;
        }
    }
    size += usize::saturating_sub(present, 1);
    if size > STATE_MAX_BYTES {
        push(
            out,
            || "state".to_owned(),
            Rule::SectionTooLarge {
                size,
                limit: STATE_MAX_BYTES,
            },
        );
    }
    if let Some(t) = client_token
        && t.len() > CLIENT_TOKEN_MAX_BYTES
    {
        push(
            out,
            || "clientToken".to_owned(),
            Rule::TextTooLong {
                len: t.len(),
                limit: CLIENT_TOKEN_MAX_BYTES,
            },
        );
    }
}

fn merged(s: Option<&SectionUpdate>) -> Option<&Map<String, Value>> {
    match s? {
        SectionUpdate::Merge(m) => Some(m),
        SectionUpdate::Clear => None,
    }
}

/// Checks an `/update` request: depth ≤ 6, state ≤ 8 KB, clientToken ≤ 64 bytes.
pub fn validate_update(req: &ShadowUpdateRequest) -> Result<(), Violations> {
    let mut out = Vec::new();
    check_sections(
        &[
            ("state.desired", merged(req.state.desired.as_ref())),
            ("state.reported", merged(req.state.reported.as_ref())),
        ],
        req.client_token.as_deref(),
        &mut out,
    );
    Violations::into_result(out)
}

/// Checks desired and reported maps as a state document (depth, size).
pub fn validate_sections(
    desired: Option<&Map<String, Value>>,
    reported: Option<&Map<String, Value>>,
) -> Result<(), Violations> {
    let mut out = Vec::new();
    check_sections(
        &[("state.desired", desired), ("state.reported", reported)],
        None,
        &mut out,
    );
    Violations::into_result(out)
}

/// Checks a stored document's desired and reported state.
pub fn validate_document(doc: &ShadowDocument) -> Result<(), Violations> {
    let mut out = Vec::new();
    check_sections(
        &[
            ("state.desired", doc.state.desired.as_ref()),
            ("state.reported", doc.state.reported.as_ref()),
        ],
        doc.client_token.as_deref(),
        &mut out,
    );
    Violations::into_result(out)
}

fn check_name(name: &str, max: usize, extra: &[char], pattern: &'static str) -> Result<(), Rule> {
    let len = name.chars().count();
    if len == 0 || len > max {
        return Err(Rule::TextTooLong { len, limit: max });
    }
    if name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '_' | '-') || extra.contains(&c))
    {
        Ok(())
    } else {
        Err(Rule::InvalidName { pattern })
    }
}

/// Thing names: 1–128 characters of `[a-zA-Z0-9:_-]`.
pub fn check_thing_name(name: &str) -> Result<(), Rule> {
    check_name(name, THING_NAME_MAX, &[], "[a-zA-Z0-9:_-]+")
}

/// Shadow names: 1–64 characters of `[$a-zA-Z0-9:_-]`.
pub fn check_shadow_name(name: &str) -> Result<(), Rule> {
    check_name(name, SHADOW_NAME_MAX, &['$'], "[$a-zA-Z0-9:_-]+")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_matches_compact_state_text() {
        let req: ShadowUpdateRequest =
            serde_json::from_str(r#"{"state":{"desired":{"a":"x"},"reported":{"b":[1,2]}}}"#)
                .unwrap();
        let text = serde_json::to_string(&req.state).unwrap();
        let mut out = Vec::new();
        let mut big = req.clone();
        let filler = "y".repeat(STATE_MAX_BYTES - text.len() + 1 - 7);
        if let Some(SectionUpdate::Merge(m)) = &mut big.state.desired {
            m.insert("f".into(), Value::String(filler));
        }
        let big_text = serde_json::to_string(&big.state).unwrap();
        assert_eq!(big_text.len(), STATE_MAX_BYTES + 1);
        check_sections(
            &[
                ("state.desired", merged(big.state.desired.as_ref())),
                ("state.reported", merged(big.state.reported.as_ref())),
            ],
            None,
            &mut out,
        );
        assert_eq!(out.len(), 1);
        assert_eq!(
            out[0].rule,
            Rule::SectionTooLarge {
                size: STATE_MAX_BYTES + 1,
                limit: STATE_MAX_BYTES
            }
        );
        assert!(validate_update(&req).is_ok());
    }

    #[test]
    fn names() {
        assert!(check_thing_name("my-thing:1_a").is_ok());
        assert!(check_thing_name("a b").is_err());
        assert!(check_thing_name("").is_err());
        assert!(check_shadow_name("$fw").is_ok());
        assert!(check_shadow_name(&"a".repeat(65)).is_err());
    }
}
