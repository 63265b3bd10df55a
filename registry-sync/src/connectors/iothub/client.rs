//! One HTTP exchange with the hub or its blob store: URL, SAS header,
//! timeouts, and transport failures classified.

use super::classify::answer_error;
use super::config::IotHubConfig;
use super::sas::{TokenCache, sas_token};
use crate::error::{Error, ErrorKind, Result};
use reqwest::Method;
use reqwest::header::HeaderMap;
use std::time::{SystemTime, UNIX_EPOCH};

/// The api-version of every request (the one `azure-iot-hub` 2.7.0 pins).
pub const API_VERSION: &str = "2021-04-12";

/// A received answer, any status.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
}

impl Answer {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub(crate) fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The classified error of a failed answer.
    pub(crate) fn error(&self, context: &str) -> Error {
        answer_error(
            self.status,
            self.header("iothub-errorcode"),
            self.header("retry-after"),
            &self.body,
            context,
        )
    }

    /// The body as `T`, or a decode error naming `what`.
    pub(crate) fn json<T: serde::de::DeserializeOwned>(&self, what: &str) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(|e| {
            Error::new(ErrorKind::Decode)
                .with_context(format!("{what} is not the expected json"))
                .with_source(e)
        })
    }
}

fn transport(e: &reqwest::Error, context: &str) -> Error {
    let kind = if e.is_timeout() {
        ErrorKind::Timeout
    } else {
        ErrorKind::Unavailable
    };
    // reqwest's messages can carry the URL, which for blobs holds a SAS
    // signature: only the kind and our own context are kept.
    Error::new(kind).with_context(format!("{context}: transport failure"))
}

/// Percent-encodes one path segment (everything but unreserved characters).
pub(crate) fn segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The HTTP side of the connector.
#[derive(Debug)]
pub(crate) struct Client {
    http: reqwest::Client,
    base: String,
    config: IotHubConfig,
    tokens: TokenCache,
}

impl Client {
    pub(crate) fn new(config: IotHubConfig) -> Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(config.request_timeout)
            .connect_timeout(config.connect_timeout)
            .build()
            .map_err(|e| {
                Error::new(ErrorKind::Unsupported)
                    .with_context("http client cannot be built")
                    .with_source(e)
            })?;
        let base = config
            .base_url
            .clone()
            .unwrap_or_else(|| format!("https://{}", config.connection.host()));
        Ok(Self {
            http,
            base,
            config,
            tokens: TokenCache::default(),
        })
    }

    pub(crate) fn config(&self) -> &IotHubConfig {
        &self.config
    }

    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    pub(crate) fn tokens_issued(&self) -> u64 {
        self.tokens.issued()
    }

    fn authorization(&self) -> Result<String> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let c = &self.config.connection;
        self.tokens
            .token(now, self.config.token, |expiry| {
                sas_token(c.host(), c.policy(), c.key(), expiry)
            })
            .map(|t| t.expose().to_owned())
            .ok_or_else(|| Error::new(ErrorKind::Unauthorized).with_context("cannot sign a token"))
    }

    async fn finish(&self, req: reqwest::RequestBuilder, context: &str) -> Result<Answer> {
        let resp = req.send().await.map_err(|e| transport(&e, context))?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.bytes().await.map_err(|e| transport(&e, context))?;
        tracing::debug!(context, status, "iothub");
        Ok(Answer {
            status,
            headers,
            body: body.to_vec(),
        })
    }

    /// A hub request: `path` below the base, `api-version` added, signed.
    pub(crate) async fn hub(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, String)],
        body: Option<Vec<u8>>,
        context: &str,
    ) -> Result<Answer> {
        let url = format!("{}{path}?api-version={API_VERSION}", self.base);
        let mut req = self
            .http
            .request(method, url)
            .header("Authorization", self.authorization()?);
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        if let Some(b) = body {
            req = req
                .header("Content-Type", "application/json; charset=utf-8")
                .body(b);
        }
        self.finish(req, context).await
    }

    /// A blob request against a container SAS URL (`name` inserted before
    /// its query).
    pub(crate) async fn blob(
        &self,
        method: Method,
        container: &str,
        name: &str,
        body: Option<Vec<u8>>,
        context: &str,
    ) -> Result<Answer> {
        let (base, query) = container.split_once('?').unwrap_or((container, ""));
        let url = format!("{}/{}?{query}", base.trim_end_matches('/'), segment(name));
        let mut req = self.http.request(method, url);
        if let Some(b) = body {
            req = req.header("x-ms-blob-type", "BlockBlob").body(b);
        }
        self.finish(req, context).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_percent_encoded() {
        assert_eq!(segment("a-b.c_d~e"), "a-b.c_d~e");
        assert_eq!(segment("a?b#c%d/e"), "a%3Fb%23c%25d%2Fe");
        assert_eq!(segment("x y"), "x%20y");
    }
}
