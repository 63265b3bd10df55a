//! Sending one request: credentials scoping, retries, status handling and
//! bounded body reading.

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::{Method, Response, StatusCode, header};
use url::Url;

use super::Shared;
use crate::error::{Error, ErrorKind, Result};
use crate::model::{Document, ExceptionInfo};

/// Largest error body read to look for an `errorCode`.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// What a request needs besides the URL.
pub(crate) struct Req<'a> {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) auth: Option<&'a str>,
    pub(crate) body: Option<(Vec<u8>, &'static str)>,
    /// `Accept`; `None` for downloads, which must not ask for JSON.
    pub(crate) accept: Option<&'static str>,
    pub(crate) headers: Vec<(header::HeaderName, String)>,
    pub(crate) timeout: Option<Duration>,
    /// An artifact download (for [`super::AuthScope::NotOnDownloads`]).
    pub(crate) download: bool,
}

impl<'a> Req<'a> {
    pub(crate) fn new(method: Method, url: Url, auth: Option<&'a str>) -> Self {
        Self {
            method,
            url,
            auth,
            body: None,
            accept: None,
            headers: Vec::new(),
            timeout: None,
            download: false,
        }
    }

    /// Sets the body, encoded as JSON or (with `cbor`) CBOR.
    pub(crate) fn doc<T: Document>(mut self, doc: &T, cbor: bool) -> Self {
        self.body = Some(encode(doc, cbor));
        self
    }

    pub(crate) fn header(mut self, name: header::HeaderName, value: String) -> Self {
        self.headers.push((name, value));
        self
    }
}

impl Shared {
    /// Sends once, without retries, returning any response (the caller
    /// judges the status).
    pub(crate) async fn send_once(&self, req: &Req<'_>) -> Result<Response> {
        let mut b = self.http.request(req.method.clone(), req.url.clone());
        if let Some(accept) = req.accept {
            b = b.header(header::ACCEPT, accept);
        }
        if let Some(auth) = req.auth
            && self.may_send_auth(&req.url, req.download)
        {
            b = b.header(header::AUTHORIZATION, auth);
        }
        if let Some((body, content_type)) = &req.body {
            b = b
                .header(header::CONTENT_TYPE, *content_type)
                .body(body.clone());
        }
        if let Some(t) = req.timeout {
            b = b.timeout(t);
        }
        for (name, value) in &req.headers {
            b = b.header(name.clone(), value.as_str());
        }
        let resp = b.send().await.map_err(Error::from_reqwest)?;
        // A redirect to another origin (typically http→https) loses the
        // credentials; hawkBit then answers 401, which would be misleading.
        if resp.status() == StatusCode::UNAUTHORIZED
            && req.auth.is_some()
            && resp.url().origin() != req.url.origin()
        {
            return Err(
                Error::new(ErrorKind::AuthDroppedOnRedirect).with_source(format!(
                    "redirected to {}",
                    resp.url().origin().ascii_serialization()
                )),
            );
        }
        Ok(resp)
    }

    /// Whether a request to `url` may carry the credentials.
    pub(crate) fn may_send_auth(&self, url: &Url, download: bool) -> bool {
        use super::auth::AuthScope;
        let origin = url.origin();
        let server = origin == self.base.origin();
        match &self.auth_scope {
            AuthScope::ServerOrigin => server,
            AuthScope::AlsoOrigins(list) => server || list.contains(&origin),
            AuthScope::AnyHost => true,
            AuthScope::NotOnDownloads => server && !download,
        }
    }

    /// Sends with retries on transient failures, and turns non-success
    /// statuses into errors. `accept` lists extra statuses that count as
    /// success (304, 409, …).
    pub(crate) async fn send(&self, req: &Req<'_>, accept: &[u16]) -> Result<Response> {
        let mut retry = 0;
        loop {
            let err = match self.send_once(req).await {
                Ok(resp)
                    if resp.status().is_success() || accept.contains(&resp.status().as_u16()) =>
                {
                    return Ok(resp);
                }
                Ok(resp) => error_from_response(resp).await,
                Err(e) => e,
            };
            if !err.is_transient() {
                return Err(err);
            }
            let Some(delay) = self.backoff.delay(retry, rand::random::<f64>()) else {
                return Err(err);
            };
            // Honour the server's wish, but never wait longer than the
            // policy's cap on one request.
            let delay = err.retry_after().map_or(delay, |after| {
                delay.max(after.min(self.backoff.cap(u32::MAX)))
            });
            tracing::debug!(status = ?err.status_code(), retry, ?delay, "transient failure, retrying");
            tokio::time::sleep(delay).await;
            retry += 1;
        }
    }

    /// Sends and decodes a JSON document, reading at most the configured
    /// number of bytes.
    pub(crate) async fn fetch<T: Document>(&self, req: &Req<'_>) -> Result<T> {
        let resp = self.send(req, &[]).await?;
        self.read_doc(resp).await
    }

    /// Reads and decodes a document, by its `Content-Type`.
    pub(crate) async fn read_doc<T: Document>(&self, resp: Response) -> Result<T> {
        let cbor = is_cbor(&resp);
        let body = read_limited(resp, self.max_document_bytes).await?;
        decode(&body, cbor).map_err(|e| Error::new(ErrorKind::Decode).with_source(e))
    }
}

/// Reads a body, failing once it exceeds `limit` bytes (without buffering
/// more than that).
pub(crate) async fn read_limited(resp: Response, limit: usize) -> Result<Vec<u8>> {
    if resp.content_length().is_some_and(|n| n > limit as u64) {
        return Err(Error::new(ErrorKind::BodyTooLarge));
    }
    let mut out = Vec::new();
    let mut stream = resp.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(Error::from_body)?;
        if out.len() + chunk.len() > limit {
            return Err(Error::new(ErrorKind::BodyTooLarge));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// Turns a non-success response into a classified error, reading the
/// `ExceptionInfo` body if there is one.
pub(crate) async fn error_from_response(resp: Response) -> Error {
    let status = resp.status().as_u16();
    let cbor = is_cbor(&resp);
    let retry_after = resp
        .headers()
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let body = tokio::time::timeout(Duration::from_secs(10), read_limited(resp, MAX_ERROR_BODY))
        .await
        .ok()
        .and_then(Result::ok);
    let info = body
        .filter(|b| !b.is_empty())
        .and_then(|b| decode::<ExceptionInfo>(&b, cbor).ok());
    Error::status(status, info).with_retry_after(retry_after)
}

fn is_cbor(resp: &Response) -> bool {
    resp.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("cbor"))
}

#[cfg(feature = "cbor")]
fn decode<T: Document>(body: &[u8], cbor: bool) -> Result<T, crate::model::DecodeError> {
    if cbor {
        T::from_cbor(body)
    } else {
        T::from_json(body)
    }
}

#[cfg(not(feature = "cbor"))]
fn decode<T: Document>(body: &[u8], _cbor: bool) -> Result<T, crate::model::DecodeError> {
    T::from_json(body)
}

#[cfg(feature = "cbor")]
fn encode<T: Document>(doc: &T, cbor: bool) -> (Vec<u8>, &'static str) {
    if cbor {
        (doc.to_cbor(), "application/cbor")
    } else {
        (doc.to_json(), "application/json")
    }
}

#[cfg(not(feature = "cbor"))]
fn encode<T: Document>(doc: &T, _cbor: bool) -> (Vec<u8>, &'static str) {
    (doc.to_json(), "application/json")
}
