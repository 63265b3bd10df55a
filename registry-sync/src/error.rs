//! The crate's opaque error type.
//!
//! Callers classify an [`Error`] through its predicates ([`Error::is_retryable`],
//! [`Error::is_throttled`], ...) or its [`ErrorKind`]. `Display` prints this level
//! only (never the source chain) and its wording is not part of the stable API.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

/// A result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

type BoxError = Box<dyn StdError + Send + Sync>;

/// What went wrong, in the terms the sync engine acts on.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The device (or job) does not exist.
    NotFound,
    /// A create hit an existing device.
    AlreadyExists,
    /// An `If-Match` etag did not match the current record.
    PreconditionFailed,
    /// The registry asked us to slow down (HTTP 429).
    Throttled,
    /// The registry is temporarily unavailable (HTTP 5xx, connection reset).
    Unavailable,
    /// The request timed out.
    Timeout,
    /// The credentials were refused.
    Unauthorized,
    /// The registry rejected the request as invalid (HTTP 400 and similar).
    Rejected,
    /// The registry does not support the requested operation.
    Unsupported,
    /// Data from outside (an event, a page, a job result) could not be decoded.
    Decode,
    /// The journal could not be read or written.
    Journal,
    /// The planner refused the plan (the mass-delete guard).
    PlanRefused,
    /// A setting is out of range or malformed (found when an engine, planner
    /// or connector is built from it).
    InvalidConfig,
}

impl ErrorKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::NotFound => "not found",
            Self::AlreadyExists => "already exists",
            Self::PreconditionFailed => "etag precondition failed",
            Self::Throttled => "throttled",
            Self::Unavailable => "registry unavailable",
            Self::Timeout => "timed out",
            Self::Unauthorized => "unauthorized",
            Self::Rejected => "request rejected",
            Self::Unsupported => "operation not supported",
            Self::Decode => "malformed input",
            Self::Journal => "journal failure",
            Self::PlanRefused => "plan refused",
            Self::InvalidConfig => "invalid configuration",
        }
    }
}

/// An error from a registry, the journal, the decoder or the engine.
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    retry_after: Option<Duration>,
    context: Option<Box<str>>,
    source: Option<BoxError>,
}

impl Error {
    /// A new error of `kind`.
    pub fn new(kind: ErrorKind) -> Self {
        Self {
            inner: Box::new(Inner {
                kind,
                retry_after: None,
                context: None,
                source: None,
            }),
        }
    }

    /// A throttling error, with the delay the registry asked for if it named one.
    pub fn throttled(retry_after: Option<Duration>) -> Self {
        let mut e = Self::new(ErrorKind::Throttled);
        e.inner.retry_after = retry_after;
        e
    }

    /// Adds a short context text (a device id, a field name). Never put secrets here.
    #[must_use]
    pub fn with_context(mut self, context: impl Into<Box<str>>) -> Self {
        self.inner.context = Some(context.into());
        self
    }

    /// Attaches the underlying cause.
    #[must_use]
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.inner.source = Some(source.into());
        self
    }

    /// The kind of error.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The short context text, if any.
    pub fn context(&self) -> Option<&str> {
        self.inner.context.as_deref()
    }

    /// Whether retrying the same request later may succeed (throttling, 5xx, timeouts).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.inner.kind,
            ErrorKind::Throttled | ErrorKind::Unavailable | ErrorKind::Timeout
        )
    }

    /// Whether the registry throttled the request.
    pub fn is_throttled(&self) -> bool {
        self.inner.kind == ErrorKind::Throttled
    }

    /// The delay the registry asked for before a retry, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        self.inner.retry_after
    }

    /// Whether the device (or job) was not found.
    pub fn is_not_found(&self) -> bool {
        self.inner.kind == ErrorKind::NotFound
    }

    /// Whether the request conflicted with the current state (exists already, or etag mismatch).
    pub fn is_conflict(&self) -> bool {
        matches!(
            self.inner.kind,
            ErrorKind::AlreadyExists | ErrorKind::PreconditionFailed
        )
    }

    /// Whether a create hit an existing device.
    pub fn is_already_exists(&self) -> bool {
        self.inner.kind == ErrorKind::AlreadyExists
    }

    /// Whether an etag precondition failed.
    pub fn is_precondition_failed(&self) -> bool {
        self.inner.kind == ErrorKind::PreconditionFailed
    }

    /// Whether the request timed out.
    pub fn is_timeout(&self) -> bool {
        self.inner.kind == ErrorKind::Timeout
    }

    /// Whether the credentials were refused.
    pub fn is_unauthorized(&self) -> bool {
        self.inner.kind == ErrorKind::Unauthorized
    }

    /// Whether outside data was malformed.
    pub fn is_decode(&self) -> bool {
        self.inner.kind == ErrorKind::Decode
    }

    /// Whether the journal failed.
    pub fn is_journal(&self) -> bool {
        self.inner.kind == ErrorKind::Journal
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.inner.kind);
        if let Some(r) = self.inner.retry_after {
            d.field("retry_after", &r);
        }
        if let Some(c) = &self.inner.context {
            d.field("context", c);
        }
        if let Some(s) = &self.inner.source {
            d.field("source", s);
        }
        d.finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.inner.kind.as_str())?;
        if let Some(c) = &self.inner.context {
            write!(f, " ({c})")?;
        }
        Ok(())
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.inner
            .source
            .as_ref()
            .map(|s| &**s as &(dyn StdError + 'static))
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Self::new(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predicates_follow_the_kind() {
        let t = Error::throttled(Some(Duration::from_secs(3)));
        assert!(t.is_throttled() && t.is_retryable() && !t.is_conflict());
        assert_eq!(t.retry_after(), Some(Duration::from_secs(3)));
        assert!(Error::new(ErrorKind::AlreadyExists).is_conflict());
        assert!(Error::new(ErrorKind::PreconditionFailed).is_conflict());
        assert!(!Error::new(ErrorKind::NotFound).is_retryable());
        assert!(Error::new(ErrorKind::Unavailable).is_retryable());
    }

    #[test]
    fn display_shows_this_level_only() {
        let io = std::io::Error::other("disk on fire");
        let e = Error::new(ErrorKind::Journal)
            .with_context("append")
            .with_source(io);
        assert_eq!(e.to_string(), "journal failure (append)");
        assert!(e.source().is_some());
    }
}
