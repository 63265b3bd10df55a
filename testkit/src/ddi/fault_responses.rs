//! Answers shaped by fault injection: replacements (statuses, 429s,
//! redirects, huge JSON) and body wrappers (truncation, throttling).

use axum::body::{Body, Bytes, HttpBody};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use futures_util::StreamExt;

use super::catalog::ModuleId;
use super::config::LinkOrigin;
use super::errors::ApiError;
use super::faults::Fault;
use super::http::{HAL_JSON, JSON, bare, bytes_response, error_response};
use super::route::{DdiPath, RouteKind};
use super::server::Shared;

/// Faults that replace the answer entirely.
pub(crate) fn immediate_fault(
    shared: &Shared,
    fault: Fault,
    uri: &axum::http::Uri,
    parsed: Option<&DdiPath>,
) -> Response {
    match fault {
        Fault::Status(code) => bare(StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)),
        Fault::StatusWithError {
            status,
            error_code,
            message,
        } => {
            let body = serde_json::json!({
                "exceptionClass": "org.eclipse.hawkbit.exception.AbstractServerRtException",
                "errorCode": error_code,
                "message": message,
            });
            bytes_response(
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                JSON,
                body.to_string().into_bytes(),
            )
        }
        Fault::RateLimited => bare(StatusCode::TOO_MANY_REQUESTS),
        Fault::QuotaExceeded => error_response(ApiError::quota(
            "Quota exceeded: Cannot assign 1 more ActionStatus entities to Action. The maximum is 1000.".to_owned(),
        )),
        Fault::RedirectToCdn => {
            let location = match parsed {
                Some(p) if matches!(p.kind, RouteKind::ArtifactDownload | RouteKind::ArtifactMd5Sum) => {
                    let module = p.id.as_deref().and_then(|s| s.parse().ok()).unwrap_or(0);
                    let file = p.file.as_deref().unwrap_or("");
                    let href = shared.store().artifact_href(
                        &shared.origins,
                        LinkOrigin::Cdn,
                        &p.tenant,
                        &p.controller,
                        ModuleId(module),
                        file,
                    );
                    if p.kind == RouteKind::ArtifactMd5Sum { format!("{href}.MD5SUM") } else { href }
                }
                _ => format!("{}{}", shared.origins.cdn, uri.path()),
            };
            redirect(&location)
        }
        Fault::Redirect(location) => redirect(&location),
        Fault::RedirectLoop => redirect(&uri.path_and_query().map_or_else(|| uri.path().to_owned(), |pq| pq.to_string())),
        Fault::HugeJson { bytes } => huge_json(bytes),
        Fault::Body(text) => bytes_response(StatusCode::OK, HAL_JSON, text.into_bytes()),
        // the remaining faults modify a normal answer and never get here
        _ => bare(StatusCode::INTERNAL_SERVER_ERROR),
    }
}

fn redirect(location: &str) -> Response {
    let mut r = bare(StatusCode::FOUND);
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

fn huge_json(bytes: u64) -> Response {
    let head = Bytes::from_static(br#"{"config":{"polling":{"sleep":"00:05:00"}},"padding":""#);
    let tail = Bytes::from_static(b"\"}");
    let pad_len = bytes.saturating_sub((head.len() + tail.len()) as u64);
    let block = Bytes::from(vec![b'a'; 64 * 1024]);
    let total = head.len() as u64 + pad_len + tail.len() as u64;
    let pads = futures_util::stream::unfold(pad_len, move |left| {
        let block = block.clone();
        async move {
            (left > 0).then(|| {
                let n = left.min(block.len() as u64) as usize;
                (block.slice(..n), left - n as u64)
            })
        }
    });
    let s = futures_util::stream::once(async move { head })
        .chain(pads)
        .chain(futures_util::stream::once(async move { tail }))
        .map(Ok::<_, std::io::Error>);
    let mut r = Response::new(Body::from_stream(s));
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(HAL_JSON));
    r.headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(total));
    r
}

/// Truncation and throttling wrap whatever body the answer has; the declared
/// `Content-Length` stays the full one.
pub(crate) fn apply_body_fault(response: Response, fault: &Fault) -> Response {
    let (mut parts, body) = response.into_parts();
    if !parts.headers.contains_key(header::CONTENT_LENGTH)
        && let Some(n) = body.size_hint().exact()
    {
        parts
            .headers
            .insert(header::CONTENT_LENGTH, HeaderValue::from(n));
    }
    let data = body.into_data_stream();
    let body = match *fault {
        Fault::Truncate { after } => {
            let s = futures_util::stream::unfold(
                (data, after, false),
                |(mut data, left, done)| async move {
                    if done {
                        return None;
                    }
                    match data.next().await {
                        Some(Ok(chunk)) if (chunk.len() as u64) < left => {
                            let n = chunk.len() as u64;
                            Some((Ok(chunk), (data, left - n, false)))
                        }
                        Some(Ok(chunk)) => {
                            let keep = chunk.slice(..left as usize);
                            Some((Ok(keep), (data, 0, true)))
                        }
                        Some(Err(e)) => Some((Err(std::io::Error::other(e)), (data, left, true))),
                        None => None,
                    }
                },
            )
            .chain(futures_util::stream::once(async {
                // pending for a moment first, so hyper flushes the head and
                // the partial body before the connection is dropped
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionAborted,
                    "truncated by fault injection",
                ))
            }))
            .filter(|item| futures_util::future::ready(!matches!(item, Ok(b) if b.is_empty())));
            Body::from_stream(s)
        }
        Fault::Slow { bytes_per_second } => {
            let bps = bytes_per_second.max(1);
            // ten slices a second
            let slice = (bps / 10).max(1) as usize;
            let s = futures_util::stream::unfold(
                (data, Bytes::new()),
                move |(mut data, mut buf)| async move {
                    if buf.is_empty() {
                        match data.next().await {
                            Some(Ok(chunk)) => buf = chunk,
                            Some(Err(e)) => {
                                return Some((Err(std::io::Error::other(e)), (data, Bytes::new())));
                            }
                            None => return None,
                        }
                    }
                    let n = slice.min(buf.len());
                    let out = buf.split_to(n);
                    let wait = std::time::Duration::from_secs_f64(n as f64 / bps as f64);
                    tokio::time::sleep(wait).await;
                    Some((Ok(out), (data, buf)))
                },
            );
            Body::from_stream(s)
        }
        _ => Body::from_stream(data),
    };
    Response::from_parts(parts, body)
}
