//! What the server saw: per-route counters and an optional request log.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use axum::http::{HeaderMap, header};

use super::route::RouteKind;

/// The log keeps at most this many records (the oldest are dropped).
const LOG_CAP: usize = 100_000;

/// One request, as the server received it. `Debug` hides the credential
/// after its scheme; the field itself holds the header verbatim.
#[derive(Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// `GET`, `POST`, ...
    pub method: String,
    /// Path and query, verbatim.
    pub path: String,
    /// The endpoint.
    pub route: RouteKind,
    /// Whether it reached the CDN listener rather than the DDI server.
    pub cdn: bool,
    /// The controller id from the path, when it names one.
    pub controller: Option<String>,
    /// `Authorization`, verbatim.
    pub authorization: Option<String>,
    /// `Range`.
    pub range: Option<String>,
    /// `If-Range`.
    pub if_range: Option<String>,
    /// `If-None-Match`.
    pub if_none_match: Option<String>,
    /// `If-Match`.
    pub if_match: Option<String>,
    /// `Accept`.
    pub accept: Option<String>,
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// The status answered.
    pub status: u16,
}

impl std::fmt::Debug for RequestRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let authorization = self
            .authorization
            .as_deref()
            .map(|a| format!("{} <redacted>", a.split(' ').next().unwrap_or("")));
        f.debug_struct("RequestRecord")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("route", &self.route)
            .field("cdn", &self.cdn)
            .field("controller", &self.controller)
            .field("authorization", &authorization)
            .field("range", &self.range)
            .field("if_range", &self.if_range)
            .field("if_none_match", &self.if_none_match)
            .field("if_match", &self.if_match)
            .field("accept", &self.accept)
            .field("content_type", &self.content_type)
            .field("status", &self.status)
            .finish()
    }
}

impl RequestRecord {
    pub(crate) fn new(method: &str, path: &str, route: RouteKind, headers: &HeaderMap) -> Self {
        let get = |name: header::HeaderName| {
            headers
                .get(name)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        };
        Self {
            method: method.to_owned(),
            path: path.to_owned(),
            route,
            cdn: false,
            controller: None,
            authorization: get(header::AUTHORIZATION),
            range: get(header::RANGE),
            if_range: get(header::IF_RANGE),
            if_none_match: get(header::IF_NONE_MATCH),
            if_match: get(header::IF_MATCH),
            accept: get(header::ACCEPT),
            content_type: get(header::CONTENT_TYPE),
            status: 0,
        }
    }
}

#[derive(Debug)]
pub(crate) struct Requests {
    counts: [AtomicU64; RouteKind::ALL.len()],
    logging: AtomicBool,
    log: Mutex<Vec<RequestRecord>>,
}

impl Requests {
    pub(crate) fn new(logging: bool) -> Self {
        Self {
            counts: std::array::from_fn(|_| AtomicU64::new(0)),
            logging: AtomicBool::new(logging),
            log: Mutex::new(Vec::new()),
        }
    }

    pub(crate) fn count(&self, route: RouteKind) {
        if let Some(c) = self.counts.get(route.index()) {
            c.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn logging(&self) -> bool {
        self.logging.load(Ordering::Relaxed)
    }

    pub(crate) fn set_logging(&self, on: bool) {
        self.logging.store(on, Ordering::Relaxed);
    }

    pub(crate) fn record(&self, record: RequestRecord) {
        let mut log = self.lock();
        if log.len() >= LOG_CAP {
            log.remove(0);
        }
        log.push(record);
    }

    pub(crate) fn of(&self, route: RouteKind) -> u64 {
        self.counts
            .get(route.index())
            .map_or(0, |c| c.load(Ordering::Relaxed))
    }

    pub(crate) fn total(&self) -> u64 {
        self.counts.iter().map(|c| c.load(Ordering::Relaxed)).sum()
    }

    pub(crate) fn snapshot(&self) -> Vec<RequestRecord> {
        self.lock().clone()
    }

    pub(crate) fn reset(&self) {
        for c in &self.counts {
            c.store(0, Ordering::Relaxed);
        }
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<RequestRecord>> {
        self.log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
