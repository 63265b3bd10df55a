//! Artifact and `.MD5SUM` responses, following hawkBit's `FileStreamingUtil`:
//! `Range` (single and multipart), `If-Range`, `If-Match`, 416 and 412.

use std::sync::Arc;
use std::time::SystemTime;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use bytes::{Bytes, BytesMut};
use futures_util::stream;

use super::catalog::Artifact;
use super::http_date;

/// Streaming chunk size; equal to the zero-copy window of generated artifacts.
const CHUNK: usize = super::catalog::PATTERN_WINDOW;
const BOUNDARY: &str = "THIS_STRING_SEPARATES_MULTIPART";

/// Misbehaviour applied to a download.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct DownloadFaults {
    /// Flip one byte in the middle of the artifact.
    pub(crate) wrong_hash: bool,
    /// Announce this start in `Content-Range` instead of the real one.
    pub(crate) lying_start: Option<u64>,
    /// Serve the whole artifact whatever `Range` asks.
    pub(crate) ignore_range: bool,
}

/// One piece of the response body.
#[derive(Debug, Clone)]
enum Segment {
    Literal(Bytes),
    Range { start: u64, len: u64 },
}

fn bare(status: StatusCode) -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = status;
    r
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// `HttpUtil.matchesHttpHeader`: `*` or one of the comma-separated values.
fn matches_header(value: &str, expected: &str) -> bool {
    value
        .split(',')
        .map(str::trim)
        .any(|v| v == "*" || v == expected)
}

/// `^bytes=\d*-\d*(,\d*-\d*)*$`.
fn range_syntax_ok(range: &str) -> bool {
    let Some(spec) = range.strip_prefix("bytes=") else {
        return false;
    };
    spec.split(',').all(|part| {
        part.split_once('-').is_some_and(|(a, b)| {
            a.bytes().all(|c| c.is_ascii_digit()) && b.bytes().all(|c| c.is_ascii_digit())
        })
    })
}

/// `FileStreamingUtil#extractRange`: `None` means 416.
fn parse_ranges(range: &str, length: u64) -> Option<Vec<(u64, u64)>> {
    let length = i128::from(length);
    let mut out = Vec::new();
    for part in range.get(6..)?.split(',') {
        let (a, b) = part.split_once('-')?;
        let num = |s: &str| {
            if s.is_empty() {
                Some(-1)
            } else {
                s.parse::<i128>().ok()
            }
        };
        let (mut start, mut end) = (num(a)?, num(b)?);
        if start == -1 {
            start = length - end;
            end = length - 1;
        } else if end == -1 || end > length - 1 {
            end = length - 1;
        }
        if start > end {
            return None;
        }
        // a suffix longer than the file starts at 0 (Java would go negative)
        let start = u64::try_from(start.max(0)).ok()?;
        out.push((start, u64::try_from(end).ok()?));
    }
    Some(out)
}

/// Whether `If-Range` keeps the range request (`checkForShortcut`).
fn if_range_allows(if_range: Option<&str>, etag: &str, last_modified: SystemTime) -> bool {
    let Some(value) = if_range else {
        return true;
    };
    if value == etag {
        return true;
    }
    match http_date::parse(value) {
        Some(date) => date + std::time::Duration::from_secs(1) >= last_modified,
        None => false,
    }
}

/// The artifact response for a request with these headers.
pub(crate) fn artifact_response(
    artifact: Arc<Artifact>,
    headers: &HeaderMap,
    faults: DownloadFaults,
) -> Response {
    let length = artifact.size();
    let sha1 = artifact.hashes.sha1.clone();
    let etag = format!("\"{sha1}\"");
    if let Some(if_match) = header_str(headers, header::IF_MATCH)
        && !matches_header(if_match, &sha1)
    {
        return bare(StatusCode::PRECONDITION_FAILED);
    }
    let last_modified = http_date::truncate_to_secs(artifact.created);
    let mut response = Response::new(Body::empty());
    let h = response.headers_mut();
    let disposition = format!("attachment;filename={}", artifact.filename);
    let insert = |h: &mut HeaderMap, name: header::HeaderName, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(name, v);
        }
    };
    insert(h, header::CONTENT_DISPOSITION, &disposition);
    insert(h, header::ETAG, &etag);
    insert(h, header::ACCEPT_RANGES, "bytes");
    insert(
        h,
        header::HeaderName::from_static("x-content-type-options"),
        "nosniff",
    );
    insert(h, header::LAST_MODIFIED, &http_date::format(last_modified));
    insert(h, header::CONTENT_TYPE, "application/octet-stream");

    let mut ranges = Vec::new();
    let range = header_str(headers, header::RANGE).filter(|_| !faults.ignore_range);
    if let Some(range) = range {
        if !range_syntax_ok(range) {
            return unsatisfiable(response, length);
        }
        if if_range_allows(header_str(headers, header::IF_RANGE), &etag, last_modified) {
            match parse_ranges(range, length) {
                Some(r) => ranges = r,
                None => return unsatisfiable(response, length),
            }
        }
    }
    let full = (0, length.saturating_sub(1));
    let (status, segments) = match ranges.as_slice() {
        [] => (
            StatusCode::OK,
            vec![Segment::Range {
                start: 0,
                len: length,
            }],
        ),
        [only] if *only == full => (
            StatusCode::OK,
            vec![Segment::Range {
                start: 0,
                len: length,
            }],
        ),
        [(start, end)] => (
            StatusCode::PARTIAL_CONTENT,
            vec![Segment::Range {
                start: *start,
                len: end - start + 1,
            }],
        ),
        many => {
            let mut segments = Vec::new();
            for (start, end) in many {
                let head =
                    format!("\r\n--{BOUNDARY}\r\nContent-Range: bytes {start}-{end}/{length}\r\n");
                segments.push(Segment::Literal(Bytes::from(head)));
                segments.push(Segment::Range {
                    start: *start,
                    len: end - start + 1,
                });
            }
            segments.push(Segment::Literal(Bytes::from(format!("\r\n--{BOUNDARY}--"))));
            let h = response.headers_mut();
            insert(
                h,
                header::CONTENT_TYPE,
                &format!("multipart/byteranges; boundary={BOUNDARY}"),
            );
            (StatusCode::PARTIAL_CONTENT, segments)
        }
    };
    let h = response.headers_mut();
    if let [Segment::Range { start, len }] = segments.as_slice() {
        // hawkBit sets Content-Range on the full 200 answer as well
        let announced = faults
            .lying_start
            .filter(|_| status == StatusCode::PARTIAL_CONTENT)
            .unwrap_or(*start);
        let end = (announced + len).saturating_sub(1);
        insert(
            h,
            header::CONTENT_RANGE,
            &format!("bytes {announced}-{end}/{length}"),
        );
    }
    let total: u64 = segments
        .iter()
        .map(|s| match s {
            Segment::Literal(b) => b.len() as u64,
            Segment::Range { len, .. } => *len,
        })
        .sum();
    insert(h, header::CONTENT_LENGTH, &total.to_string());
    *response.status_mut() = status;
    *response.body_mut() = stream_segments(artifact, segments, faults.wrong_hash);
    response
}

fn unsatisfiable(mut response: Response, length: u64) -> Response {
    let h = response.headers_mut();
    h.remove(header::CONTENT_TYPE);
    if let Ok(v) = HeaderValue::from_str(&format!("bytes */{length}")) {
        h.insert(header::CONTENT_RANGE, v);
    }
    *response.status_mut() = StatusCode::RANGE_NOT_SATISFIABLE;
    response
}

fn stream_segments(artifact: Arc<Artifact>, segments: Vec<Segment>, wrong_hash: bool) -> Body {
    let corrupt_at = wrong_hash.then(|| artifact.size() / 2);
    let state = (artifact, segments.into_iter(), None::<(u64, u64)>);
    let s = stream::unfold(
        state,
        move |(artifact, mut segments, mut current)| async move {
            loop {
                if let Some((pos, end)) = current
                    && pos < end
                {
                    let take = (end - pos).min(CHUNK as u64) as usize;
                    let mut chunk = artifact.chunk(pos, take);
                    if let Some(at) = corrupt_at
                        && at >= pos
                        && at < pos + chunk.len() as u64
                    {
                        let mut copy = BytesMut::from(&chunk[..]);
                        if let Some(b) = copy.get_mut((at - pos) as usize) {
                            *b ^= 0xFF;
                        }
                        chunk = copy.freeze();
                    }
                    let next = pos + chunk.len() as u64;
                    if chunk.is_empty() {
                        return None;
                    }
                    return Some((
                        Ok::<_, std::io::Error>(chunk),
                        (artifact, segments, Some((next, end))),
                    ));
                }
                match segments.next()? {
                    Segment::Literal(b) => return Some((Ok(b), (artifact, segments, None))),
                    Segment::Range { start, len } => current = Some((start, start + len)),
                }
            }
        },
    );
    Body::from_stream(s)
}

/// The `.MD5SUM` answer: `<md5>  <filename>`, no newline.
pub(crate) fn md5_response(artifact: &Artifact) -> Response {
    let body = format!("{}  {}", artifact.hashes.md5, artifact.filename);
    let mut response = Response::new(Body::from(body.clone()));
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    if let Ok(v) =
        HeaderValue::from_str(&format!("attachment;filename={}.MD5SUM", artifact.filename))
    {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_follow_file_streaming_util() {
        assert_eq!(parse_ranges("bytes=0-9", 100), Some(vec![(0, 9)]));
        assert_eq!(parse_ranges("bytes=90-", 100), Some(vec![(90, 99)]));
        assert_eq!(parse_ranges("bytes=-10", 100), Some(vec![(90, 99)]));
        assert_eq!(parse_ranges("bytes=50-500", 100), Some(vec![(50, 99)]));
        assert_eq!(parse_ranges("bytes=100-", 100), None);
        assert_eq!(parse_ranges("bytes=9-3", 100), None);
        assert_eq!(parse_ranges("bytes=-", 100), None);
        assert!(range_syntax_ok("bytes=1-2,5-"));
        assert!(!range_syntax_ok("bytes=1-2, 5-"));
        assert!(!range_syntax_ok("items=1-2"));
    }

    proptest::proptest! {
        #[test]
        fn parsed_ranges_stay_inside_the_file(len in 1_u64..10_000, a in proptest::option::of(0_u64..20_000), b in proptest::option::of(0_u64..20_000)) {
            let fmt = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_default();
            let range = format!("bytes={}-{}", fmt(a), fmt(b));
            proptest::prop_assert!(range_syntax_ok(&range));
            if let Some(ranges) = parse_ranges(&range, len) {
                for (start, end) in ranges {
                    proptest::prop_assert!(start <= end && end < len, "{range}: {start}-{end}");
                }
            }
        }

        #[test]
        fn range_parsing_never_panics(s in "bytes=[-0-9,]{0,30}", len in 0_u64..1_000) {
            if range_syntax_ok(&s) {
                let _ = parse_ranges(&s, len);
            }
        }
    }

    #[test]
    fn if_match_accepts_bare_sha1_and_star_only() {
        assert!(matches_header("abc", "abc"));
        assert!(matches_header("x, *", "abc"));
        assert!(!matches_header("\"abc\"", "abc"));
    }
}
