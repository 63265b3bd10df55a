//! A scripted HTTP/1.1 server on 127.0.0.1 that can misbehave on purpose:
//! every response is raw bytes, so it can lie about lengths and ranges, cut
//! bodies short, or redirect forever. Each connection serves one request.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A received request.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Path with query.
    pub target: String,
    /// Lower-case names.
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }
}

type Handler = Arc<dyn Fn(&Request, usize) -> Vec<u8> + Send + Sync>;

/// The running server; stops when dropped.
pub struct Server {
    pub port: u16,
    log: Arc<Mutex<Vec<Request>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    /// `handler(request, index)` returns the raw response; `index` counts
    /// requests from 0.
    pub async fn start(
        handler: impl Fn(&Request, usize) -> Vec<u8> + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let log = Arc::new(Mutex::new(Vec::new()));
        let handler: Handler = Arc::new(handler);
        let log2 = log.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    return;
                };
                let handler = handler.clone();
                let log = log2.clone();
                tokio::spawn(async move {
                    let Some(req) = read_request(&mut sock).await else {
                        return;
                    };
                    let index = {
                        let mut l = log.lock().unwrap();
                        l.push(req.clone());
                        l.len() - 1
                    };
                    let raw = handler(&req, index);
                    let _ = sock.write_all(&raw).await;
                    let _ = sock.shutdown().await;
                });
            }
        });
        Self { port, log, task }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.log.lock().unwrap().clone()
    }
}

async fn read_request(sock: &mut tokio::net::TcpStream) -> Option<Request> {
    let mut buf = Vec::new();
    let mut tmp = [0u8; 4096];
    let head_end = loop {
        let n = sock.read(&mut tmp).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&tmp[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_owned();
    let target = first.next()?.to_owned();
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let len: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < len {
        let n = sock.read(&mut tmp).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&tmp[..n]);
    }
    Some(Request {
        method,
        target,
        headers,
        body,
    })
}

/// A raw response with `Content-Length` set to the body length unless a
/// `Content-Length` header is given explicitly (to lie).
pub fn resp(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status} X\r\nConnection: close\r\n");
    if !headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-length"))
    {
        out.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    let mut out = out.into_bytes();
    out.extend_from_slice(body);
    out
}

pub fn json(status: u16, body: &str) -> Vec<u8> {
    resp(
        status,
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    )
}

/// Deterministic test payload.
pub fn payload(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i.wrapping_mul(31) ^ (i >> 8)) as u8)
        .collect()
}

pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(data))
}

pub fn sha1_hex(data: &[u8]) -> String {
    use sha1::Digest;
    hex::encode(sha1::Sha1::digest(data))
}

/// An artifact document pointing at `href`.
pub fn artifact(name: &str, data: &[u8], href: &str) -> ddi_client::model::Artifact {
    serde_json::from_value(serde_json::json!({
        "filename": name,
        "hashes": {"sha256": sha256_hex(data), "sha1": sha1_hex(data)},
        "size": data.len(),
        "_links": {"download-http": {"href": href}}
    }))
    .unwrap()
}

/// Serves `data` like hawkBit: ETag, ranges (206), 416 past the end.
pub fn serve_artifact(req: &Request, data: &[u8], etag: &str) -> Vec<u8> {
    let total = data.len();
    let range = req
        .header("range")
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.strip_suffix('-'));
    let if_range_ok = req.header("if-range").is_none_or(|v| v == etag);
    match range.and_then(|s| s.parse::<usize>().ok()) {
        Some(start) if if_range_ok && start >= total => {
            resp(416, &[("Content-Range", &format!("bytes */{total}"))], b"")
        }
        Some(start) if if_range_ok => resp(
            206,
            &[
                ("ETag", etag),
                (
                    "Content-Range",
                    &format!("bytes {start}-{}/{total}", total - 1),
                ),
            ],
            &data[start..],
        ),
        _ => resp(200, &[("ETag", etag), ("Accept-Ranges", "bytes")], data),
    }
}
