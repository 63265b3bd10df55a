//! The embedded journal: one append-only file of CRC-checked frames.
//!
//! Frame: `len: u32 LE | crc32c(payload): u32 LE | payload` where the payload
//! is one JSON-encoded [`JournalRecord`]. Each `append` writes all its frames
//! with one `write` and one `fsync`. On open, the file is read up to the first
//! frame that is short or fails its CRC (a write torn by a crash) and
//! truncated there, so later appends never follow garbage.

use super::JournalStore;
use super::record::JournalRecord;
use super::recovery::without_completed_runs;
use crate::error::{Error, ErrorKind, Result};
use async_trait::async_trait;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

const CRC: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISCSI);
const HEADER: usize = 8;
/// Larger frames are treated as corruption rather than allocated.
const MAX_FRAME: usize = 64 * 1024 * 1024;

fn io_error(context: &'static str, e: std::io::Error) -> Error {
    Error::new(ErrorKind::Journal)
        .with_context(context)
        .with_source(e)
}

/// Encodes one record as a frame.
fn encode(record: &JournalRecord, out: &mut Vec<u8>) -> Result<()> {
    let payload = serde_json::to_vec(record).map_err(|e| {
        Error::new(ErrorKind::Journal)
            .with_context("encode")
            .with_source(e)
    })?;
    let len = u32::try_from(payload.len())
        .ok()
        .filter(|l| (*l as usize) <= MAX_FRAME)
        .ok_or_else(|| Error::new(ErrorKind::Journal).with_context("record too large"))?;
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&CRC.checksum(&payload).to_le_bytes());
    out.extend_from_slice(&payload);
    Ok(())
}

/// Decodes every complete, intact frame; returns them and the byte length
/// they cover. A frame with a valid CRC whose JSON does not decode is an
/// error (the file was written by something else), not a torn tail.
fn scan(bytes: &[u8]) -> Result<(Vec<JournalRecord>, usize)> {
    let mut records = Vec::new();
    let mut pos = 0usize;
    while let Some(header) = bytes.get(pos..pos + HEADER) {
        let (len_bytes, crc_bytes) = header.split_at(4);
        let len = u32::from_le_bytes(len_bytes.try_into().unwrap_or_default()) as usize;
        let crc = u32::from_le_bytes(crc_bytes.try_into().unwrap_or_default());
        if len > MAX_FRAME {
            break;
        }
        let Some(payload) = bytes.get(pos + HEADER..pos + HEADER + len) else {
            break;
        };
        if CRC.checksum(payload) != crc {
            break;
        }
        let record: JournalRecord = serde_json::from_slice(payload).map_err(|e| {
            Error::new(ErrorKind::Decode)
                .with_context(format!("journal record at byte {pos}"))
                .with_source(e)
        })?;
        records.push(record);
        pos += HEADER + len;
    }
    Ok((records, pos))
}

#[derive(Debug)]
struct State {
    file: File,
    len: u64,
    poisoned: bool,
}

/// The default [`JournalStore`]: an append-only file on local disk.
///
/// The file holds the planned operations, including device credentials when
/// the sync copies keys, so it is created with mode 0600 on Unix.
#[derive(Debug, Clone)]
pub struct FileJournal {
    path: PathBuf,
    state: Arc<Mutex<State>>,
    truncated: u64,
}

fn sync_dir(path: &Path) {
    // Making the directory entry durable is best effort: not every platform
    // lets a directory be opened and synced.
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && let Ok(d) = File::open(dir)
    {
        let _ = d.sync_all();
    }
}

fn open_file(path: &Path) -> std::io::Result<File> {
    let mut o = OpenOptions::new();
    o.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
}

impl FileJournal {
    /// Opens (or creates) the journal at `path`, cutting off a torn tail.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        let existed = path.exists();
        let mut file = open_file(&path).map_err(|e| io_error("open", e))?;
        if !existed {
            sync_dir(&path);
        }
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|e| io_error("read", e))?;
        let (_, valid) = scan(&bytes)?;
        let truncated = (bytes.len() - valid) as u64;
        if truncated > 0 {
            tracing::warn!(path = %path.display(), truncated, "journal: cutting off a torn tail");
            file.set_len(valid as u64)
                .map_err(|e| io_error("truncate", e))?;
            file.sync_all().map_err(|e| io_error("fsync", e))?;
        }
        Ok(Self {
            path,
            state: Arc::new(Mutex::new(State {
                file,
                len: valid as u64,
                poisoned: false,
            })),
            truncated,
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many bytes of torn tail [`Self::open`] cut off.
    pub fn truncated_bytes(&self) -> u64 {
        self.truncated
    }

    fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
        state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn append_blocking(state: &Mutex<State>, frames: &[u8]) -> Result<()> {
        let mut s = Self::lock(state);
        if s.poisoned {
            return Err(Error::new(ErrorKind::Journal)
                .with_context("journal poisoned by an earlier failed write"));
        }
        let at = s.len;
        let res = s
            .file
            .seek(SeekFrom::Start(at))
            .and_then(|_| s.file.write_all(frames))
            .and_then(|()| s.file.sync_data());
        match res {
            Ok(()) => {
                s.len = at + frames.len() as u64;
                Ok(())
            }
            Err(e) => {
                // Undo a partial write so the next append does not follow garbage.
                if s.file
                    .set_len(at)
                    .and_then(|()| s.file.sync_data())
                    .is_err()
                {
                    s.poisoned = true;
                }
                Err(io_error("append", e))
            }
        }
    }

    fn load_blocking(state: &Mutex<State>) -> Result<Vec<JournalRecord>> {
        let mut s = Self::lock(state);
        let len = usize::try_from(s.len).unwrap_or(usize::MAX);
        let mut bytes = vec![0u8; len];
        s.file
            .seek(SeekFrom::Start(0))
            .and_then(|_| s.file.read_exact(&mut bytes))
            .map_err(|e| io_error("read", e))?;
        Ok(scan(&bytes)?.0)
    }

    fn compact_blocking(path: &Path, state: &Mutex<State>) -> Result<()> {
        let records = Self::load_blocking(state)?;
        let kept = without_completed_runs(&records);
        let mut frames = Vec::new();
        for r in &kept {
            encode(r, &mut frames)?;
        }
        let tmp = path.with_extension("compact");
        {
            let mut f = open_file(&tmp).map_err(|e| io_error("compact", e))?;
            f.set_len(0)
                .and_then(|()| f.write_all(&frames))
                .and_then(|()| f.sync_all())
                .map_err(|e| io_error("compact", e))?;
        }
        let mut s = Self::lock(state);
        std::fs::rename(&tmp, path).map_err(|e| io_error("compact rename", e))?;
        sync_dir(path);
        s.file = open_file(path).map_err(|e| io_error("reopen", e))?;
        s.len = frames.len() as u64;
        Ok(())
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| {
        Error::new(ErrorKind::Journal)
            .with_context("journal task")
            .with_source(e)
    })?
}

#[async_trait]
impl JournalStore for FileJournal {
    async fn append(&self, records: &[JournalRecord]) -> Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        let mut frames = Vec::new();
        for r in records {
            encode(r, &mut frames)?;
        }
        let state = Arc::clone(&self.state);
        blocking(move || Self::append_blocking(&state, &frames)).await
    }

    async fn load(&self) -> Result<Vec<JournalRecord>> {
        let state = Arc::clone(&self.state);
        blocking(move || Self::load_blocking(&state)).await
    }

    async fn compact(&self) -> Result<()> {
        let state = Arc::clone(&self.state);
        let path = self.path.clone();
        blocking(move || Self::compact_blocking(&path, &state)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::OpOutcome;

    fn rec(run: u64, op: u64) -> JournalRecord {
        JournalRecord::Applied {
            run,
            op,
            outcome: OpOutcome::Applied,
        }
    }

    #[tokio::test]
    async fn survives_reopen_and_cuts_every_torn_tail() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let j = FileJournal::open(&path).unwrap();
        let records: Vec<JournalRecord> = (0..5).map(|i| rec(1, i)).collect();
        j.append(&records).await.unwrap();
        let full = std::fs::read(&path).unwrap();
        drop(j);
        // Cut the file at every byte: the journal keeps exactly the whole frames.
        let mut boundaries = vec![0usize];
        let mut buf = Vec::new();
        for r in &records {
            encode(r, &mut buf).unwrap();
            boundaries.push(buf.len());
        }
        for cut in 0..=full.len() {
            std::fs::write(&path, &full[..cut]).unwrap();
            let j = FileJournal::open(&path).unwrap();
            let whole = boundaries.iter().filter(|b| **b <= cut).count() - 1;
            assert_eq!(j.load().await.unwrap(), records[..whole], "cut at {cut}");
            let last = boundaries.get(whole).copied().unwrap_or(0);
            assert_eq!(j.truncated_bytes(), (cut - last) as u64);
            // Appending after a cut continues cleanly.
            j.append(&[rec(2, 0)]).await.unwrap();
            let again = FileJournal::open(&path).unwrap().load().await.unwrap();
            assert_eq!(again.len(), whole + 1);
        }
    }

    #[tokio::test]
    async fn flipped_bit_ends_the_valid_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let j = FileJournal::open(&path).unwrap();
        j.append(&[rec(1, 0), rec(1, 1)]).await.unwrap();
        drop(j);
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 2;
        bytes[last] ^= 0x40;
        std::fs::write(&path, &bytes).unwrap();
        let j = FileJournal::open(&path).unwrap();
        assert_eq!(j.load().await.unwrap(), [rec(1, 0)]);
    }

    #[tokio::test]
    async fn compact_drops_completed_runs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let j = FileJournal::open(&path).unwrap();
        j.append(&[rec(1, 0), JournalRecord::RunCompleted { run: 1 }, rec(2, 0)])
            .await
            .unwrap();
        j.compact().await.unwrap();
        assert_eq!(j.load().await.unwrap(), [rec(2, 0)]);
        j.append(&[rec(2, 1)]).await.unwrap();
        assert_eq!(
            FileJournal::open(&path).unwrap().load().await.unwrap(),
            [rec(2, 0), rec(2, 1)]
        );
    }

    fn any_record() -> impl proptest::strategy::Strategy<Value = JournalRecord> {
        use crate::model::{DeviceId, DeviceRecord};
        use crate::plan::{Operation, Precondition};
        use proptest::prelude::*;
        let id = "[a-z0-9]{1,8}";
        prop_oneof![
            (any::<u64>(), any::<u64>())
                .prop_map(|(run, operations)| JournalRecord::RunStarted { run, operations }),
            (any::<u64>(), any::<u64>(), id, ".{0,8}").prop_map(|(run, op, id, v)| {
                JournalRecord::Planned {
                    run,
                    op,
                    operation: Operation::Create {
                        device: DeviceRecord::new(id).with_tag("k", &v),
                    },
                }
            }),
            (any::<u64>(), any::<u64>(), id).prop_map(|(run, op, id)| JournalRecord::Planned {
                run,
                op,
                operation: Operation::Disable {
                    id: DeviceId::new(id),
                    reason: "r".into(),
                    precondition: Precondition::IfMatch(crate::model::Etag::new("e")),
                },
            }),
            (any::<u64>(), any::<u64>(), any::<bool>()).prop_map(|(run, op, again)| {
                JournalRecord::Applied {
                    run,
                    op,
                    outcome: if again {
                        OpOutcome::AlreadyApplied
                    } else {
                        OpOutcome::Applied
                    },
                }
            }),
            (any::<u64>(), any::<u64>(), any::<u32>()).prop_map(|(run, op, attempts)| {
                JournalRecord::Failed {
                    run,
                    op,
                    error: "Timeout".into(),
                    attempts,
                }
            }),
            any::<u64>().prop_map(|run| JournalRecord::RunCompleted { run }),
        ]
    }

    proptest::proptest! {
        #[test]
        fn frames_round_trip(records in proptest::collection::vec(any_record(), 0..12)) {
            let mut bytes = Vec::new();
            for r in &records {
                encode(r, &mut bytes).unwrap();
            }
            let (back, len) = scan(&bytes).unwrap();
            proptest::prop_assert_eq!(back, records);
            proptest::prop_assert_eq!(len, bytes.len());
        }
    }

    #[test]
    fn garbage_with_valid_crc_is_a_decode_error() {
        let payload = b"{\"t\":\"nope\"}";
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        bytes.extend_from_slice(&CRC.checksum(payload).to_le_bytes());
        bytes.extend_from_slice(payload);
        assert!(scan(&bytes).unwrap_err().is_decode());
    }
}
