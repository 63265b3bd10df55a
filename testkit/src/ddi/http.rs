//! The DDI listener: one handler that parses the path itself (so faults and
//! counters see every request, even malformed ones), checks credentials and
//! media types, runs the store operation and renders hawkBit's answer.

use std::sync::Arc;
use std::time::SystemTime;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use md5::{Digest, Md5};
use serde::Serialize;

use super::cbor;
use super::download::{self, DownloadFaults};
use super::errors::ApiError;
use super::fault_responses::{apply_body_fault, immediate_fault};
use super::faults::Fault;
use super::feedback;
use super::requests::RequestRecord;
use super::route::{self, DdiPath, RouteKind};
use super::server::Shared;
use super::tls::Peer;

pub(crate) const HAL_JSON: &str = "application/hal+json";
pub(crate) const JSON: &str = "application/json";
const CBOR: &str = "application/cbor";
/// Request bodies above this are refused (hawkBit has no such small limit,
/// but nothing a device sends comes close).
const MAX_BODY: usize = 16 * 1024 * 1024;

pub(crate) fn bare(status: StatusCode) -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = status;
    r
}

pub(crate) fn bytes_response(
    status: StatusCode,
    content_type: &'static str,
    body: Vec<u8>,
) -> Response {
    let len = body.len();
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r.headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    r
}

pub(crate) fn error_response(e: ApiError) -> Response {
    match e.info {
        None => bare(e.status),
        Some(info) => bytes_response(
            e.status,
            JSON,
            serde_json::to_vec(&info).unwrap_or_default(),
        ),
    }
}

/// The media type to answer with, or 406.
fn negotiate(accept: Option<&str>) -> Result<&'static str, ApiError> {
    let Some(accept) = accept else {
        return Ok(HAL_JSON);
    };
    for media in accept.split(',') {
        let media = media
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match media.as_str() {
            "*/*" | "application/*" | HAL_JSON => return Ok(HAL_JSON),
            JSON => return Ok(JSON),
            CBOR => return Ok(CBOR),
            _ => {}
        }
    }
    Err(ApiError::empty(StatusCode::NOT_ACCEPTABLE))
}

/// Request bodies must be `application/json` or `application/cbor` (turned
/// into JSON here, so both go through the same validation); anything else,
/// `application/hal+json` included, is 415.
fn json_body(headers: &HeaderMap, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    match ct.as_deref() {
        Some(JSON) => Ok(body.to_vec()),
        Some(CBOR) => {
            let value = cbor::decode(body).map_err(ApiError::body_not_readable)?;
            Ok(serde_json::to_vec(&value).unwrap_or_default())
        }
        _ => Err(ApiError::empty(StatusCode::UNSUPPORTED_MEDIA_TYPE)),
    }
}

/// Spring's `ShallowEtagHeaderFilter`: `"0" + md5(body)`, quoted.
fn etag_of(body: &[u8]) -> String {
    format!("\"0{}\"", hex::encode(Md5::digest(body)))
}

fn if_none_match_hits(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == "*" || t == etag)
        })
}

/// A GET JSON answer with the ETag filter applied.
fn json_get<T: Serialize>(headers: &HeaderMap, media: &'static str, doc: &T) -> Response {
    let body = if media == CBOR {
        serde_json::to_value(doc)
            .map(|v| cbor::encode(&v))
            .unwrap_or_default()
    } else {
        serde_json::to_vec(doc).unwrap_or_default()
    };
    let etag = etag_of(&body);
    if if_none_match_hits(headers, &etag) {
        let mut r = bare(StatusCode::NOT_MODIFIED);
        if let Ok(v) = HeaderValue::from_str(&etag) {
            r.headers_mut().insert(header::ETAG, v);
        }
        return r;
    }
    let mut r = bytes_response(StatusCode::OK, media, body);
    if let Ok(v) = HeaderValue::from_str(&etag) {
        r.headers_mut().insert(header::ETAG, v);
    }
    r
}

fn query_int(query: Option<&str>, name: &str, default: i64) -> Result<i64, ApiError> {
    let Some(q) = query else {
        return Ok(default);
    };
    for (k, v) in url::form_urlencoded::parse(q.as_bytes()) {
        if k == name {
            return v
                .trim()
                .parse()
                .map_err(|_| ApiError::empty(StatusCode::BAD_REQUEST));
        }
    }
    Ok(default)
}

fn id_of(p: &DdiPath) -> Result<u64, ApiError> {
    p.id.as_deref()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| ApiError::empty(StatusCode::BAD_REQUEST))
}

/// The entry point of the DDI listener.
pub(crate) async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    if super::mgmt::is_mgmt(parts.uri.path()) {
        return super::mgmt::handle(shared, parts, body).await;
    }
    let path = parts.uri.path().to_owned();
    let parsed = route::parse(&path);
    let kind = parsed.as_ref().map_or(RouteKind::Unknown, |p| p.kind);
    shared.requests.count(kind);
    let mut record = shared.requests.logging().then(|| {
        let full = parts
            .uri
            .path_and_query()
            .map_or(path.as_str(), |pq| pq.as_str());
        let mut r = RequestRecord::new(parts.method.as_str(), full, kind, &parts.headers);
        r.controller = parsed.as_ref().map(|p| p.controller.clone());
        r
    });
    let controller = parsed.as_ref().map(|p| p.controller.as_str());
    let mut pending = None;
    for fault in shared.faults.take(kind, controller) {
        if let Fault::Delay(d) = fault {
            tokio::time::sleep(d).await;
        } else {
            pending = Some(fault);
        }
    }
    let mut download_faults = DownloadFaults::default();
    let mut body_fault = None;
    let response = match pending {
        Some(Fault::WrongHash) => {
            download_faults.wrong_hash = true;
            None
        }
        Some(Fault::LyingContentRange { claimed_start }) => {
            download_faults.lying_start = Some(claimed_start);
            None
        }
        Some(Fault::IgnoreRange) => {
            download_faults.ignore_range = true;
            None
        }
        Some(f @ (Fault::Truncate { .. } | Fault::Slow { .. })) => {
            body_fault = Some(f);
            None
        }
        Some(f) => Some(immediate_fault(&shared, f, &parts.uri, parsed.as_ref())),
        None => None,
    };
    let response = match response {
        Some(r) => r,
        None => {
            let body = match axum::body::to_bytes(body, MAX_BODY).await {
                Ok(b) => b,
                Err(_) => Bytes::new(),
            };
            let r = match parsed {
                None => bare(StatusCode::NOT_FOUND),
                Some(p) => dispatch(&shared, &parts, p, &body, download_faults),
            };
            match body_fault {
                Some(f) => apply_body_fault(r, &f),
                None => r,
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
    p: DdiPath,
    body: &[u8],
    faults: DownloadFaults,
) -> Response {
    match try_dispatch(shared, parts, &p, body, faults) {
        Ok(r) => r,
        Err(e) => error_response(e),
    }
}

fn try_dispatch(
    shared: &Shared,
    parts: &Parts,
    p: &DdiPath,
    body: &[u8],
    faults: DownloadFaults,
) -> Result<Response, ApiError> {
    let (method, uri, headers) = (&parts.method, &parts.uri, &parts.headers);
    if *method != p.kind.method() && !(p.kind.method() == Method::GET && *method == Method::HEAD) {
        return Err(ApiError::empty(StatusCode::METHOD_NOT_ALLOWED));
    }
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let certificate_cn = parts
        .extensions
        .get::<ConnectInfo<Peer>>()
        .and_then(|peer| peer.0.common_name.as_deref());
    shared
        .store()
        .authorize(&p.tenant, &p.controller, authorization, certificate_cn)?;
    if p.controller.chars().count() > 256 {
        return Err(ApiError::constraint_violation(
            "controllerId: size must be between 1 and 256",
        ));
    }
    let media = if p.kind.is_artifact() {
        HAL_JSON
    } else {
        negotiate(headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()))?
    };
    let query = uri.query();
    let history = query_int(query, "actionHistory", 0)?;
    query_int(query, "c", -1)?;
    let now = SystemTime::now();
    let origins = &shared.origins;
    let (tenant, controller) = (p.tenant.as_str(), p.controller.as_str());
    match p.kind {
        RouteKind::Root => {
            let doc = shared.store().poll(origins, tenant, controller, now)?;
            Ok(json_get(headers, media, &doc))
        }
        RouteKind::DeploymentBase => {
            let id = id_of(p)?;
            let doc = shared
                .store()
                .deployment_base(origins, tenant, controller, id, history, now)?;
            Ok(json_get(headers, media, &doc))
        }
        RouteKind::DeploymentFeedback => {
            let id = id_of(p)?;
            let body = json_body(headers, body)?;
            let fb = feedback::parse_action_feedback(&body)?;
            shared
                .store()
                .deployment_feedback(tenant, controller, id, fb)?;
            Ok(bare(StatusCode::OK))
        }
        RouteKind::CancelAction => {
            let id = id_of(p)?;
            let doc = shared.store().cancel_action(tenant, controller, id)?;
            Ok(json_get(headers, media, &doc))
        }
        RouteKind::CancelFeedback => {
            let id = id_of(p)?;
            let body = json_body(headers, body)?;
            let fb = feedback::parse_action_feedback(&body)?;
            shared.store().cancel_feedback(tenant, controller, id, fb)?;
            Ok(bare(StatusCode::OK))
        }
        RouteKind::ConfigData => {
            let body = json_body(headers, body)?;
            let (mode, data) = feedback::parse_config_data(&body)?;
            shared.store().config_data(tenant, controller, mode, data)?;
            Ok(bare(StatusCode::OK))
        }
        RouteKind::InstalledBase => {
            let id = id_of(p)?;
            let doc = shared
                .store()
                .installed_base(origins, tenant, controller, id, history, now)?;
            Ok(json_get(headers, media, &doc))
        }
        RouteKind::InstalledBasePut => {
            let body = json_body(headers, body)?;
            let (name, version) = feedback::parse_assigned_version(&body)?;
            let created = shared
                .store()
                .put_installed_base(tenant, controller, &name, &version)?;
            Ok(bare(if created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            }))
        }
        RouteKind::ConfirmationBase => {
            let doc = shared
                .store()
                .confirmation_base(origins, tenant, controller)?;
            Ok(json_get(headers, media, &doc))
        }
        RouteKind::ConfirmationAction => {
            let id = id_of(p)?;
            let doc = shared
                .store()
                .confirmation_action(origins, tenant, controller, id, history, now)?;
            Ok(json_get(headers, media, &doc))
        }
        RouteKind::ConfirmationFeedback => {
            let id = id_of(p)?;
            let body = json_body(headers, body)?;
            let (entry, confirmed) = feedback::parse_confirmation(&body)?;
            shared
                .store()
                .confirmation_feedback(tenant, controller, id, entry, confirmed)?;
            Ok(bare(StatusCode::OK))
        }
        RouteKind::ActivateAutoConfirm => {
            let body = if body.iter().all(u8::is_ascii_whitespace) {
                Vec::new()
            } else {
                json_body(headers, body)?
            };
            let activation = feedback::parse_activation(&body)?;
            shared
                .store()
                .activate_auto_confirm(tenant, controller, activation, now)?;
            Ok(bare(StatusCode::OK))
        }
        RouteKind::DeactivateAutoConfirm => {
            shared.store().deactivate_auto_confirm(tenant, controller)?;
            Ok(bare(StatusCode::OK))
        }
        RouteKind::ArtifactList => {
            let module = id_of(p)?;
            let docs = shared
                .store()
                .artifact_list(origins, tenant, controller, module)?;
            Ok(json_get(headers, media, &docs))
        }
        RouteKind::ArtifactDownload | RouteKind::ArtifactMd5Sum => {
            let module = id_of(p)?;
            let file = p.file.as_deref().unwrap_or("");
            let md5 = p.kind == RouteKind::ArtifactMd5Sum;
            // range requests neither check the assignment nor log a status
            let log = (md5 || !headers.contains_key(header::RANGE)).then(|| uri.path());
            let artifact = shared
                .store()
                .artifact_for_download(tenant, controller, module, file, log)?;
            Ok(if md5 {
                download::md5_response(&artifact)
            } else {
                download::artifact_response(artifact, headers, faults)
            })
        }
        RouteKind::CdnDownload
        | RouteKind::CdnMd5Sum
        | RouteKind::MgmtTargets
        | RouteKind::MgmtTarget
        | RouteKind::MgmtTargetAttributes
        | RouteKind::MgmtTargetTags
        | RouteKind::MgmtTargetMetadata
        | RouteKind::MgmtTags
        | RouteKind::MgmtTagAssignment
        | RouteKind::Unknown => Err(ApiError::empty(StatusCode::NOT_FOUND)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_prefers_hal_and_refuses_others() {
        assert_eq!(negotiate(None).unwrap(), HAL_JSON);
        assert_eq!(negotiate(Some("application/json")).unwrap(), JSON);
        assert_eq!(negotiate(Some("text/html, */*;q=0.1")).unwrap(), HAL_JSON);
        assert_eq!(
            negotiate(Some("text/html")).unwrap_err().status,
            StatusCode::NOT_ACCEPTABLE
        );
    }

    #[test]
    fn etag_is_springs_shallow_etag() {
        assert_eq!(etag_of(b""), "\"0d41d8cd98f00b204e9800998ecf8427e\"");
    }
}
