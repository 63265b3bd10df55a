//! What the server can deliver: artifacts, software modules and distribution sets.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use bytes::Bytes;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// Length of the repeating block behind [`ArtifactData::Generated`]; a prime,
/// so the pattern never lines up with power-of-two chunk or range sizes.
const PATTERN_BLOCK: usize = 65_521;

/// Chunks up to this size are served from a generated artifact without copying.
pub(crate) const PATTERN_WINDOW: usize = 64 * 1024;

/// The bytes of an artifact.
#[derive(Clone)]
pub enum ArtifactData {
    /// Bytes held in memory.
    Bytes(Bytes),
    /// `len` bytes of a deterministic pattern derived from `seed`, produced on
    /// the fly, so multi-GiB artifacts cost no memory (for benchmarks).
    Generated {
        /// Size in bytes.
        len: u64,
        /// Chooses the pattern; equal seeds give equal content.
        seed: u64,
    },
}

impl fmt::Debug for ArtifactData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
            Self::Generated { len, seed } => write!(f, "Generated {{ len: {len}, seed: {seed} }}"),
        }
    }
}

impl ArtifactData {
    /// Size in bytes.
    pub fn len(&self) -> u64 {
        match self {
            Self::Bytes(b) => b.len() as u64,
            Self::Generated { len, .. } => *len,
        }
    }

    /// Whether the artifact is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Copies `[start, start + len)` out of the artifact (callers keep `len`
    /// small: the server streams in chunks).
    pub(crate) fn chunk(&self, block: &PatternBlock, start: u64, len: usize) -> Bytes {
        match self {
            Self::Bytes(b) => {
                let from = usize::try_from(start).unwrap_or(usize::MAX).min(b.len());
                let to = from.saturating_add(len).min(b.len());
                b.slice(from..to)
            }
            Self::Generated { len: total, .. } => {
                let len =
                    len.min(usize::try_from(total.saturating_sub(start)).unwrap_or(usize::MAX));
                let offset = (start % PATTERN_BLOCK as u64) as usize;
                if len <= PATTERN_WINDOW {
                    // the common streaming case: a zero-copy view
                    return block.wide.slice(offset..offset + len);
                }
                let mut out = Vec::with_capacity(len);
                let mut pos = offset;
                while out.len() < len {
                    let take = (len - out.len()).min(PATTERN_BLOCK - pos);
                    out.extend_from_slice(block.wide.get(pos..pos + take).unwrap_or_default());
                    pos = 0;
                }
                Bytes::from(out)
            }
        }
    }

    /// The whole content as one buffer (tests and small artifacts only).
    pub fn to_bytes(&self) -> Bytes {
        match self {
            Self::Bytes(b) => b.clone(),
            Self::Generated { len, seed } => {
                let block = PatternBlock::new(*seed);
                self.chunk(&block, 0, usize::try_from(*len).unwrap_or(usize::MAX))
            }
        }
    }
}

/// The repeating block of a generated artifact, followed by its first
/// [`PATTERN_WINDOW`] bytes again, so any window up to that size starting
/// anywhere in the block is one contiguous slice.
#[derive(Clone)]
pub(crate) struct PatternBlock {
    wide: Bytes,
}

impl PatternBlock {
    pub(crate) fn new(seed: u64) -> Self {
        // xorshift64*: cheap, deterministic, and not compressible into a run of zeros
        let mut state = seed ^ 0x9E37_79B9_7F4A_7C15;
        if state == 0 {
            state = 1;
        }
        let mut bytes = Vec::with_capacity(PATTERN_BLOCK);
        while bytes.len() < PATTERN_BLOCK {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            let word = state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes();
            let take = word.len().min(PATTERN_BLOCK - bytes.len());
            bytes.extend_from_slice(word.get(..take).unwrap_or_default());
        }
        let wide: Vec<u8> = (0..PATTERN_BLOCK + PATTERN_WINDOW)
            .map(|i| bytes.get(i % PATTERN_BLOCK).copied().unwrap_or(0))
            .collect();
        Self { wide: wide.into() }
    }
}

impl fmt::Debug for PatternBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PatternBlock")
    }
}

/// The hex digests the server announces for an artifact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactHashes {
    /// SHA-1, lowercase hex (also the download `ETag`).
    pub sha1: String,
    /// MD5, lowercase hex (also the `.MD5SUM` body).
    pub md5: String,
    /// SHA-256, lowercase hex.
    pub sha256: String,
}

impl ArtifactHashes {
    /// Hashes `data` (streams generated content, so it is cheap in memory;
    /// large content is hashed by three threads at once).
    pub fn of(data: &ArtifactData) -> Self {
        match data {
            ArtifactData::Bytes(b) => Self {
                sha1: hex::encode(Sha1::digest(b)),
                md5: hex::encode(Md5::digest(b)),
                sha256: hex::encode(Sha256::digest(b)),
            },
            ArtifactData::Generated { len, seed } => {
                // benches create the same large artifact again and again:
                // hash each (len, seed) once per process
                static CACHE: Mutex<BTreeMap<(u64, u64), ArtifactHashes>> =
                    Mutex::new(BTreeMap::new());
                let key = (*len, *seed);
                let cached = CACHE.lock().ok().and_then(|c| c.get(&key).cloned());
                if let Some(hit) = cached {
                    return hit;
                }
                let hashes = Self::compute_generated(data);
                if let Ok(mut cache) = CACHE.lock() {
                    cache.insert(key, hashes.clone());
                }
                hashes
            }
        }
    }

    fn compute_generated(data: &ArtifactData) -> Self {
        match data {
            ArtifactData::Bytes(_) => Self::of(data),
            ArtifactData::Generated { .. } => std::thread::scope(|scope| {
                let sha1 = scope.spawn(|| digest_generated::<Sha1>(data));
                let md5 = scope.spawn(|| digest_generated::<Md5>(data));
                let sha256 = digest_generated::<Sha256>(data);
                Self {
                    sha1: sha1.join().unwrap_or_default(),
                    md5: md5.join().unwrap_or_default(),
                    sha256,
                }
            }),
        }
    }
}

/// One digest over generated content, 1 MiB at a time.
fn digest_generated<D: Digest>(data: &ArtifactData) -> String {
    let block = match data {
        ArtifactData::Generated { seed, .. } => PatternBlock::new(*seed),
        ArtifactData::Bytes(_) => PatternBlock::new(0),
    };
    let len = data.len();
    let mut hasher = D::new();
    let mut pos = 0_u64;
    while pos < len {
        let take = (len - pos).min(1 << 20) as usize;
        hasher.update(data.chunk(&block, pos, take));
        pos += take as u64;
    }
    hex::encode(hasher.finalize())
}

/// One file of a software module, as stored by the server.
#[derive(Debug, Clone)]
pub struct Artifact {
    /// File name, as it appears in the URL and in `filename`.
    pub filename: String,
    /// Content.
    pub data: ArtifactData,
    /// Digests of the content.
    pub hashes: ArtifactHashes,
    /// Digests announced in the deployment (normally equal to `hashes`; set
    /// them apart with [`ArtifactSpec::announce_hashes`] to test verification).
    pub announced: ArtifactHashes,
    /// Whether `sha256` is announced (servers before 0.3.0M5 omit it).
    pub announce_sha256: bool,
    /// Creation time: the download's `Last-Modified`.
    pub created: SystemTime,
    pub(crate) block: Option<PatternBlock>,
}

impl Artifact {
    /// Size in bytes.
    pub fn size(&self) -> u64 {
        self.data.len()
    }

    pub(crate) fn chunk(&self, start: u64, len: usize) -> Bytes {
        match &self.block {
            Some(block) => self.data.chunk(block, start, len),
            None => self.data.chunk(&PatternBlock::new(0), start, len),
        }
    }
}

/// How to create an artifact; see [`ArtifactSpec::new`].
#[derive(Debug, Clone)]
pub struct ArtifactSpec {
    filename: String,
    data: ArtifactData,
    announced: Option<ArtifactHashes>,
    announce_sha256: bool,
}

impl ArtifactSpec {
    /// An artifact holding `bytes`.
    pub fn new(filename: impl Into<String>, bytes: impl Into<Bytes>) -> Self {
        Self {
            filename: filename.into(),
            data: ArtifactData::Bytes(bytes.into()),
            announced: None,
            announce_sha256: true,
        }
    }

    /// A generated artifact of `len` bytes (see [`ArtifactData::Generated`]).
    /// Its hashes are computed once per `(len, seed)` and process (about 3 s
    /// per GiB on two cores in a release build), then reused.
    pub fn generated(filename: impl Into<String>, len: u64, seed: u64) -> Self {
        Self {
            filename: filename.into(),
            data: ArtifactData::Generated { len, seed },
            announced: None,
            announce_sha256: true,
        }
    }

    /// Announces these digests in deployments instead of the real ones (a
    /// server that lies about the hash).
    pub fn announce_hashes(mut self, hashes: ArtifactHashes) -> Self {
        self.announced = Some(hashes);
        self
    }

    /// Leaves `sha256` out of the announced hashes, as servers before 0.3.0M5 do.
    pub fn without_sha256(mut self) -> Self {
        self.announce_sha256 = false;
        self
    }

    pub(crate) fn build(self) -> Artifact {
        let hashes = ArtifactHashes::of(&self.data);
        let block = match &self.data {
            ArtifactData::Generated { seed, .. } => Some(PatternBlock::new(*seed)),
            ArtifactData::Bytes(_) => None,
        };
        Artifact {
            filename: self.filename,
            announced: self.announced.unwrap_or_else(|| hashes.clone()),
            hashes,
            data: self.data,
            announce_sha256: self.announce_sha256,
            created: SystemTime::now(),
            block,
        }
    }
}

/// Identifies a software module (`softwaremodules/{id}` in URLs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModuleId(pub u64);

impl fmt::Display for ModuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Identifies a distribution set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DistributionId(pub u64);

/// How to create a software module: a DDI chunk.
#[derive(Debug, Clone)]
pub struct ModuleSpec {
    /// Module type key, the chunk's `part` (`os`, `application`, `runtime`;
    /// the last two are announced as `bApp` and `jvm`, as hawkBit does).
    pub part: String,
    /// Module name.
    pub name: String,
    /// Module version.
    pub version: String,
    /// Whether the module is encrypted (`encrypted: true` in the chunk).
    pub encrypted: bool,
    /// Target-visible metadata (`metadata` in the chunk).
    pub metadata: Vec<(String, String)>,
    /// The files.
    pub artifacts: Vec<ArtifactSpec>,
}

impl ModuleSpec {
    /// A module of type `os` without artifacts.
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        Self {
            part: "os".to_owned(),
            name: name.into(),
            version: version.into(),
            encrypted: false,
            metadata: Vec::new(),
            artifacts: Vec::new(),
        }
    }

    /// Sets the module type key.
    pub fn part(mut self, part: impl Into<String>) -> Self {
        self.part = part.into();
        self
    }

    /// Adds an artifact.
    pub fn artifact(mut self, artifact: ArtifactSpec) -> Self {
        self.artifacts.push(artifact);
        self
    }

    /// Adds a target-visible metadata entry.
    pub fn metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata.push((key.into(), value.into()));
        self
    }

    /// Marks the module as encrypted.
    pub fn encrypted(mut self) -> Self {
        self.encrypted = true;
        self
    }
}

/// A stored software module.
#[derive(Debug, Clone)]
pub struct SoftwareModule {
    /// Its id.
    pub id: ModuleId,
    /// The chunk's `part`, already remapped (`application` -> `bApp`, `runtime` -> `jvm`).
    pub part: String,
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Encrypted flag.
    pub encrypted: bool,
    /// Target-visible metadata.
    pub metadata: Vec<(String, String)>,
    /// Files.
    pub artifacts: Vec<Arc<Artifact>>,
}

impl SoftwareModule {
    pub(crate) fn build(id: ModuleId, spec: ModuleSpec) -> Self {
        let part = match spec.part.as_str() {
            "application" => "bApp".to_owned(),
            "runtime" => "jvm".to_owned(),
            _ => spec.part,
        };
        Self {
            id,
            part,
            name: spec.name,
            version: spec.version,
            encrypted: spec.encrypted,
            metadata: spec.metadata,
            artifacts: spec
                .artifacts
                .into_iter()
                .map(|a| Arc::new(a.build()))
                .collect(),
        }
    }

    pub(crate) fn artifact(&self, filename: &str) -> Option<&Arc<Artifact>> {
        self.artifacts.iter().find(|a| a.filename == filename)
    }
}

/// A stored distribution set: what an action installs.
#[derive(Debug, Clone)]
pub struct Distribution {
    /// Its id.
    pub id: DistributionId,
    /// Name (matched by `PUT installedBase`).
    pub name: String,
    /// Version (matched by `PUT installedBase`).
    pub version: String,
    /// Its modules, in chunk order.
    pub modules: Vec<ModuleId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_chunks_agree_with_the_whole() {
        let data = ArtifactData::Generated {
            len: 200_000,
            seed: 7,
        };
        let whole = data.to_bytes();
        assert_eq!(whole.len(), 200_000);
        let block = PatternBlock::new(7);
        let part = data.chunk(&block, 65_000, 10_000);
        assert_eq!(&part[..], &whole[65_000..75_000]);
        let hashes = ArtifactHashes::of(&data);
        assert_eq!(hashes.sha256, hex::encode(Sha256::digest(&whole)));
        assert_eq!(hashes.sha1, hex::encode(Sha1::digest(&whole)));
        assert_eq!(hashes.md5, hex::encode(Md5::digest(&whole)));
        assert_eq!(hashes, ArtifactHashes::of(&ArtifactData::Bytes(whole)));
    }

    proptest::proptest! {
        #[test]
        fn any_generated_window_matches_the_whole(start in 0_u64..300_000, len in 0_usize..140_000) {
            let data = ArtifactData::Generated { len: 300_000, seed: 3 };
            let whole = data.to_bytes();
            let block = PatternBlock::new(3);
            let part = data.chunk(&block, start, len);
            let from = start as usize;
            let to = (from + len).min(whole.len());
            proptest::prop_assert_eq!(&part[..], &whole[from..to]);
        }
    }

    #[test]
    fn legacy_part_names_are_remapped() {
        let module =
            SoftwareModule::build(ModuleId(1), ModuleSpec::new("a", "1").part("application"));
        assert_eq!(module.part, "bApp");
    }
}
