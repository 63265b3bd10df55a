//! A small Management API client: basic auth, JSON, timeouts, and hawkBit's
//! answers classified into [`ErrorKind`]s.

use crate::error::{Error, ErrorKind, Result};
use crate::model::Secret;
use ddi_client::model::ExceptionInfo;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use std::time::Duration;

/// Maps a non-2xx answer to an error: quota codes are refusals (never
/// retried, even when sent as 429), then by status.
pub(crate) fn classify(status: u16, body: &[u8], retry_after: Option<Duration>) -> Error {
    let info = serde_json::from_slice::<ExceptionInfo>(body).ok();
    if let Some(info) = info.as_ref().filter(|i| i.is_quota()) {
        let code = info.error_code.clone().unwrap_or_default();
        return Error::new(ErrorKind::Rejected).with_context(code);
    }
    let code = info.and_then(|i| i.error_code);
    let context = code.unwrap_or_else(|| format!("http {status}"));
    let kind = match status {
        429 => return Error::throttled(retry_after).with_context(context),
        401 | 403 => ErrorKind::Unauthorized,
        404 => ErrorKind::NotFound,
        409 => ErrorKind::AlreadyExists,
        408 => ErrorKind::Timeout,
        500..=599 => ErrorKind::Unavailable,
        _ => ErrorKind::Rejected,
    };
    Error::new(kind).with_context(context)
}

/// A transport failure: timeouts apart, the server could not be reached.
pub(crate) fn transport(e: reqwest::Error) -> Error {
    let kind = if e.is_timeout() {
        ErrorKind::Timeout
    } else if e.is_decode() {
        ErrorKind::Decode
    } else {
        ErrorKind::Unavailable
    };
    // credentials travel in a header, never in the URL; the URL is dropped
    // anyway to keep messages short
    Error::new(kind)
        .with_context("hawkbit request")
        .with_source(e.without_url())
}

/// `Retry-After` in seconds, when given.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// The Management API of one tenant.
#[derive(Clone)]
pub(crate) struct MgmtClient {
    http: reqwest::Client,
    root: url::Url,
    user: String,
    password: Secret,
}

/// A successful answer.
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) body: Vec<u8>,
}

impl Answer {
    /// The body as `T`; an empty body (204) is `T::default()`.
    pub(crate) fn json<T: DeserializeOwned + Default>(&self) -> Result<T> {
        if self.status == StatusCode::NO_CONTENT || self.body.is_empty() {
            return Ok(T::default());
        }
        serde_json::from_slice(&self.body).map_err(|e| {
            Error::new(ErrorKind::Decode)
                .with_context("hawkbit answer")
                .with_source(e)
        })
    }
}

impl MgmtClient {
    pub(crate) fn new(
        base: &url::Url,
        user: &str,
        password: Secret,
        timeout: Duration,
        connect_timeout: Duration,
    ) -> Result<Self> {
        let root = base.join("rest/v1/").map_err(|e| {
            Error::new(ErrorKind::Rejected)
                .with_context("hawkbit base url")
                .with_source(e)
        })?;
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| {
                Error::new(ErrorKind::Rejected)
                    .with_context("hawkbit http client")
                    .with_source(e)
            })?;
        Ok(Self {
            http,
            root,
            user: user.to_owned(),
            password,
        })
    }

    pub(crate) fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> url::Url {
        let mut u = self.root.clone();
        if let Ok(mut path) = u.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        if !query.is_empty() {
            u.query_pairs_mut().extend_pairs(query);
        }
        u
    }

    /// Sends a request; 2xx answers come back, anything else is classified.
    pub(crate) async fn send(
        &self,
        method: Method,
        segments: &[&str],
        query: &[(&str, &str)],
        body: Option<&serde_json::Value>,
    ) -> Result<Answer> {
        let url = self.url(segments, query);
        let mut req = self
            .http
            .request(method.clone(), url)
            .basic_auth(&self.user, Some(self.password.expose()))
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(b) = body {
            let bytes = serde_json::to_vec(b).map_err(|e| {
                Error::new(ErrorKind::Rejected)
                    .with_context("hawkbit request body")
                    .with_source(e)
            })?;
            req = req
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(bytes);
        }
        let response = req.send().await.map_err(transport)?;
        let status = response.status();
        let wait = retry_after(response.headers());
        let bytes = response.bytes().await.map_err(transport)?;
        if status.is_success() {
            tracing::trace!(%method, path = %segments.join("/"), status = status.as_u16(), "hawkbit");
            return Ok(Answer {
                status,
                body: bytes.to_vec(),
            });
        }
        let e = classify(status.as_u16(), &bytes, wait);
        tracing::debug!(%method, path = %segments.join("/"), status = status.as_u16(), error = %e, "hawkbit refused");
        Err(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_kinds() {
        let k = |s, body: &str| classify(s, body.as_bytes(), None).kind();
        assert_eq!(k(429, ""), ErrorKind::Throttled);
        assert_eq!(k(503, ""), ErrorKind::Unavailable);
        assert_eq!(k(500, "{}"), ErrorKind::Unavailable);
        assert_eq!(k(404, ""), ErrorKind::NotFound);
        assert_eq!(k(409, ""), ErrorKind::AlreadyExists);
        assert_eq!(k(401, ""), ErrorKind::Unauthorized);
        assert_eq!(k(403, ""), ErrorKind::Unauthorized);
        assert_eq!(k(400, ""), ErrorKind::Rejected);
        assert_eq!(k(405, ""), ErrorKind::Rejected);
        assert_eq!(k(408, ""), ErrorKind::Timeout);
    }

    #[test]
    fn quota_errors_are_refusals_whatever_the_status() {
        let body = r#"{"exceptionClass":"x","errorCode":"hawkbit.server.error.quota.tooManyEntries","message":"m"}"#;
        for status in [403, 429] {
            let e = classify(status, body.as_bytes(), None);
            assert_eq!(e.kind(), ErrorKind::Rejected);
            assert!(!e.is_retryable());
            assert_eq!(
                e.context(),
                Some("hawkbit.server.error.quota.tooManyEntries")
            );
        }
        let throttled = classify(429, b"", Some(Duration::from_secs(2)));
        assert_eq!(throttled.retry_after(), Some(Duration::from_secs(2)));
    }

    #[test]
    fn urls_encode_segments() {
        let c = MgmtClient::new(
            &url::Url::parse("http://h:1/base/").unwrap(),
            "u",
            Secret::new("p"),
            Duration::from_secs(1),
            Duration::from_secs(1),
        )
        .unwrap();
        assert_eq!(
            c.url(&["targets", "a b/c"], &[("q", "x==\"y\"")]).as_str(),
            "http://h:1/base/rest/v1/targets/a%20b%2Fc?q=x%3D%3D%22y%22"
        );
    }

    proptest::proptest! {
        #[test]
        fn classify_never_panics(status in 0u16..1000, body in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            let _ = classify(status, &body, None);
        }
    }
}
