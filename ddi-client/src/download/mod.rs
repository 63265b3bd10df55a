//! Streaming, verified, resumable artifact downloads.
//!
//! Bytes are hashed as they arrive (SHA-256, else SHA-1, else MD5), memory
//! use does not depend on the artifact size, and a file download is written
//! to a hidden `.<name>.part` file that is renamed only once verified, so no
//! partial file ever looks complete. Interrupted transfers resume with
//! `Range` plus `If-Range`; the answer is validated (`Content-Range` start
//! and total checked, 200 restarts, 416 verifies the local bytes, 412 or a
//! hash mismatch discards them), attempts are bounded, and a persistent 4xx
//! ends the download with an error instead of looping.

mod content_range;
mod file_name;
mod sink;
mod verify;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use reqwest::{Method, StatusCode, header};
use tokio::io::AsyncWrite;

pub use file_name::{MAX_FILE_NAME, safe_file_name};
pub use verify::HashAlgorithm;

use self::content_range::ContentRange;
use self::sink::{FileSink, Sink, WriterSink};
use self::verify::Verifier;
use crate::client::Controller;
use crate::client::http::{Req, error_from_response};
use crate::error::{Error, ErrorKind, Result, RetryClass};
use crate::model::Artifact;

/// Progress of one artifact download.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct DownloadProgress {
    /// Bytes verified-so-far on disk or written to the writer.
    pub downloaded: u64,
    /// The declared size, if the server gave one.
    pub total: Option<u64>,
}

/// A finished download.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Downloaded {
    /// Where the verified file is (`None` for writer downloads).
    pub path: Option<PathBuf>,
    /// Its length.
    pub bytes: u64,
    /// What it was verified with (`None` only with
    /// [`Download::allow_unverified`]).
    pub verified_with: Option<HashAlgorithm>,
    /// How many HTTP requests it took (1 when nothing went wrong).
    pub attempts: u32,
}

type ProgressFn = Arc<dyn Fn(DownloadProgress) + Send + Sync>;

/// One artifact download; configure it, then call [`Download::to_file`] or
/// [`Download::to_writer`].
#[derive(Clone)]
pub struct Download {
    controller: Controller,
    artifact: Artifact,
    progress: Option<ProgressFn>,
    rate_limit: Option<u64>,
    low_speed: Option<(u64, Duration)>,
    max_attempts: u32,
    allow_unverified: bool,
    /// Bytes that must stay free after the download; `None` skips the check.
    free_space_reserve: Option<u64>,
}

impl core::fmt::Debug for Download {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Download")
            .field("artifact", &self.artifact.filename)
            .field("rate_limit", &self.rate_limit)
            .field("low_speed", &self.low_speed)
            .field("max_attempts", &self.max_attempts)
            .finish_non_exhaustive()
    }
}

impl Controller {
    /// Prepares the download of one artifact via its download link
    /// (`download`, else `download-http`, else any non-MD5SUM rel).
    pub fn download(&self, artifact: &Artifact) -> Download {
        Download {
            controller: self.clone(),
            artifact: artifact.clone(),
            progress: None,
            rate_limit: None,
            low_speed: None,
            max_attempts: 5,
            allow_unverified: false,
            free_space_reserve: Some(0),
        }
    }
}

impl Download {
    /// Called after every received chunk. Default: none.
    pub fn on_progress(
        &mut self,
        f: impl Fn(DownloadProgress) + Send + Sync + 'static,
    ) -> &mut Self {
        self.progress = Some(Arc::new(f));
        self
    }

    /// Limits the average rate to `bytes_per_sec`. Default: unlimited.
    pub fn rate_limit(&mut self, bytes_per_sec: u64) -> &mut Self {
        self.rate_limit = (bytes_per_sec > 0).then_some(bytes_per_sec);
        self
    }

    /// Aborts (and resumes) a transfer slower than `min_bytes_per_sec` over
    /// `window`. Default: off (the client's read timeout still applies).
    pub fn low_speed_limit(&mut self, min_bytes_per_sec: u64, window: Duration) -> &mut Self {
        self.low_speed = (!window.is_zero()).then_some((min_bytes_per_sec, window));
        self
    }

    /// HTTP requests allowed in total, resumes included. Default: 5.
    pub fn max_attempts(&mut self, n: u32) -> &mut Self {
        self.max_attempts = n.max(1);
        self
    }

    /// Accepts artifacts that carry no usable hash. Default: `false` (they
    /// fail with [`ErrorKind::NoHash`]).
    pub fn allow_unverified(&mut self, allow: bool) -> &mut Self {
        self.allow_unverified = allow;
        self
    }

    /// Before [`Self::to_file`] writes anything, checks that the file system
    /// holding the directory has room for the rest of the artifact plus
    /// `reserve` bytes (the root of a small device must not fill up), and
    /// fails with [`ErrorKind::InsufficientSpace`] otherwise. `None` turns
    /// the check off. Default: `Some(0)`. Skipped when the server declares no
    /// size or the platform cannot tell the free space.
    pub fn free_space_reserve(&mut self, reserve: Option<u64>) -> &mut Self {
        self.free_space_reserve = reserve;
        self
    }

    /// Downloads into `dir/<filename>`, resuming a `.part` file a previous
    /// run left there. The file name is checked with [`safe_file_name`].
    /// On error, the final name does not exist (a resumable `.part` may).
    pub async fn to_file(&self, dir: &Path) -> Result<Downloaded> {
        let name = safe_file_name(&self.artifact.filename)?;
        let mut verifier = self.verifier()?;
        // hawkBit's artifact ETag is the quoted SHA-1, so a partial file with
        // no stored validator can still be resumed safely against it.
        let fallback = self
            .artifact
            .hashes
            .as_ref()
            .and_then(|h| h.sha1.as_ref())
            .map(|s| format!("\"{s}\""));
        let (mut sink, validator) = FileSink::open(dir, name, &mut verifier, fallback).await?;
        if let Err(e) = self.check_free_space(dir, sink.len()).await {
            sink.keep().await;
            return Err(e);
        }
        match self.run(&mut sink, verifier, validator).await {
            Ok(mut done) => {
                let path = dir.join(name);
                sink.commit(&path).await?;
                done.path = Some(path);
                Ok(done)
            }
            Err(e) => {
                // Bytes the server contradicted are worthless; after network
                // trouble they are a resumable .part for the next run.
                if discards_partial(&e) || sink.len() == 0 {
                    sink.discard().await;
                } else {
                    sink.keep().await;
                }
                Err(e)
            }
        }
    }

    /// Streams into `writer`. The bytes are verified only at the end: on
    /// error the caller must discard what was written.
    pub async fn to_writer<W: AsyncWrite + Unpin>(&self, writer: &mut W) -> Result<Downloaded> {
        let verifier = self.verifier()?;
        let mut sink = WriterSink { writer, len: 0 };
        let done = self.run(&mut sink, verifier, None).await?;
        tokio::io::AsyncWriteExt::flush(sink.writer)
            .await
            .map_err(Error::io)?;
        Ok(done)
    }

    async fn check_free_space(&self, dir: &Path, have: u64) -> Result<()> {
        let (Some(reserve), Some(size)) = (self.free_space_reserve, self.artifact.size) else {
            return Ok(());
        };
        let probe = dir.to_path_buf();
        let available = tokio::task::spawn_blocking(move || fs4::available_space(probe))
            .await
            .ok()
            .and_then(|r| r.ok());
        let Some(available) = available else {
            tracing::debug!("free space unknown; download not checked");
            return Ok(());
        };
        let needed = size.saturating_sub(have).saturating_add(reserve);
        if available < needed {
            return Err(Error::new(ErrorKind::InsufficientSpace)
                .with_source(format!("{needed} bytes needed, {available} available")));
        }
        Ok(())
    }

    fn verifier(&self) -> Result<Verifier> {
        let v = Verifier::new(self.artifact.hashes.as_ref());
        if v.algorithm().is_none() && !self.allow_unverified {
            return Err(Error::new(ErrorKind::NoHash));
        }
        Ok(v)
    }

    fn report(&self, downloaded: u64) {
        if let Some(p) = &self.progress {
            p(DownloadProgress {
                downloaded,
                total: self.artifact.size,
            });
        }
    }

    async fn run<S: Sink>(
        &self,
        sink: &mut S,
        mut verifier: Verifier,
        mut validator: Option<String>,
    ) -> Result<Downloaded> {
        let link = self
            .artifact
            .download_link()
            .ok_or_else(|| Error::new(ErrorKind::MissingLink))?;
        let url = self.controller.resolve(link)?;
        let declared = self.artifact.size;
        let shared = self.controller.shared();
        let mut last_err: Option<Error> = None;
        let mut transient_retries = 0u32;
        for attempt in 1..=self.max_attempts {
            if let Some(e) = &last_err
                && e.is_transient()
            {
                let delay = shared
                    .backoff
                    .delay(
                        transient_retries.min(shared.backoff.max_retries().saturating_sub(1)),
                        rand::random(),
                    )
                    .unwrap_or(Duration::from_millis(200));
                transient_retries += 1;
                tokio::time::sleep(delay).await;
            }
            if declared.is_some_and(|d| sink.len() > d) {
                sink.restart().await?;
                verifier.reset();
            }
            let offset = sink.len();
            let mut req = Req::new(Method::GET, url.clone(), self.controller.auth());
            req.download = true;
            req.headers
                .push((header::ACCEPT_ENCODING, "identity".to_owned()));
            if offset > 0 {
                req.headers
                    .push((header::RANGE, format!("bytes={offset}-")));
                if let Some(v) = &validator {
                    req.headers.push((header::IF_RANGE, v.clone()));
                }
            }
            let resp = match shared.send_once(&req).await {
                Ok(r) => r,
                Err(e) if e.is_transient() => {
                    last_err = Some(e);
                    continue;
                }
                Err(e) => return Err(e),
            };
            let status = resp.status();
            let content_range = resp
                .headers()
                .get(header::CONTENT_RANGE)
                .and_then(|v| v.to_str().ok())
                .and_then(ContentRange::parse);
            match status {
                StatusCode::OK => {
                    if offset > 0 {
                        sink.restart().await?;
                        verifier.reset();
                    }
                }
                StatusCode::PARTIAL_CONTENT => {
                    let expected_total = declared;
                    let ok = content_range.is_some_and(|cr| {
                        cr.range.is_some_and(|(first, _)| first == offset)
                            && (expected_total.is_none()
                                || cr.total.is_none()
                                || cr.total == expected_total)
                    });
                    if !ok || offset == 0 && content_range.is_none() {
                        sink.restart().await?;
                        verifier.reset();
                        validator = None;
                        last_err = Some(Error::new(ErrorKind::BadContentRange));
                        continue;
                    }
                }
                StatusCode::RANGE_NOT_SATISFIABLE => {
                    // Nothing left to send: complete if the local bytes verify.
                    let total = content_range.and_then(|c| c.total).or(declared);
                    if total == Some(offset)
                        && declared.is_none_or(|d| d == offset)
                        && verifier.matches()
                    {
                        return Ok(self.finish(sink.len(), &verifier, attempt));
                    }
                    sink.restart().await?;
                    verifier.reset();
                    validator = None;
                    last_err = Some(Error::status(416, None));
                    continue;
                }
                StatusCode::PRECONDITION_FAILED => {
                    sink.restart().await?;
                    verifier.reset();
                    validator = None;
                    last_err = Some(Error::status(412, None));
                    continue;
                }
                _ => {
                    let e = error_from_response(resp).await;
                    if e.is_transient() {
                        last_err = Some(e);
                        continue;
                    }
                    return Err(e);
                }
            }
            let etag = resp
                .headers()
                .get(header::ETAG)
                .and_then(|v| v.to_str().ok())
                .filter(|t| !t.starts_with("W/"))
                .map(str::to_owned);
            if etag.is_some() || status == StatusCode::OK {
                validator = etag;
                sink.set_validator(validator.as_deref()).await?;
            }
            match self.stream_body(resp, sink, &mut verifier, declared).await {
                Ok(()) => {}
                Err(e) if e.is_transient() => {
                    last_err = Some(e);
                    continue;
                }
                Err(e) => return Err(e),
            }
            if let Some(d) = declared
                && sink.len() < d
            {
                // Truncated body: resume.
                last_err =
                    Some(Error::new(ErrorKind::SizeMismatch).with_class(RetryClass::Transient));
                continue;
            }
            if verifier.matches() {
                return Ok(self.finish(sink.len(), &verifier, attempt));
            }
            sink.restart().await?;
            verifier.reset();
            validator = None;
            last_err = Some(Error::new(ErrorKind::HashMismatch));
        }
        let last = last_err.unwrap_or_else(|| Error::new(ErrorKind::AttemptsExhausted));
        Err(match last.kind() {
            // The bytes are wrong, or the server keeps refusing them: this
            // action cannot succeed, so the caller should end it.
            ErrorKind::HashMismatch => last.with_class(RetryClass::TerminalForAction),
            ErrorKind::Status if !last.is_transient() => {
                last.with_class(RetryClass::TerminalForAction)
            }
            // A 5xx that outlasted the attempts: still transient. The partial
            // file is kept, and a later call (the agent's next poll) resumes.
            ErrorKind::Status => last,
            // Network failures and timeouts likewise: an outage of a few
            // seconds must not fail an update that can resume.
            _ => Error::new(ErrorKind::AttemptsExhausted)
                .with_class(RetryClass::Transient)
                .with_source(last),
        })
    }

    fn finish(&self, bytes: u64, verifier: &Verifier, attempts: u32) -> Downloaded {
        Downloaded {
            path: None,
            bytes,
            verified_with: verifier.algorithm(),
            attempts,
        }
    }

    async fn stream_body<S: Sink>(
        &self,
        resp: reqwest::Response,
        sink: &mut S,
        verifier: &mut Verifier,
        declared: Option<u64>,
    ) -> Result<()> {
        let start = Instant::now();
        let start_len = sink.len();
        let mut window = (Instant::now(), 0u64);
        let mut stream = resp.bytes_stream();
        loop {
            let next = match self.low_speed {
                Some((_, w)) => tokio::time::timeout(w, stream.next())
                    .await
                    .map_err(|_| Error::new(ErrorKind::Timeout))?,
                None => stream.next().await,
            };
            let Some(chunk) = next else { return Ok(()) };
            let chunk = chunk.map_err(Error::from_body)?;
            if declared.is_some_and(|d| sink.len() + chunk.len() as u64 > d) {
                return Err(Error::new(ErrorKind::SizeMismatch));
            }
            verifier.update(&chunk);
            sink.write(&chunk).await?;
            self.report(sink.len());
            if let Some((min_rate, w)) = self.low_speed {
                window.1 += chunk.len() as u64;
                let elapsed = window.0.elapsed();
                if elapsed >= w {
                    if (window.1 as f64) < min_rate as f64 * elapsed.as_secs_f64() {
                        return Err(Error::new(ErrorKind::Timeout));
                    }
                    window = (Instant::now(), 0);
                }
            }
            if let Some(rate) = self.rate_limit {
                let sent = sink.len() - start_len;
                let due = Duration::from_secs_f64(sent as f64 / rate as f64);
                if let Some(wait) = due.checked_sub(start.elapsed()) {
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }
}

/// Whether a failed download's partial bytes must go: they contradict the
/// artifact, or the server refuses it for good (4xx; a 5xx is temporary).
fn discards_partial(e: &Error) -> bool {
    match e.kind() {
        ErrorKind::HashMismatch | ErrorKind::SizeMismatch | ErrorKind::BadContentRange => true,
        ErrorKind::Status => e.status_code().is_some_and(|s| (400..500).contains(&s)),
        _ => false,
    }
}
