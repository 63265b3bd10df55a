//! Entry points that turn bytes into models with typed errors.

use serde::de::DeserializeOwned;

/// Why a document could not be decoded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The text is not JSON, does not fit the model, or nests deeper than
    /// serde_json's recursion limit (128), which guards against stack
    /// exhaustion on hostile input.
    #[error("invalid {what} at line {line} column {column}")]
    Json {
        /// The model that was expected.
        what: &'static str,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// The serde_json error.
        #[source]
        source: serde_json::Error,
    },
    /// A line of a JSON Lines file failed to decode.
    #[error("invalid line {line} of a json lines document")]
    Line {
        /// 1-based line number.
        line: usize,
        /// The error of that line.
        #[source]
        source: Box<Self>,
    },
}

/// Decodes one JSON document into `T`.
pub fn from_slice<T: DeserializeOwned>(what: &'static str, bytes: &[u8]) -> Result<T, DecodeError> {
    serde_json::from_slice(bytes).map_err(|source| DecodeError::Json {
        what,
        line: source.line(),
        column: source.column(),
        source,
    })
}

/// Decodes JSON Lines (one document per line, blank lines skipped), as in
/// the `devices.txt` blobs of import and export jobs.
pub fn from_json_lines<T: DeserializeOwned>(
    what: &'static str,
    bytes: &[u8],
) -> Result<Vec<T>, DecodeError> {
    bytes
        .split(|b| *b == b'\n')
        .enumerate()
        .filter(|(_, l)| !l.iter().all(u8::is_ascii_whitespace))
        .map(|(i, l)| {
            from_slice(what, l).map_err(|e| DecodeError::Line {
                line: i + 1,
                source: Box::new(e),
            })
        })
        .collect()
}

/// Encodes items as JSON Lines: compact JSON, one per line, `\n` after each.
pub fn to_json_lines<T: serde::Serialize>(items: &[T]) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = Vec::new();
    for item in items {
        serde_json::to_writer(&mut out, item)?;
        out.push(b'\n');
    }
    Ok(out)
}
