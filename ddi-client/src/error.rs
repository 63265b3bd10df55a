//! The one error type of the HTTP client and downloader.

use core::fmt;

use crate::model::ExceptionInfo;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What to do about an error.
///
/// The classes follow hawkBit's status-code semantics (see the crate docs):
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RetryClass {
    /// Try again after a backoff: network failures, timeouts, 5xx, 409 and
    /// rate-limit 429s (empty body).
    Transient,
    /// Give up on this action and re-poll: 404 and 410 on action resources,
    /// quota 429/403, verification failures, persistent download errors.
    TerminalForAction,
    /// Credentials are missing, wrong or were dropped: back off for long and
    /// check the configuration (401, 403 without a quota code).
    Auth,
    /// The request itself is wrong; retrying cannot help (400, 405, 406, 415,
    /// 422, bad configuration, unsafe file names).
    CallerBug,
}

/// The category of an [`Error`]. Callers usually want [`Error::retry_class`]
/// or the `is_*` predicates instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Invalid client configuration (URL, certificate, proxy, bounds).
    Config,
    /// Connecting or sending failed.
    Connect,
    /// A timeout (connect, request, or the low-speed limit) elapsed.
    Timeout,
    /// A response body broke off mid-transfer.
    Interrupted,
    /// The server answered with an unexpected status; see [`Error::status_code`].
    Status,
    /// A response body was not the expected document.
    Decode,
    /// A response body exceeded the configured limit.
    BodyTooLarge,
    /// An http→https (or cross-origin) redirect dropped the credentials and
    /// the server answered 401: configure the final `https://` URL.
    AuthDroppedOnRedirect,
    /// Too many redirects.
    Redirect,
    /// The downloaded data does not match the artifact's hash.
    HashMismatch,
    /// The server sent more (or less) data than the artifact's declared size.
    SizeMismatch,
    /// The server's `Content-Range` did not match what was requested.
    BadContentRange,
    /// The artifact has no hash to verify against and unverified downloads
    /// were not allowed.
    NoHash,
    /// A server-supplied file name was a path, `..`, or otherwise unsafe.
    UnsafeFileName,
    /// The server gave no usable link for the request.
    MissingLink,
    /// Local I/O failed (disk full, permission denied, …).
    Io,
    /// The download directory's file system has less free space than the
    /// artifact needs (see [`Download::free_space_reserve`](crate::download::Download::free_space_reserve)).
    InsufficientSpace,
    /// All download attempts failed; the source is the last failure.
    AttemptsExhausted,
}

/// An error from the client or the downloader.
///
/// `Display` describes this level only and its wording is not stable; the
/// cause, when there is one, is available through
/// [`std::error::Error::source`]. Branch on [`Error::retry_class`],
/// [`Error::kind`] and the predicates.
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    class: RetryClass,
    status: Option<u16>,
    exception: Option<ExceptionInfo>,
    retry_after: Option<core::time::Duration>,
    source: Option<BoxError>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind) -> Self {
        let class = match kind {
            ErrorKind::Connect | ErrorKind::Timeout | ErrorKind::Interrupted => {
                RetryClass::Transient
            }
            ErrorKind::Config | ErrorKind::UnsafeFileName => RetryClass::CallerBug,
            ErrorKind::AuthDroppedOnRedirect => RetryClass::Auth,
            _ => RetryClass::TerminalForAction,
        };
        Self {
            inner: Box::new(Inner {
                kind,
                class,
                status: None,
                exception: None,
                retry_after: None,
                source: None,
            }),
        }
    }

    pub(crate) fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.inner.source = Some(source.into());
        self
    }

    pub(crate) fn with_class(mut self, class: RetryClass) -> Self {
        self.inner.class = class;
        self
    }

    /// An error for an unexpected HTTP status, classified per hawkBit's
    /// semantics. `action_resource` tells whether the URL names an action
    /// (where 404 means "this action is gone").
    pub(crate) fn status(status: u16, exception: Option<ExceptionInfo>) -> Self {
        let class = classify(status, exception.as_ref());
        let mut e = Self::new(ErrorKind::Status).with_class(class);
        e.inner.status = Some(status);
        e.inner.exception = exception;
        e
    }

    pub(crate) fn from_reqwest(e: reqwest::Error) -> Self {
        let kind = if e.is_timeout() {
            ErrorKind::Timeout
        } else if e.is_redirect() {
            ErrorKind::Redirect
        } else if e.is_builder() {
            ErrorKind::Config
        } else if e.is_decode() {
            ErrorKind::Decode
        } else {
            ErrorKind::Connect
        };
        let mut err = Self::new(kind);
        if let Some(s) = e.status() {
            err.inner.status = Some(s.as_u16());
        }
        // The source keeps reqwest's detail; the URL (which may carry a
        // signed CDN query) is stripped so it cannot end up in logs.
        err.with_source(e.without_url())
    }

    /// A failure while reading a response body: always worth resuming.
    pub(crate) fn from_body(e: reqwest::Error) -> Self {
        let kind = if e.is_timeout() {
            ErrorKind::Timeout
        } else {
            ErrorKind::Interrupted
        };
        Self::new(kind).with_source(e.without_url())
    }

    pub(crate) fn io(e: std::io::Error) -> Self {
        Self::new(ErrorKind::Io).with_source(e)
    }

    pub(crate) fn with_retry_after(mut self, after: Option<core::time::Duration>) -> Self {
        self.inner.retry_after = after;
        self
    }

    /// The server's `Retry-After` (seconds form), when it sent one. hawkBit
    /// itself does not, but proxies and other DDI servers do.
    pub fn retry_after(&self) -> Option<core::time::Duration> {
        self.inner.retry_after
    }

    /// The category.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// What to do about it.
    pub fn retry_class(&self) -> RetryClass {
        self.inner.class
    }

    /// The HTTP status, when the server answered.
    pub fn status_code(&self) -> Option<u16> {
        self.inner.status
    }

    /// The server's error body, when it sent one.
    pub fn exception(&self) -> Option<&ExceptionInfo> {
        self.inner.exception.as_ref()
    }

    /// The server's `errorCode`, e.g. `hawkbit.server.error.repo.entityNotFound`.
    pub fn error_code(&self) -> Option<&str> {
        self.inner.exception.as_ref()?.error_code.as_deref()
    }

    /// Whether retrying after a backoff may help.
    pub fn is_transient(&self) -> bool {
        self.inner.class == RetryClass::Transient
    }

    /// Whether a timeout elapsed.
    pub fn is_timeout(&self) -> bool {
        self.inner.kind == ErrorKind::Timeout
    }

    /// 401, or credentials dropped on a redirect.
    pub fn is_unauthorized(&self) -> bool {
        self.inner.status == Some(401) || self.inner.kind == ErrorKind::AuthDroppedOnRedirect
    }

    /// 404.
    pub fn is_not_found(&self) -> bool {
        self.inner.status == Some(404)
    }

    /// 410: the action is already closed (or the artifact binary deleted).
    pub fn is_gone(&self) -> bool {
        self.inner.status == Some(410)
    }

    /// A 429 from the rate limiter (empty body): retry after a short backoff.
    pub fn is_rate_limited(&self) -> bool {
        self.inner.status == Some(429) && !self.is_quota_exceeded()
    }

    /// A quota error (429 since hawkBit 0.10.0, 403 before): stop sending
    /// intermediate feedback for this action; final feedback is still accepted.
    pub fn is_quota_exceeded(&self) -> bool {
        matches!(self.inner.status, Some(429 | 403))
            && self
                .inner
                .exception
                .as_ref()
                .is_some_and(ExceptionInfo::is_quota)
    }
}

/// The retry class of an HTTP status (pure; see [`RetryClass`]).
pub fn classify(status: u16, exception: Option<&ExceptionInfo>) -> RetryClass {
    let quota = exception.is_some_and(ExceptionInfo::is_quota);
    match status {
        429 | 403 if quota => RetryClass::TerminalForAction,
        429 | 408 | 409 | 500..=599 => RetryClass::Transient,
        401 | 403 => RetryClass::Auth,
        404 | 410 | 412 | 416 => RetryClass::TerminalForAction,
        _ => RetryClass::CallerBug,
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.inner.kind)
            .field("class", &self.inner.class);
        if let Some(s) = self.inner.status {
            d.field("status", &s);
        }
        if let Some(c) = self.error_code() {
            d.field("error_code", &c);
        }
        if let Some(s) = &self.inner.source {
            d.field("source", s);
        }
        d.finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.inner.kind {
            ErrorKind::Config => "invalid client configuration",
            ErrorKind::Connect => "request failed",
            ErrorKind::Timeout => "request timed out",
            ErrorKind::Interrupted => "transfer interrupted",
            ErrorKind::Status => "unexpected status",
            ErrorKind::Decode => "invalid response document",
            ErrorKind::BodyTooLarge => "response body too large",
            ErrorKind::AuthDroppedOnRedirect => {
                "credentials dropped by a redirect; configure the server's final https url"
            }
            ErrorKind::Redirect => "too many redirects",
            ErrorKind::HashMismatch => "artifact hash mismatch",
            ErrorKind::SizeMismatch => "artifact size differs from the declared size",
            ErrorKind::BadContentRange => "content-range does not match the request",
            ErrorKind::NoHash => "artifact has no hash to verify",
            ErrorKind::UnsafeFileName => "unsafe artifact file name",
            ErrorKind::MissingLink => "no usable link",
            ErrorKind::Io => "local i/o failed",
            ErrorKind::InsufficientSpace => "not enough free space for the download",
            ErrorKind::AttemptsExhausted => "download attempts exhausted",
        };
        f.write_str(what)?;
        if let Some(s) = self.inner.status {
            write!(f, " (http {s}")?;
            if let Some(c) = self.error_code() {
                write!(f, ", {c}")?;
            }
            f.write_str(")")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner.source.as_deref().map(|e| e as _)
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    fn quota() -> ExceptionInfo {
        ExceptionInfo {
            error_code: Some("hawkbit.server.error.quota.tooManyEntries".into()),
            ..ExceptionInfo::default()
        }
    }

    #[test]
    fn status_classes_follow_reference_table() {
        for s in [500, 502, 503, 409] {
            assert_eq!(classify(s, None), RetryClass::Transient, "{s}");
        }
        assert_eq!(classify(429, None), RetryClass::Transient);
        assert_eq!(classify(429, Some(&quota())), RetryClass::TerminalForAction);
        assert_eq!(classify(403, Some(&quota())), RetryClass::TerminalForAction);
        assert_eq!(classify(403, None), RetryClass::Auth);
        assert_eq!(classify(401, None), RetryClass::Auth);
        assert_eq!(classify(404, None), RetryClass::TerminalForAction);
        assert_eq!(classify(410, None), RetryClass::TerminalForAction);
        for s in [400, 405, 406, 415, 422] {
            assert_eq!(classify(s, None), RetryClass::CallerBug, "{s}");
        }
    }

    #[test]
    fn rate_limit_and_quota_are_told_apart() {
        let rate = Error::status(429, None);
        assert!(rate.is_rate_limited() && !rate.is_quota_exceeded() && rate.is_transient());
        let q = Error::status(429, Some(quota()));
        assert!(!q.is_rate_limited() && q.is_quota_exceeded());
        assert_eq!(
            q.to_string(),
            "unexpected status (http 429, hawkbit.server.error.quota.tooManyEntries)"
        );
    }
}
