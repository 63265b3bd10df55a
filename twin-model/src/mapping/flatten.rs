//! Flattening property trees into dotted keys and back.
//!
//! IoT Hub keys never contain `.`, so joining a path with `.` is
//! unambiguous. Leaves are scalars, arrays and empty objects.

use serde_json::{Map, Value};

/// One flattened leaf.
#[derive(Debug, Clone, PartialEq)]
pub struct FlatEntry<'a> {
    /// Path segments.
    pub path: Vec<&'a str>,
    /// The leaf value.
    pub value: &'a Value,
}

impl FlatEntry<'_> {
    /// Segments joined with `.`.
    pub fn dotted(&self) -> String {
        self.path.join(".")
    }
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
        match v {
            Value::Object(m) if !m.is_empty() => {
                for (k, child) in m.iter().rev() {
                    let mut p = path.clone();
                    p.push(k.as_str());
                    stack.push((p, child));
                }
            }
            leaf => out.push(FlatEntry { path, value: leaf }),
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
