//! An HTTP facade over a device registry: a network provider creates and
//! deletes its devices in the IoT Hub (or any [`ExternalRegistry`]) through
//! three calls, without hub credentials of its own.
//!
//! | request | effect |
//! | --- | --- |
//! | `PUT /providers/{provider}/devices/{id}` with `{"tags": {"k": "v"}}` (body optional) | creates the device tagged `provider=<provider>`; `201`, or `409` if it exists |
//! | `GET /providers/{provider}/devices/{id}` | its id, status and tags; `404` when it is not this provider's |
//! | `DELETE /providers/{provider}/devices/{id}` | soft delete (disabled, reason `deleted by provider <provider>`), or a real delete with `?hard=true` when the facade allows it; `204` |
//!
//! A provider only ever sees and changes devices tagged with its own name,
//! so providers sharing a hub cannot touch each other's devices. Registry
//! errors map to HTTP statuses (`Throttled` → `429` with `Retry-After`,
//! `Unavailable`/`Timeout` → `503`, `PreconditionFailed` → `412`, ...).
//! Keys never leave the facade.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::put;
use registry_sync::model::DeviceStatus;
use registry_sync::plan::Precondition;
use registry_sync::{DeviceId, DeviceRecord, ErrorKind, ExternalRegistry};
use serde::{Deserialize, Serialize};

/// The tag that says which provider owns a device.
pub const PROVIDER_TAG: &str = "provider";

/// How the facade behaves.
#[derive(Debug, Clone, Default)]
pub struct FacadeConfig {
    /// Whether `?hard=true` may really delete; otherwise every delete is a
    /// soft delete.
    pub allow_hard_delete: bool,
}

#[derive(Clone)]
struct Facade {
    registry: Arc<dyn ExternalRegistry>,
    config: FacadeConfig,
}

/// The routes, over `registry`.
pub fn router(registry: Arc<dyn ExternalRegistry>, config: FacadeConfig) -> axum::Router {
    axum::Router::new()
        .route(
            "/providers/{provider}/devices/{id}",
            put(create).get(read).delete(remove),
        )
        .with_state(Facade { registry, config })
}

/// The body of a create.
#[derive(Debug, Default, Deserialize)]
struct CreateBody {
    #[serde(default)]
    tags: BTreeMap<String, String>,
}

/// What the facade shows of a device.
#[derive(Debug, Serialize)]
struct DeviceView {
    id: String,
    enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    status_reason: Option<String>,
    tags: BTreeMap<String, String>,
}

impl DeviceView {
    fn of(d: &DeviceRecord) -> Self {
        let status_reason = match &d.status {
            DeviceStatus::Disabled { reason } => reason.as_deref().map(str::to_owned),
            _ => None,
        };
        Self {
            id: d.id.to_string(),
            enabled: d.status.is_enabled(),
            status_reason,
            tags: d
                .tags
                .iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        }
    }
}

#[derive(Debug, Deserialize)]
struct DeleteQuery {
    #[serde(default)]
    hard: bool,
}

/// A JSON error answer.
fn problem(status: StatusCode, message: &str) -> Response {
    (status, Json(serde_json::json!({ "error": message }))).into_response()
}

/// Maps a registry error to an answer; never includes the error's sources
/// (which could name hub internals).
fn registry_error(e: &registry_sync::Error) -> Response {
    let status = match e.kind() {
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::AlreadyExists => StatusCode::CONFLICT,
        ErrorKind::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
        ErrorKind::Throttled => StatusCode::TOO_MANY_REQUESTS,
        ErrorKind::Unavailable | ErrorKind::Timeout => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::Rejected => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::BAD_GATEWAY,
    };
    let mut response = problem(status, &e.to_string());
    if let Some(after) = e.retry_after()
        && let Ok(v) = HeaderValue::from_str(&after.as_secs().max(1).to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
    response
}

/// The device, if it exists and belongs to `provider`.
async fn owned(
    facade: &Facade,
    provider: &str,
    id: &DeviceId,
) -> Result<Option<DeviceRecord>, Response> {
    match facade.registry.get(id).await {
        Ok(Some(d)) if d.tags.get(PROVIDER_TAG) == Some(provider) => Ok(Some(d)),
        Ok(_) => Ok(None),
        Err(e) => Err(registry_error(&e)),
    }
}

async fn create(
    State(facade): State<Facade>,
    Path((provider, id)): Path<(String, String)>,
    body: Option<Json<CreateBody>>,
) -> Response {
    let body = body.map(|Json(b)| b).unwrap_or_default();
    if body.tags.contains_key(PROVIDER_TAG) {
        return problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "the provider tag is set by the facade",
        );
    }
    let mut device = DeviceRecord::new(id.as_str()).with_tag(PROVIDER_TAG, &provider);
    for (k, v) in &body.tags {
        device = device.with_tag(k, v);
    }
    match facade.registry.create(&device).await {
        Ok(stored) => {
            tracing::info!(%provider, device = %stored.id, "device created");
            (StatusCode::CREATED, Json(DeviceView::of(&stored))).into_response()
        }
        Err(e) => registry_error(&e),
    }
}

async fn read(
    State(facade): State<Facade>,
    Path((provider, id)): Path<(String, String)>,
) -> Response {
    match owned(&facade, &provider, &DeviceId::new(id)).await {
        Ok(Some(d)) => Json(DeviceView::of(&d)).into_response(),
        Ok(None) => problem(StatusCode::NOT_FOUND, "no such device for this provider"),
        Err(r) => r,
    }
}

async fn remove(
    State(facade): State<Facade>,
    Path((provider, id)): Path<(String, String)>,
    Query(q): Query<DeleteQuery>,
) -> Response {
    let id = DeviceId::new(id);
    let device = match owned(&facade, &provider, &id).await {
        Ok(Some(d)) => d,
        Ok(None) => return problem(StatusCode::NOT_FOUND, "no such device for this provider"),
        Err(r) => return r,
    };
    if q.hard && !facade.config.allow_hard_delete {
        return problem(StatusCode::FORBIDDEN, "hard deletes are not allowed here");
    }
    // Guarded by the etag just read: a concurrent change is a 412, not a
    // silent overwrite.
    let pre = Precondition::from_etag(device.etag.as_ref());
    let result = if q.hard {
        facade.registry.delete(&id, &pre).await
    } else {
        let reason = format!("deleted by provider {provider}");
        facade
            .registry
            .disable(&id, &reason, &pre)
            .await
            .map(|_| ())
    };
    match result {
        Ok(()) => {
            tracing::info!(%provider, device = %id, hard = q.hard, "device removed");
            let mut headers = HeaderMap::new();
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            (StatusCode::NO_CONTENT, headers).into_response()
        }
        Err(e) => registry_error(&e),
    }
}
