//! The second listener: a stand-in for a CDN or blob store serving the same
//! artifacts at `/cdn/{tenant}/{moduleId}/{fileName}` without authentication.
//! It records every request, so tests can check that no token leaked to it.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use super::download::{self, DownloadFaults};
use super::fault_responses::{apply_body_fault, immediate_fault};
use super::faults::Fault;
use super::http::bare;
use super::requests::RequestRecord;
use super::route::{RouteKind, decode};
use super::server::Shared;

/// What S3 answers when a request carries a second credential.
const S3_AUTH_ERROR: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InvalidArgument</Code>\
<Message>Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string \
parameter or the Authorization header should be specified</Message></Error>";

fn parse(path: &str) -> Option<(RouteKind, u64, String)> {
    let mut it = path.strip_prefix("/cdn/")?.split('/');
    let _tenant = it.next()?;
    let module = it.next()?.parse().ok()?;
    let file = it.next()?;
    if it.next().is_some() {
        return None;
    }
    match file.strip_suffix(".MD5SUM") {
        Some(name) => Some((RouteKind::CdnMd5Sum, module, decode(name)?)),
        None => Some((RouteKind::CdnDownload, module, decode(file)?)),
    }
}

pub(crate) async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, _body) = request.into_parts();
    let parsed = parse(parts.uri.path());
    let kind = parsed.as_ref().map_or(RouteKind::Unknown, |p| p.0);
    shared.requests.count(kind);
    let full = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_owned(), |pq| pq.to_string());
    let mut record = RequestRecord::new(parts.method.as_str(), &full, kind, &parts.headers);
    record.cdn = true;
    let mut download_faults = DownloadFaults::default();
    let mut body_fault = None;
    let mut immediate = None;
    for fault in shared.faults.take(kind, None) {
        match fault {
            Fault::Delay(d) => tokio::time::sleep(d).await,
            Fault::WrongHash => download_faults.wrong_hash = true,
            Fault::IgnoreRange => download_faults.ignore_range = true,
            Fault::LyingContentRange { claimed_start } => {
                download_faults.lying_start = Some(claimed_start)
            }
            f @ (Fault::Truncate { .. } | Fault::Slow { .. }) => body_fault = Some(f),
            f => immediate = Some(immediate_fault(&shared, f, &parts.uri, None)),
        }
    }
    let response = match (immediate, parsed) {
        (Some(r), _) => r,
        (None, None) => bare(StatusCode::NOT_FOUND),
        (None, Some(_))
            if shared.cdn_rejects_authorization.load(Ordering::Relaxed)
                && parts.headers.contains_key(header::AUTHORIZATION) =>
        {
            let mut r = axum::response::IntoResponse::into_response((
                StatusCode::BAD_REQUEST,
                S3_AUTH_ERROR,
            ));
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/xml"),
            );
            r
        }
        (None, Some((kind, module, file))) => {
            match shared.store().artifact_unchecked(module, &file) {
                None => bare(StatusCode::NOT_FOUND),
                Some(a) if kind == RouteKind::CdnMd5Sum => download::md5_response(&a),
                Some(a) => download::artifact_response(a, &parts.headers, download_faults),
            }
        }
    };
    let response = match body_fault {
        Some(f) => apply_body_fault(response, &f),
        None => response,
    };
    record.status = response.status().as_u16();
    shared.requests.record(record);
    response
}
