//! Reserved MQTT topics of classic and named shadows.

use std::fmt;

/// Why a topic is not a shadow topic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TopicError {
    /// Does not start with `$aws/things/`.
    #[error("topic does not start with $aws/things/")]
    NotShadow,
    /// The path after the thing name is not a known shadow operation.
    #[error("unknown shadow operation `{0}`")]
    UnknownOperation(String),
    /// The thing or shadow name is empty or contains `/`, `+` or `#`.
    #[error("invalid name in shadow topic")]
    InvalidName,
}

/// Which shadow of a thing.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ShadowName {
    /// The unnamed (classic) shadow.
    Classic,
    /// A named shadow.
    Named(String),
}

/// The request kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ShadowOperation {
    /// `/get`.
    Get,
    /// `/update`.
    Update,
    /// `/delete`.
    Delete,
}

/// Request or one of the answer topics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ShadowTopicKind {
    /// The request topic itself.
    Request,
    /// `/accepted`.
    Accepted,
    /// `/rejected`.
    Rejected,
    /// `/delta` (update only).
    Delta,
    /// `/documents` (update only).
    Documents,
}

/// A parsed shadow topic.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ShadowTopic {
    /// Thing name.
    pub thing_name: String,
    /// Classic or named shadow.
    pub shadow: ShadowName,
    /// Operation.
    pub operation: ShadowOperation,
    /// Request or answer kind.
    pub kind: ShadowTopicKind,
}

fn valid_segment(s: &str) -> bool {
    !s.is_empty() && !s.contains(['/', '+', '#'])
}

impl ShadowTopic {
    /// Builds a topic, checking the names are usable as topic segments.
    pub fn new(
        thing_name: impl Into<String>,
        shadow: ShadowName,
        operation: ShadowOperation,
        kind: ShadowTopicKind,
    ) -> Result<Self, TopicError> {
        let thing_name = thing_name.into();
        let named_ok = match &shadow {
            ShadowName::Classic => true,
            ShadowName::Named(n) => valid_segment(n),
        };
        if !valid_segment(&thing_name) || !named_ok {
            return Err(TopicError::InvalidName);
        }
        let update_only = matches!(kind, ShadowTopicKind::Delta | ShadowTopicKind::Documents);
        if update_only && operation != ShadowOperation::Update {
            return Err(TopicError::UnknownOperation(
                format!("{operation:?}/{kind:?}").to_lowercase(),
            ));
        }
        Ok(Self {
            thing_name,
            shadow,
            operation,
            kind,
        })
    }

    /// Parses `$aws/things/{thing}/shadow[/name/{shadow}]/{op}[/{kind}]`.
    pub fn parse(topic: &str) -> Result<Self, TopicError> {
        let rest = topic
            .strip_prefix("$aws/things/")
            .ok_or(TopicError::NotShadow)?;
        let (thing, rest) = rest.split_once("/shadow").ok_or(TopicError::NotShadow)?;
        let (shadow, rest) = match rest.strip_prefix("/name/") {
            Some(named) => {
                let (name, rest) = named.split_once('/').ok_or(TopicError::InvalidName)?;
                (ShadowName::Named(name.to_owned()), rest)
            }
            None => (
                ShadowName::Classic,
                rest.strip_prefix('/').ok_or(TopicError::NotShadow)?,
            ),
        };
        let (op, kind) = match rest.split_once('/') {
            Some((op, kind)) => (op, Some(kind)),
            None => (rest, None),
        };
        let operation = match op {
            "get" => ShadowOperation::Get,
            "update" => ShadowOperation::Update,
            "delete" => ShadowOperation::Delete,
            _ => return Err(TopicError::UnknownOperation(rest.to_owned())),
        };
        let kind = match kind {
            None => ShadowTopicKind::Request,
            Some("accepted") => ShadowTopicKind::Accepted,
            Some("rejected") => ShadowTopicKind::Rejected,
            Some("delta") => ShadowTopicKind::Delta,
            Some("documents") => ShadowTopicKind::Documents,
            Some(_) => return Err(TopicError::UnknownOperation(rest.to_owned())),
        };
        Self::new(thing, shadow, operation, kind).map_err(|e| match e {
            TopicError::UnknownOperation(_) => TopicError::UnknownOperation(rest.to_owned()),
            other => other,
        })
    }
}

impl fmt::Display for ShadowTopic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "$aws/things/{}/shadow", self.thing_name)?;
        if let ShadowName::Named(n) = &self.shadow {
            write!(f, "/name/{n}")?;
        }
        f.write_str(match self.operation {
            ShadowOperation::Get => "/get",
            ShadowOperation::Update => "/update",
            ShadowOperation::Delete => "/delete",
        })?;
        f.write_str(match self.kind {
            ShadowTopicKind::Request => "",
            ShadowTopicKind::Accepted => "/accepted",
            ShadowTopicKind::Rejected => "/rejected",
            ShadowTopicKind::Delta => "/delta",
            ShadowTopicKind::Documents => "/documents",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_classic_and_named() {
        let t = ShadowTopic::parse("$aws/things/dev1/shadow/update/delta").unwrap();
        assert_eq!(t.shadow, ShadowName::Classic);
        assert_eq!(t.kind, ShadowTopicKind::Delta);
        let n = ShadowTopic::parse("$aws/things/dev1/shadow/name/fw/get/accepted").unwrap();
        assert_eq!(n.shadow, ShadowName::Named("fw".into()));
        assert_eq!(n.operation, ShadowOperation::Get);
        assert!(ShadowTopic::parse("$aws/things/dev1/shadow/get/delta").is_err());
        assert!(ShadowTopic::parse("$aws/things/dev1/shadow/bogus").is_err());
        assert_eq!(ShadowTopic::parse("foo"), Err(TopicError::NotShadow));
    }

    proptest! {
        #[test]
        fn display_parse_round_trip(thing in "[a-zA-Z0-9:_-]{1,20}", name in proptest::option::of("[a-zA-Z0-9:_-]{1,20}"), op in 0usize..3, kind in 0usize..5) {
            let operation = [ShadowOperation::Get, ShadowOperation::Update, ShadowOperation::Delete][op];
            let kind = [ShadowTopicKind::Request, ShadowTopicKind::Accepted, ShadowTopicKind::Rejected, ShadowTopicKind::Delta, ShadowTopicKind::Documents][kind];
            let shadow = name.map_or(ShadowName::Classic, ShadowName::Named);
            if let Ok(t) = ShadowTopic::new(thing, shadow, operation, kind) {
                prop_assert_eq!(ShadowTopic::parse(&t.to_string()), Ok(t));
            }
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,60}") {
            let _ = ShadowTopic::parse(&s);
        }
    }
}
