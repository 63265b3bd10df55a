//! Decoding and validation errors.

/// A message that could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The bytes are not valid JSON or do not fit the message shape.
    #[error("malformed {what} message at line {line} column {column}: {reason}")]
    Json {
        /// The message kind.
        what: &'static str,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
        /// What the JSON parser reported.
        reason: String,
    },
    /// The message is larger than the configured limit.
    #[error("{what} message of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The message kind.
        what: &'static str,
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// A payload is required but was missing or null.
    #[error("{what} message has no payload")]
    MissingPayload {
        /// The message kind.
        what: &'static str,
    },
}

impl DecodeError {
    pub(crate) fn from_json(what: &'static str, e: &serde_json::Error) -> Self {
        let full = e.to_string();
        // serde_json appends " at line L column C"; keep only the reason.
        let reason = match full.rfind(" at line ") {
            Some(i) => full.get(..i).unwrap_or(&full).to_owned(),
            None => full,
        };
        Self::Json {
            what: short_name(what),
            line: e.line(),
            column: e.column(),
            reason,
        }
    }
}

/// The last path segment of a type name, without generics.
fn short_name(what: &'static str) -> &'static str {
    let base = what.split('<').next().unwrap_or(what);
    base.rsplit("::").next().unwrap_or(base)
}

/// A desired state that decodes but cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// A domain has no `id`.
    #[error("domain #{index} has no id")]
    MissingDomainId {
        /// Position in `domains`.
        index: usize,
    },
    /// Two domains share an id.
    #[error("domain {id} appears more than once")]
    DuplicateDomain {
        /// The domain id.
        id: String,
    },
    /// A component has no `id`.
    #[error("component #{index} of domain {domain} has no id")]
    MissingComponentId {
        /// The domain.
        domain: String,
        /// Position in the domain's components.
        index: usize,
    },
    /// Two components of one domain share an id.
    #[error("component {id} appears more than once in domain {domain}")]
    DuplicateComponent {
        /// The domain.
        domain: String,
        /// The component id.
        id: String,
    },
    /// A component id inside `domains[].components[]` carries the domain prefix.
    #[error(
        "component id {id} in domain {domain} carries the domain prefix; ids under domains[].components are unprefixed"
    )]
    PrefixedComponentId {
        /// The domain.
        domain: String,
        /// The component id.
        id: String,
    },
    /// More components than the configured limit.
    #[error("desired state has {count} components, more than the limit of {limit}")]
    TooManyComponents {
        /// Components found.
        count: usize,
        /// The limit.
        limit: usize,
    },
}
