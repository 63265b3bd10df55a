//! hawkBit's Management API (`/rest/v1`) on the DDI listener, over the same
//! store: targets created here are DDI controllers of the tenant (their
//! `securityToken` is the target token), and attributes a device writes
//! through `configData` show in `GET /rest/v1/targets/{id}/attributes`.
//!
//! Covered: targets (paged list with `offset`/`limit`/`sort` and a FIQL
//! subset for `q`, including ordered comparisons on `createdAt` and
//! `lastModifiedAt`; batch create, read, update, delete), attributes, a
//! target's tags, target metadata, target tags with single and batch
//! assignment (`onNotFoundPolicy`). Basic auth per tenant (`user` or
//! `TENANT\user`), JSON in and out, `ExceptionInfo` error bodies with the
//! real `errorCode`s, and the shared [`FaultRule`](super::FaultRule)
//! machinery on the `Mgmt*` [`RouteKind`]s.

mod errors;
mod fiql;
#[cfg(test)]
mod http_tests;
mod render;
mod state;
mod tags;
mod targets;

use std::sync::Arc;

use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use base64::Engine as _;
use serde_json::Value;

pub(crate) use state::MgmtTenant;

use super::errors::ApiError;
use super::fault_responses::immediate_fault;
use super::faults::Fault;
use super::http::{JSON, bare, bytes_response, error_response};
use super::requests::RequestRecord;
use super::route::{RouteKind, decode};
use super::server::Shared;
use super::store::{Store, Tenant};

const MAX_BODY: usize = 16 * 1024 * 1024;

/// A parsed `/rest/v1/...` path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MgmtPath {
    pub(crate) kind: RouteKind,
    /// The segments after `/rest/v1/`, percent-decoded.
    pub(crate) segments: Vec<String>,
}

impl MgmtPath {
    /// The controller id the request is about, for faults and the log.
    fn controller(&self) -> Option<&str> {
        match self.kind {
            RouteKind::MgmtTarget
            | RouteKind::MgmtTargetAttributes
            | RouteKind::MgmtTargetTags
            | RouteKind::MgmtTargetMetadata => self.segments.get(1).map(String::as_str),
            RouteKind::MgmtTagAssignment => self.segments.get(3).map(String::as_str),
            _ => None,
        }
    }
}

/// Whether `path` belongs to the Management API.
pub(crate) fn is_mgmt(path: &str) -> bool {
    path == "/rest/v1" || path.starts_with("/rest/v1/")
}

/// Splits a Management API path; `None` for an unknown resource.
pub(crate) fn parse(path: &str) -> Option<MgmtPath> {
    let rest = path.strip_prefix("/rest/v1/")?;
    let segments: Vec<String> = rest
        .split('/')
        .map(decode)
        .collect::<Option<Vec<String>>>()?;
    let s: Vec<&str> = segments.iter().map(String::as_str).collect();
    let kind = match s.as_slice() {
        ["targets"] => RouteKind::MgmtTargets,
        ["targets", id] if !id.is_empty() => RouteKind::MgmtTarget,
        ["targets", _, "attributes"] => RouteKind::MgmtTargetAttributes,
        ["targets", _, "tags"] => RouteKind::MgmtTargetTags,
        ["targets", _, "metadata"] | ["targets", _, "metadata", _] => RouteKind::MgmtTargetMetadata,
        ["targettags"] | ["targettags", _] => RouteKind::MgmtTags,
        ["targettags", _, "assigned"] | ["targettags", _, "assigned", _] => {
            RouteKind::MgmtTagAssignment
        }
        _ => return None,
    };
    Some(MgmtPath { kind, segments })
}

/// Who is calling, where, and the server origin for links.
pub(crate) struct Ctx<'a> {
    pub(crate) tenant: String,
    pub(crate) user: String,
    pub(crate) origin: &'a str,
    pub(crate) query: Option<&'a str>,
}

/// The caller's tenant; one the store lacks cannot have authenticated.
fn tenant_mut<'a>(store: &'a mut Store, ctx: &Ctx<'_>) -> Result<&'a mut Tenant, ApiError> {
    store
        .tenants
        .get_mut(&ctx.tenant)
        .ok_or_else(|| ApiError::empty(StatusCode::UNAUTHORIZED))
}

/// The entry point for `/rest/v1/...` requests on the DDI listener.
pub(crate) async fn handle(shared: Arc<Shared>, parts: Parts, body: Body) -> Response {
    let path = parts.uri.path().to_owned();
    let parsed = parse(&path);
    let kind = parsed.as_ref().map_or(RouteKind::Unknown, |p| p.kind);
    shared.requests.count(kind);
    let controller = parsed.as_ref().and_then(MgmtPath::controller);
    let mut record = shared.requests.logging().then(|| {
        let full = parts
            .uri
            .path_and_query()
            .map_or(path.as_str(), |pq| pq.as_str());
        let mut r = RequestRecord::new(parts.method.as_str(), full, kind, &parts.headers);
        r.controller = controller.map(str::to_owned);
        r
    });
    let mut pending = None;
    for fault in shared.faults.take(kind, controller) {
        if let Fault::Delay(d) = fault {
            tokio::time::sleep(d).await;
        } else {
            pending = Some(fault);
        }
    }
    let response = match pending {
        // body-shaping faults make no sense for small JSON answers: a
        // truncated body is a broken connection, which a 500 stands for here
        Some(Fault::Truncate { .. } | Fault::Slow { .. }) => {
            bare(StatusCode::INTERNAL_SERVER_ERROR)
        }
        Some(f) => immediate_fault(&shared, f, &parts.uri, None),
        None => {
            let body = axum::body::to_bytes(body, MAX_BODY)
                .await
                .unwrap_or_default();
            match parsed {
                None => error_response(errors::not_found("Resource", &path)),
                Some(p) => match dispatch(&shared, &parts, &p, &body) {
                    Ok(r) => r,
                    Err(e) => error_response(e),
                },
            }
        }
    };
    if let Some(mut r) = record.take() {
        r.status = response.status().as_u16();
        shared.requests.record(r);
    }
    response
}

fn dispatch(
    shared: &Shared,
    parts: &Parts,
    p: &MgmtPath,
    body: &[u8],
) -> Result<Response, ApiError> {
    let mut store = shared.store();
    let (tenant, user) = authenticate(&store, parts)?;
    let ctx = Ctx {
        tenant,
        user,
        origin: &shared.origins.server,
        query: parts.uri.query(),
    };
    if let Some(t) = store.tenants.get_mut(&ctx.tenant) {
        t.adopt_controllers();
    }
    let method = &parts.method;
    match p.kind {
        RouteKind::MgmtTargets
        | RouteKind::MgmtTarget
        | RouteKind::MgmtTargetAttributes
        | RouteKind::MgmtTargetTags
        | RouteKind::MgmtTargetMetadata => targets::route(&mut store, &ctx, method, p, body),
        RouteKind::MgmtTags | RouteKind::MgmtTagAssignment => {
            tags::route(&mut store, &ctx, method, p, body)
        }
        _ => Err(errors::not_found("Resource", parts.uri.path())),
    }
}

/// Basic auth against the tenants' users; `TENANT\user` names the tenant.
fn authenticate(store: &Store, parts: &Parts) -> Result<(String, String), ApiError> {
    let unauthorized = || ApiError::empty(StatusCode::UNAUTHORIZED);
    let header = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(unauthorized)?;
    let encoded = header
        .strip_prefix("Basic ")
        .ok_or_else(unauthorized)?
        .trim();
    let decoded = base64_decode(encoded).ok_or_else(unauthorized)?;
    let text = String::from_utf8(decoded).map_err(|_| unauthorized())?;
    let (login, password) = text.split_once(':').ok_or_else(unauthorized)?;
    let (wanted_tenant, user) = match login.split_once('\\') {
        Some((t, u)) => (Some(t), u),
        None => (None, login),
    };
    let mut names: Vec<&String> = store.tenants.keys().collect();
    names.sort();
    for name in names {
        if wanted_tenant.is_some_and(|t| !t.eq_ignore_ascii_case(name)) {
            continue;
        }
        let Some(t) = store.tenants.get(name) else {
            continue;
        };
        if t.mgmt.users.iter().any(|(u, p)| u == user && p == password) {
            return Ok((name.clone(), user.to_owned()));
        }
    }
    Err(unauthorized())
}

/// Standard base64 with padding (the only form `Authorization: Basic` uses).
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(s).ok()
}

/// A JSON answer.
pub(crate) fn json(status: StatusCode, doc: &Value) -> Response {
    let mut r = bytes_response(status, JSON, serde_json::to_vec(doc).unwrap_or_default());
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

/// The JSON body of a request (`application/json` or none given).
pub(crate) fn body_json(body: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(body).map_err(ApiError::body_not_readable)
}

/// 405 for a method the resource does not have.
pub(crate) fn method_not_allowed(_: &Method) -> ApiError {
    ApiError::empty(StatusCode::METHOD_NOT_ALLOWED)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(
            parse("/rest/v1/targets").unwrap().kind,
            RouteKind::MgmtTargets
        );
        assert_eq!(parse("/rest/v1/targets/a%20b").unwrap().segments[1], "a b");
        assert_eq!(
            parse("/rest/v1/targets/x/metadata/k").unwrap().kind,
            RouteKind::MgmtTargetMetadata
        );
        let p = parse("/rest/v1/targettags/3/assigned/dev").unwrap();
        assert_eq!(
            (p.kind, p.controller()),
            (RouteKind::MgmtTagAssignment, Some("dev"))
        );
        assert!(parse("/rest/v1/distributionsets").is_none());
        assert!(is_mgmt("/rest/v1/targets") && !is_mgmt("/DEFAULT/controller/v1/x"));
    }

    #[test]
    fn base64_decodes_basic_credentials() {
        assert_eq!(base64_decode("YWRtaW46YWRtaW4=").unwrap(), b"admin:admin");
        assert_eq!(base64_decode("YQ==").unwrap(), b"a");
        assert_eq!(base64_decode("YWI=").unwrap(), b"ab");
        assert!(base64_decode("YQ=").is_none());
        assert!(base64_decode("Y!==").is_none());
    }

    proptest::proptest! {
        #[test]
        fn base64_never_panics(s in "[A-Za-z0-9+/=!]{0,16}") {
            let _ = base64_decode(&s);
        }
    }
}
