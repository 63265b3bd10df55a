//! Flattening property trees into dotted keys and back.
//!
//! IoT Hub keys never contain `.`, so joining a path with `.` is
//! unambiguous. Leaves are scalars, arrays and empty objects.

use serde_json::{Map, Value};

/// Deepest path [`flatten`] follows; deeper subtrees come back whole and
/// flagged, so hostile input costs neither deep recursion nor quadratic
/// path copying.
pub const MAX_FLATTEN_DEPTH: usize = 32;

/// One flattened leaf.
#[derive(Debug, Clone, PartialEq)]
pub struct FlatEntry<'a> {
    /// Path segments.
    pub path: Vec<&'a str>,
    /// The leaf value.
    pub value: &'a Value,
    /// The path or the value nests deeper than [`MAX_FLATTEN_DEPTH`]; the
    /// value was not descended into and must not be serialized.
    pub too_deep: bool,
}

impl FlatEntry<'_> {
    /// Segments joined with `.`.
    pub fn dotted(&self) -> String {
        self.path.join(".")
    }
}

/// True when `value` nests more than `limit` levels (computed iteratively).
pub fn nests_deeper_than(value: &Value, limit: usize) -> bool {
    let mut stack = vec![(0usize, value)];
    while let Some((d, v)) = stack.pop() {
        let children: Box<dyn Iterator<Item = &Value>> = match v {
            Value::Object(m) => Box::new(m.values()),
            Value::Array(a) => Box::new(a.iter()),
            _ => continue,
        };
        if d + 1 > limit {
            return true;
        }
        stack.extend(children.map(|c| (d + 1, c)));
    }
    false
}

/// The leaves of `root` in key order, iteratively.
pub fn flatten(root: &Map<String, Value>) -> Vec<FlatEntry<'_>> {
    let mut out = Vec::new();
    let mut stack: Vec<(Vec<&str>, &Value)> = root
        .iter()
        .rev()
        .map(|(k, v)| (vec![k.as_str()], v))
        .collect();
    while let Some((path, v)) = stack.pop() {
        if path.len() >= MAX_FLATTEN_DEPTH {
            out.push(FlatEntry {
                path,
                value: v,
                too_deep: true,
            });
            continue;
        }
        match v {
            Value::Object(m) if !m.is_empty() => {
                for (k, child) in m.iter().rev() {
                    let mut p = path.clone();
                    p.push(k.as_str());
                    stack.push((p, child));
                }
            }
            leaf => {
                let too_deep = nests_deeper_than(leaf, MAX_FLATTEN_DEPTH);
                out.push(FlatEntry {
                    path,
                    value: leaf,
                    too_deep,
                });
            }
        }
    }
    out
}

/// Why dotted entries cannot be rebuilt into a tree.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UnflattenError {
    /// A key is both a leaf and the parent of another key.
    #[error("key `{key}` is both a value and an object")]
    Conflict {
        /// The dotted key.
        key: String,
    },
    /// An empty path segment (`a..b`, leading or trailing dot).
    #[error("key `{key}` has an empty segment")]
    EmptySegment {
        /// The dotted key.
        key: String,
    },
}

/// Inserts `value` at dotted `key` into `root`.
pub fn insert_dotted(
    root: &mut Map<String, Value>,
    key: &str,
    value: Value,
) -> Result<(), UnflattenError> {
    let segments: Vec<&str> = key.split('.').collect();
    if segments.iter().any(|s| s.is_empty()) {
        return Err(UnflattenError::EmptySegment {
            key: key.to_owned(),
        });
    }
    let Some((last, parents)) = segments.split_last() else {
        return Err(UnflattenError::EmptySegment {
            key: key.to_owned(),
        });
    };
    let mut node = root;
    for seg in parents {
        let entry = node
            .entry((*seg).to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        node = match entry {
            Value::Object(m) => m,
            _ => {
                return Err(UnflattenError::Conflict {
                    key: key.to_owned(),
                });
            }
        };
    }
    if node.contains_key(*last) {
        return Err(UnflattenError::Conflict {
            key: key.to_owned(),
        });
    }
    node.insert((*last).to_owned(), value);
    Ok(())
}
