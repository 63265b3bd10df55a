//! An iterative, depth-bounded walk over a JSON property tree.

use serde_json::{Map, Value};

use crate::validate::violation::{Rule, Violation, push};

/// The limits a walk enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SectionLimits {
    /// Maximum nesting of objects and arrays (root is level 0).
    pub max_depth: usize,
    /// Maximum key length in bytes, if keys are checked.
    pub max_key_bytes: Option<usize>,
    /// Apply IoT Hub's forbidden key characters (control, `.`, `$`, space).
    pub iothub_key_chars: bool,
    /// Maximum string value length in bytes.
    pub max_string_bytes: Option<usize>,
    /// Enforce IoT Hub's integer range.
    pub iothub_integer_range: bool,
    /// Also measure the compact JSON length ([`SectionReport::json_size`],
    /// what AWS counts); IoT Hub checks skip it.
    pub measure_json: bool,
}

/// Sizes measured by a walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SectionReport {
    /// Size as IoT Hub counts it: keys and strings in UTF-8 bytes without
    /// control characters, numbers 8, booleans 4, `null` 0.
    pub iothub_size: usize,
    /// Length of the compact JSON text (what AWS counts); 0 unless
    /// [`SectionLimits::measure_json`].
    pub json_size: usize,
}

const MAX_SAFE: i64 = 4_503_599_627_370_495;
const MIN_SAFE: i64 = -4_503_599_627_370_496;

#[derive(Clone, Copy)]
enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

fn render(prefix: &str, path: &[Seg<'_>]) -> String {
    let mut s = prefix.to_owned();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Seg::Index(i) => {
                s.push('[');
                s.push_str(&i.to_string());
                s.push(']');
            }
        }
    }
    s
}

fn is_control(c: char) -> bool {
    c.is_control()
}

/// IoT Hub size of a key or string: UTF-8 bytes, control characters free.
pub(crate) fn counted_len(s: &str) -> usize {
    if s.is_ascii() {
        // Fast path: one byte per character.
        return s.bytes().filter(|b| !b.is_ascii_control()).count();
    }
    s.chars()
        .filter(|c| !is_control(*c))
        .map(char::len_utf8)
        .sum()
}

/// Length of `s` as a JSON string literal, quotes included.
fn json_string_len(s: &str) -> usize {
    2 + s
        .chars()
        .map(|c| match c {
            '"' | '\\' | '\n' | '\r' | '\t' | '\u{08}' | '\u{0C}' => 2,
            c if (c as u32) < 0x20 => 6,
            c => c.len_utf8(),
        })
        .sum::<usize>()
}

fn digits(mut n: u64) -> usize {
    let mut d = 1;
    while n >= 10 {
        n /= 10;
        d += 1;
    }
    d
}

/// Length of a number's JSON text; integers without allocating.
fn number_text_len(n: &serde_json::Number) -> usize {
    match (n.as_u64(), n.as_i64()) {
        (Some(u), _) => digits(u),
        (None, Some(i)) => 1 + digits(i.unsigned_abs()),
        _ => n.to_string().len(),
    }
}

fn container_len(v: &Value) -> usize {
    match v {
        Value::Object(m) => 2 + m.len().saturating_sub(1),
        Value::Array(a) => 2 + a.len().saturating_sub(1),
        _ => 0,
    }
}

/// Walks `root` (an object such as `tags` or `properties.desired`),
/// reporting violations under `prefix` and returning the measured sizes.
pub(crate) fn walk_section(
    prefix: &str,
    root: &Map<String, Value>,
    limits: &SectionLimits,
    out: &mut Vec<Violation>,
) -> SectionReport {
    let mut report = SectionReport {
        iothub_size: 0,
        json_size: 2 + root.len().saturating_sub(1),
    };
    let mut path: Vec<Seg<'_>> = Vec::new();
    let mut stack: Vec<(usize, Seg<'_>, &Value)> = root
        .iter()
        .rev()
        .map(|(k, v)| (1, Seg::Key(k.as_str()), v))
        .collect();
    while let Some((depth, seg, value)) = stack.pop() {
        path.truncate(depth - 1);
        path.push(seg);
        if let Seg::Key(k) = seg {
            report.iothub_size += counted_len(k);
            if limits.measure_json {
                report.json_size += json_string_len(k) + 1;
            }
            if let Some(max) = limits.max_key_bytes
                && k.len() > max
            {
                push(
                    out,
                    || render(prefix, &path),
                    Rule::KeyTooLong {
                        len: k.len(),
                        limit: max,
                    },
                );
            }
            if limits.iothub_key_chars
                && let Some(ch) = k
                    .chars()
                    .find(|c| is_control(*c) || matches!(c, '.' | '$' | ' '))
            {
                push(out, || render(prefix, &path), Rule::KeyForbiddenChar { ch });
            }
        }
        match value {
            Value::Null => report.json_size += 4,
            Value::Bool(b) => {
                report.iothub_size += 4;
                report.json_size += if *b { 4 } else { 5 };
            }
            Value::Number(n) => {
                report.iothub_size += 8;
                if limits.measure_json {
                    report.json_size += number_text_len(n);
                }
                let out_of_range = match (n.as_i64(), n.as_u64()) {
                    (Some(i), _) => !(MIN_SAFE..=MAX_SAFE).contains(&i),
                    (None, Some(_)) => true,
                    (None, None) => false,
                };
                if limits.iothub_integer_range && out_of_range {
                    push(out, || render(prefix, &path), Rule::IntegerOutOfRange);
                }
            }
            Value::String(s) => {
                report.iothub_size += counted_len(s);
                if limits.measure_json {
                    report.json_size += json_string_len(s);
                }
                if let Some(max) = limits.max_string_bytes
                    && s.len() > max
                {
                    push(
                        out,
                        || render(prefix, &path),
                        Rule::StringTooLong {
                            len: s.len(),
                            limit: max,
                        },
                    );
                }
            }
            Value::Object(_) | Value::Array(_) => {
                report.json_size += container_len(value);
                if depth > limits.max_depth {
                    push(
                        out,
                        || render(prefix, &path),
                        Rule::TooDeep {
                            limit: limits.max_depth,
                        },
                    );
                    continue;
                }
                match value {
                    Value::Object(m) => stack.extend(
                        m.iter()
                            .rev()
                            .map(|(k, v)| (depth + 1, Seg::Key(k.as_str()), v)),
                    ),
                    Value::Array(a) => stack.extend(
                        a.iter()
                            .enumerate()
                            .rev()
                            .map(|(i, v)| (depth + 1, Seg::Index(i), v)),
                    ),
                    _ => {}
                }
            }
        }
    }
    if !limits.measure_json {
        report.json_size = 0;
    }
    report
}

/// Length of the compact JSON text of `value`, computed without recursion.
pub fn json_size_compact(value: &Value) -> usize {
    let mut total = 0;
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        total += match v {
            Value::Null => 4,
            Value::Bool(true) => 4,
            Value::Bool(false) => 5,
            Value::Number(n) => number_text_len(n),
            Value::String(s) => json_string_len(s),
            Value::Array(a) => {
                stack.extend(a.iter());
                container_len(v)
            }
            Value::Object(m) => {
                stack.extend(m.values());
                container_len(v) + m.keys().map(|k| json_string_len(k) + 1).sum::<usize>()
            }
        };
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn value_strategy() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|i| json!(i)),
            (-1e9f64..1e9).prop_map(|f| json!(f)),
            "\\PC{0,8}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map("[a-z\"\\\\]{0,4}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn counted_len_fast_path_agrees(s in "[\\x00-\\x7f]{0,20}|\\PC{0,10}[\\x00-\\x1f\\u{80}-\\u{9f}]{0,3}") {
            let slow: usize = s.chars().filter(|c| !c.is_control()).map(char::len_utf8).sum();
            prop_assert_eq!(counted_len(&s), slow);
        }

        #[test]
        fn json_size_matches_serde_json(v in value_strategy()) {
            prop_assert_eq!(json_size_compact(&v), serde_json::to_string(&v).unwrap().len());
        }

        #[test]
        fn walk_json_size_matches_serde_json(m in prop::collection::btree_map("[a-z]{1,4}", value_strategy(), 0..4)) {
            let map: Map<String, Value> = m.into_iter().collect();
            let limits = SectionLimits { max_depth: 100, max_key_bytes: None, iothub_key_chars: false, max_string_bytes: None, iothub_integer_range: false, measure_json: true };
            let r = walk_section("", &map, &limits, &mut Vec::new());
            prop_assert_eq!(r.json_size, serde_json::to_string(&map).unwrap().len());
        }
    }

    #[test]
    fn iothub_counting() {
        let m = json!({"ab": "cd\u{1}", "n": 1, "b": true, "o": {"x": [1, "yz"]}});
        let limits = SectionLimits {
            max_depth: 10,
            max_key_bytes: Some(1024),
            iothub_key_chars: true,
            max_string_bytes: Some(4096),
            iothub_integer_range: true,
            measure_json: false,
        };
        let r = walk_section("tags", m.as_object().unwrap(), &limits, &mut Vec::new());
        // ab+cd (control char not counted) + n+8 + b+4 + o + x + 8 + yz
        assert_eq!(r.iothub_size, 4 + 9 + 5 + 1 + 1 + 8 + 2);
    }
}
