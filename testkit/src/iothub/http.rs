//! The HTTP face of the simulator: one handler that parses the path itself
//! (so counters and faults see every request), checks `api-version` and the
//! SAS token, charges the throttle and runs the registry operation.

use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::error::HubError;
use super::faults::{HubFault, Route};
use super::import::apply_line;
use super::query::Query;
use super::sas;
use super::server::Shared;
use super::store::{IdentityInput, unquote};
use super::throttle::OperationClass;

/// The api-version the simulator requires.
pub const API_VERSION: &str = "2021-04-12";
const MAX_BODY: usize = 64 * 1024 * 1024;
const MAX_BULK: usize = 100;

fn json_response(status: u16, body: &Value) -> Response {
    let mut r = Response::new(Body::from(body.to_string()));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    r
}

fn empty(status: StatusCode) -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = status;
    r
}

fn segment(raw: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", raw.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// The route and its path parameters.
fn route(method: &Method, path: &str) -> (Route, Option<String>, Option<String>) {
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let m = method.as_str();
    match (m, parts.as_slice()) {
        ("POST", ["devices", "query"]) => (Route::Query, None, None),
        ("POST", ["devices"]) => (Route::Bulk, None, None),
        ("GET", ["devices", id]) => (Route::DeviceGet, Some(segment(id)), None),
        ("PUT", ["devices", id]) => (Route::DevicePut, Some(segment(id)), None),
        ("DELETE", ["devices", id]) => (Route::DeviceDelete, Some(segment(id)), None),
        ("GET", ["twins", id]) => (Route::TwinGet, Some(segment(id)), None),
        ("PATCH", ["twins", id]) => (Route::TwinPatch, Some(segment(id)), None),
        ("PUT", ["twins", id]) => (Route::TwinPut, Some(segment(id)), None),
        ("POST", ["jobs", "create"]) => (Route::JobCreate, None, None),
        ("GET", ["jobs", id]) => (Route::JobGet, Some(segment(id)), None),
        ("PUT", ["blob", c, name]) => (Route::BlobPut, Some(segment(c)), Some(segment(name))),
        ("GET", ["blob", c, name]) => (Route::BlobGet, Some(segment(c)), Some(segment(name))),
        _ => (Route::Other, None, None),
    }
}

fn header_text<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

fn object(body: &[u8]) -> Result<Map<String, Value>, HubError> {
    serde_json::from_slice(body)
        .map_err(|e| HubError::invalid(format!("body is not a JSON object: {e}")))
}

/// A response whose body breaks after the headers: the client sees the
/// connection drop.
fn dropped() -> Response {
    let stream = futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("connection dropped by fault rule"))
    });
    let mut r = Response::new(Body::from_stream(stream));
    r.headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from_static("1024"));
    r
}

pub(crate) async fn handle(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let (route, p1, p2) = route(&parts.method, parts.uri.path());
    let tracking = shared.count(route);
    let fault = shared.state().faults.request(route, p1.as_deref());
    match fault {
        Some(HubFault::Status(s)) => {
            let code = if s == 503 {
                "ServiceUnavailable"
            } else {
                "ServerError"
            };
            return HubError::new(s, code, "injected fault").response(tracking);
        }
        Some(HubFault::Delay(d)) => tokio::time::sleep(d).await,
        Some(HubFault::DropConnection) => return dropped(),
        Some(HubFault::GarbageBody) => {
            let mut r = Response::new(Body::from("{\"deviceId\": <html>"));
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            );
            r.headers_mut()
                .insert("x-ms-item-type", HeaderValue::from_static("twin"));
            return r;
        }
        Some(HubFault::ItemFailure) | None => {}
    }
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
        return HubError::new(413, "MessageTooLarge", "request body too large").response(tracking);
    };
    let query: Vec<(String, String)> =
        url::form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    if matches!(route, Route::BlobPut | Route::BlobGet) {
        return blob(&shared, &parts.method, &parts.headers, &query, p1, p2, body);
    }
    if route == Route::Other {
        return HubError::new(
            404,
            "NotFound",
            format!("no route for {} {}", parts.method, parts.uri.path()),
        )
        .response(tracking);
    }
    match query.iter().find(|(k, _)| k == "api-version") {
        Some((_, v)) if v == API_VERSION => {}
        Some((_, v)) => {
            return HubError::invalid(format!(
                "api-version '{v}' is not supported, use {API_VERSION}"
            ))
            .response(tracking);
        }
        None => return HubError::invalid("api-version is required").response(tracking),
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    if let Err(why) = sas::verify(
        header_text(&parts.headers, "authorization"),
        &shared.host,
        &shared.policies,
        now,
    ) {
        return HubError::new(401, "IotHubUnauthorizedAccess", why.message()).response(tracking);
    }
    let result = operation(&shared, route, p1, &parts.headers, &body);
    match result {
        Ok(r) => r,
        Err(e) => {
            if e.status == 429 {
                shared.note_throttled();
            }
            e.response(tracking)
        }
    }
}

fn blob(
    shared: &Shared,
    method: &Method,
    headers: &HeaderMap,
    query: &[(String, String)],
    container: Option<String>,
    name: Option<String>,
    body: Bytes,
) -> Response {
    if !query.iter().any(|(k, _)| k == "sig") {
        return json_response(403, &json!({"code": "AuthenticationFailed"}));
    }
    let (Some(container), Some(name)) = (container, name) else {
        return empty(StatusCode::NOT_FOUND);
    };
    let mut s = shared.state();
    if *method == Method::PUT {
        if header_text(headers, "x-ms-blob-type") != Some("BlockBlob") {
            return json_response(400, &json!({"code": "MissingRequiredHeader"}));
        }
        s.blobs
            .containers
            .entry(container)
            .or_default()
            .insert(name, body.to_vec());
        return empty(StatusCode::CREATED);
    }
    match s
        .blobs
        .containers
        .get(&container)
        .and_then(|c| c.get(&name))
    {
        Some(bytes) => {
            let mut r = Response::new(Body::from(bytes.clone()));
            r.headers_mut()
                .insert("x-ms-blob-type", HeaderValue::from_static("BlockBlob"));
            r
        }
        None => json_response(404, &json!({"code": "BlobNotFound"})),
    }
}

fn class(route: Route) -> Option<OperationClass> {
    match route {
        Route::DeviceGet | Route::DevicePut | Route::DeviceDelete | Route::Bulk => {
            Some(OperationClass::Identity)
        }
        Route::TwinGet => Some(OperationClass::TwinRead),
        Route::TwinPatch | Route::TwinPut => Some(OperationClass::TwinUpdate),
        Route::Query => Some(OperationClass::Query),
        Route::JobCreate | Route::JobGet => Some(OperationClass::Jobs),
        _ => None,
    }
}

fn if_match(headers: &HeaderMap) -> Option<&str> {
    header_text(headers, "if-match").map(unquote)
}

fn operation(
    shared: &Shared,
    route: Route,
    id: Option<String>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, HubError> {
    let id = id.unwrap_or_default();
    // Bulk bodies are read before charging: they cost one token per device.
    let bulk: Option<Vec<Map<String, Value>>> = if route == Route::Bulk {
        let items: Vec<Map<String, Value>> = serde_json::from_slice(body)
            .map_err(|e| HubError::invalid(format!("body is not an array of devices: {e}")))?;
        Some(items)
    } else {
        None
    };
    let cost = bulk
        .as_ref()
        .map_or(1, |b| u32::try_from(b.len()).unwrap_or(u32::MAX));
    let mut s = shared.state();
    if let Some(c) = class(route)
        && !s.buckets.take(c, cost.max(1), Instant::now())
    {
        return Err(HubError::throttled());
    }
    let st = &mut *s;
    match route {
        Route::DeviceGet => {
            let d = st
                .store
                .devices
                .get(&id)
                .ok_or_else(|| HubError::not_found(&id))?;
            Ok(json_response(200, &d.identity_json()))
        }
        Route::DevicePut => {
            let o = object(body)?;
            if o.get("deviceId").and_then(Value::as_str) != Some(id.as_str()) {
                return Err(HubError::invalid(
                    "deviceId in the body does not match the path",
                ));
            }
            let input = IdentityInput::from_json(&o)?;
            let current = st.store.devices.get(&id).map(super::store::Device::etag);
            let d = match (if_match(headers), current) {
                (None, Some(_)) => return Err(HubError::exists(&id)),
                (None, None) => st.store.insert(&id, &input, None, None)?,
                (Some(_), None) => return Err(HubError::not_found(&id)),
                (Some(want), Some(have)) => {
                    if want != "*" && want != have {
                        return Err(HubError::precondition(&id));
                    }
                    st.store.replace(&id, &input, None, None)?
                }
            };
            Ok(json_response(200, &d.identity_json()))
        }
        Route::DeviceDelete => {
            let have = st
                .store
                .devices
                .get(&id)
                .map(super::store::Device::etag)
                .ok_or_else(|| HubError::not_found(&id))?;
            match if_match(headers) {
                Some(want) if want != "*" && want != have => Err(HubError::precondition(&id)),
                _ => {
                    st.store.remove(&id)?;
                    Ok(empty(StatusCode::NO_CONTENT))
                }
            }
        }
        Route::TwinGet => {
            let d = st
                .store
                .devices
                .get(&id)
                .ok_or_else(|| HubError::not_found(&id))?;
            Ok(json_response(200, &d.twin_json()))
        }
        Route::TwinPatch | Route::TwinPut => {
            let o = object(body)?;
            let have = st
                .store
                .devices
                .get(&id)
                .map(super::store::Device::twin_etag)
                .ok_or_else(|| HubError::not_found(&id))?;
            if let Some(want) = if_match(headers)
                && want != "*"
                && want != have
            {
                return Err(HubError::precondition(&id));
            }
            let d = st.store.twin_write(&id, &o, route == Route::TwinPut)?;
            Ok(json_response(200, &d.twin_json()))
        }
        Route::Query => {
            let o = object(body)?;
            let text = o.get("query").and_then(Value::as_str).unwrap_or("");
            let q = Query::parse(text)?;
            let max = header_text(headers, "x-ms-max-item-count")
                .and_then(|m| m.parse::<usize>().ok())
                .unwrap_or(100)
                .clamp(1, 1000);
            let (rows, next) = q.page(
                &st.store.devices,
                header_text(headers, "x-ms-continuation"),
                max,
            )?;
            let mut r = json_response(200, &Value::Array(rows));
            r.headers_mut()
                .insert("x-ms-item-type", HeaderValue::from_static("twin"));
            if let Some(c) = next.and_then(|c| HeaderValue::from_str(&c).ok()) {
                r.headers_mut().insert("x-ms-continuation", c);
            }
            Ok(r)
        }
        Route::Bulk => {
            let items = bulk.unwrap_or_default();
            if items.len() > MAX_BULK {
                return Err(HubError::new(
                    400,
                    "TooManyDevices",
                    format!(
                        "a bulk call takes at most {MAX_BULK} devices, got {}",
                        items.len()
                    ),
                ));
            }
            let mut ids = std::collections::HashSet::new();
            for item in &items {
                let item_id = item.get("id").and_then(Value::as_str).unwrap_or("");
                if !ids.insert(item_id) {
                    return Err(HubError::invalid(format!(
                        "device {item_id} appears more than once in the bulk call"
                    )));
                }
            }
            let mut errors = Vec::new();
            for item in &items {
                let item_id = item
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned();
                let result = if st.faults.item(Route::Bulk, &item_id) {
                    Err(HubError::new(500, "ServerError", "injected item failure"))
                } else {
                    apply_line(&mut st.store, item)
                };
                if let Err(e) = result {
                    errors.push(json!({
                        "deviceId": item_id,
                        "errorCode": e.code,
                        "errorStatus": e.item_status(),
                        "operation": item.get("importMode").cloned().unwrap_or(json!("createOrUpdate")),
                    }));
                }
            }
            let ok = errors.is_empty();
            let body = json!({"isSuccessful": ok, "errors": errors, "warnings": []});
            Ok(json_response(if ok { 200 } else { 400 }, &body))
        }
        Route::JobCreate => {
            let o = object(body)?;
            let j = st.jobs.create(&o)?;
            Ok(json_response(200, &j))
        }
        Route::JobGet => {
            let j = st
                .jobs
                .read(&id, &mut st.store, &mut st.blobs, &mut st.faults)?;
            Ok(json_response(200, &j))
        }
        Route::BlobGet | Route::BlobPut | Route::Other => {
            Err(HubError::new(404, "NotFound", "no such route"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_decode_their_ids() {
        assert_eq!(
            route(&Method::GET, "/devices/a%3Fb"),
            (Route::DeviceGet, Some("a?b".into()), None)
        );
        assert_eq!(route(&Method::POST, "/devices/query").0, Route::Query);
        assert_eq!(route(&Method::POST, "/devices").0, Route::Bulk);
        assert_eq!(
            route(&Method::PUT, "/blob/c/devices.txt"),
            (Route::BlobPut, Some("c".into()), Some("devices.txt".into()))
        );
        assert_eq!(route(&Method::PATCH, "/devices/x").0, Route::Other);
    }
}
