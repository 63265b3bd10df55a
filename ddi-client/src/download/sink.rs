//! Where downloaded bytes go: a file with a resumable temporary name, or any
//! async writer.

use std::path::{Path, PathBuf};

use tokio::fs::{self, File, OpenOptions};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWrite, AsyncWriteExt, BufWriter};

use super::file_name::{ETAG_SUFFIX, PART_SUFFIX};
use super::verify::Verifier;
use crate::error::{Error, ErrorKind, Result};

/// What the download loop needs from a destination.
pub(crate) trait Sink {
    /// Bytes written so far (the resume offset).
    fn len(&self) -> u64;
    /// Appends bytes.
    async fn write(&mut self, data: &[u8]) -> Result<()>;
    /// Throws away everything written; fails where that is impossible.
    async fn restart(&mut self) -> Result<()>;
    /// Remembers the server's validator for the bytes written so far.
    async fn set_validator(&mut self, etag: Option<&str>) -> Result<()>;
}

/// A file written as `.<name>.part` next to its final name, with the
/// server's ETag in `.<name>.part.etag` so that a later run can resume with
/// `If-Range`. Only a verified file is renamed to its final name.
#[derive(Debug)]
pub(crate) struct FileSink {
    part: PathBuf,
    meta: PathBuf,
    // Buffered: network chunks are small, and each unbuffered write is a
    // blocking-pool round trip.
    file: BufWriter<File>,
    len: u64,
}

impl FileSink {
    /// Opens (or resumes) the temporary file for `dir/name`. When resuming,
    /// the existing bytes are fed to `verifier` and the stored validator is
    /// returned; a partial file without a validator is discarded unless
    /// `fallback_validator` is given.
    pub(crate) async fn open(
        dir: &Path,
        name: &str,
        verifier: &mut Verifier,
        fallback_validator: Option<String>,
    ) -> Result<(Self, Option<String>)> {
        let part = dir.join(format!(".{name}{PART_SUFFIX}"));
        let meta = dir.join(format!(".{name}{ETAG_SUFFIX}"));
        let stored = fs::read_to_string(&meta)
            .await
            .ok()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty());
        let validator = stored.or(fallback_validator);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&part)
            .await
            .map_err(Error::io)?;
        let mut len = 0u64;
        if validator.is_some() {
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = file.read(&mut buf).await.map_err(Error::io)?;
                let Some(chunk) = buf.get(..n).filter(|c| !c.is_empty()) else {
                    break;
                };
                verifier.update(chunk);
                len += n as u64;
            }
        } else {
            file.set_len(0).await.map_err(Error::io)?;
        }
        // Reading moved the cursor to the end already; make it explicit.
        file.seek(std::io::SeekFrom::Start(len))
            .await
            .map_err(Error::io)?;
        let file = BufWriter::with_capacity(256 * 1024, file);
        Ok((
            Self {
                part,
                meta,
                file,
                len,
            },
            validator,
        ))
    }

    /// Syncs and renames the verified file to `final_path`.
    pub(crate) async fn commit(mut self, final_path: &Path) -> Result<()> {
        self.file.flush().await.map_err(Error::io)?;
        self.file.get_ref().sync_all().await.map_err(Error::io)?;
        drop(self.file);
        fs::rename(&self.part, final_path)
            .await
            .map_err(Error::io)?;
        let _ = fs::remove_file(&self.meta).await;
        Ok(())
    }

    /// Flushes the temporary file for a later resume.
    pub(crate) async fn keep(mut self) {
        if let Err(e) = self.file.flush().await {
            tracing::warn!(error = %e, "cannot flush partial download");
        }
    }

    /// Deletes the temporary files (after a failure that makes them useless).
    pub(crate) async fn discard(mut self) {
        let _ = self.file.flush().await;
        drop(self.file);
        let _ = fs::remove_file(&self.part).await;
        let _ = fs::remove_file(&self.meta).await;
    }
}

impl Sink for FileSink {
    fn len(&self) -> u64 {
        self.len
    }

    async fn write(&mut self, data: &[u8]) -> Result<()> {
        self.file.write_all(data).await.map_err(Error::io)?;
        self.len += data.len() as u64;
        Ok(())
    }

    async fn restart(&mut self) -> Result<()> {
        self.file.flush().await.map_err(Error::io)?;
        self.file.get_ref().set_len(0).await.map_err(Error::io)?;
        self.file.get_mut().rewind().await.map_err(Error::io)?;
        self.len = 0;
        let _ = fs::remove_file(&self.meta).await;
        Ok(())
    }

    async fn set_validator(&mut self, etag: Option<&str>) -> Result<()> {
        match etag {
            Some(tag) => fs::write(&self.meta, tag).await.map_err(Error::io),
            None => {
                let _ = fs::remove_file(&self.meta).await;
                Ok(())
            }
        }
    }
}

/// Any async writer. Resuming within one call works; restarting from zero
/// after bytes were written does not (they cannot be taken back).
#[derive(Debug)]
pub(crate) struct WriterSink<'a, W> {
    pub(crate) writer: &'a mut W,
    pub(crate) len: u64,
}

impl<W: AsyncWrite + Unpin> Sink for WriterSink<'_, W> {
    fn len(&self) -> u64 {
        self.len
    }

    async fn write(&mut self, data: &[u8]) -> Result<()> {
        self.writer.write_all(data).await.map_err(Error::io)?;
        self.len += data.len() as u64;
        Ok(())
    }

    async fn restart(&mut self) -> Result<()> {
        if self.len == 0 {
            Ok(())
        } else {
            Err(Error::new(ErrorKind::BadContentRange).with_source(
                "server restarted the transfer but bytes were already written to the writer",
            ))
        }
    }

    async fn set_validator(&mut self, _: Option<&str>) -> Result<()> {
        Ok(())
    }
}
