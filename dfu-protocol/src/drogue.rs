//! Packed-CBOR codec byte-compatible with Drogue IoT's `embedded-update`
//! protocol (feature `drogue`).
//!
//! `embedded-update` derives serde for its types; its peers (drogue-ajour,
//! drogue-device's HTTP service) serialise them with serde_cbor's *packed*
//! format: structs become maps keyed by field index in declaration order,
//! enum variants become one-entry maps keyed by variant index (Wait 0,
//! Sync 1, Write 2, Swap 3), `None` is CBOR null and byte fields are byte
//! strings. [`encode_status`] and [`encode_command`] emit exactly that;
//! the decoders also accept keys in any order, field and variant *names*
//! (serde_cbor's non-packed format) and skip unknown keys.

use minicbor::data::Type;
use minicbor::encode::write::Cursor;
use minicbor::{Decoder, Encoder};

/// Errors of the Drogue codec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum DrogueError {
    /// The output buffer is too small.
    #[error("output buffer too small")]
    BufferTooSmall,
    /// The input is not CBOR of the expected shape.
    #[error("malformed embedded-update message")]
    Malformed,
    /// A required field is missing.
    #[error("required field missing")]
    MissingField,
    /// The command variant is not Wait, Sync, Write or Swap.
    #[error("unknown command variant")]
    UnknownVariant,
}

/// `embedded_update::protocol::Status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DrogueStatus<'a> {
    /// Running firmware version.
    pub version: &'a [u8],
    /// Largest block the device accepts.
    pub mtu: Option<u32>,
    /// Gateway correlation id.
    pub correlation_id: Option<u32>,
    /// The firmware being written.
    pub update: Option<DrogueUpdateStatus<'a>>,
}

/// `embedded_update::protocol::UpdateStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DrogueUpdateStatus<'a> {
    /// Version being written.
    pub version: &'a [u8],
    /// Next expected offset.
    pub offset: u32,
}

/// `embedded_update::protocol::Command`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DrogueCommand<'a> {
    /// Variant 0.
    Wait {
        /// Gateway correlation id.
        correlation_id: Option<u32>,
        /// Seconds to wait.
        poll: Option<u32>,
    },
    /// Variant 1.
    Sync {
        /// The version the device should be running.
        version: &'a [u8],
        /// Gateway correlation id.
        correlation_id: Option<u32>,
        /// Seconds to wait.
        poll: Option<u32>,
    },
    /// Variant 2.
    Write {
        /// Version the block belongs to.
        version: &'a [u8],
        /// Gateway correlation id.
        correlation_id: Option<u32>,
        /// Where the block goes.
        offset: u32,
        /// The block.
        data: &'a [u8],
    },
    /// Variant 3.
    Swap {
        /// Version to swap to.
        version: &'a [u8],
        /// Gateway correlation id.
        correlation_id: Option<u32>,
        /// Checksum of the whole image (SHA-256 with drogue-ajour).
        checksum: &'a [u8],
    },
}

type Enc<'o> = Encoder<Cursor<&'o mut [u8]>>;

fn opt(e: &mut Enc<'_>, v: Option<u32>) -> Result<(), DrogueError> {
    match v {
        Some(v) => e.u32(v).map(|_| ()),
        None => e.null().map(|_| ()),
    }
    .map_err(|_| DrogueError::BufferTooSmall)
}

fn run<'o>(
    out: &'o mut [u8],
    f: impl FnOnce(&mut Enc<'o>) -> Result<(), DrogueError>,
) -> Result<usize, DrogueError> {
    let mut e = Encoder::new(Cursor::new(out));
    f(&mut e)?;
    Ok(e.into_writer().position())
}

/// Encodes a status as packed CBOR into `out`; returns the length.
pub fn encode_status(s: &DrogueStatus<'_>, out: &mut [u8]) -> Result<usize, DrogueError> {
    const E: DrogueError = DrogueError::BufferTooSmall;
    run(out, |e| {
        e.map(4)
            .map_err(|_| E)?
            .u32(0)
            .map_err(|_| E)?
            .bytes(s.version)
            .map_err(|_| E)?
            .u32(1)
            .map_err(|_| E)?;
        opt(e, s.mtu)?;
        e.u32(2).map_err(|_| E)?;
        opt(e, s.correlation_id)?;
        e.u32(3).map_err(|_| E)?;
        match &s.update {
            Some(u) => {
                e.map(2)
                    .map_err(|_| E)?
                    .u32(0)
                    .map_err(|_| E)?
                    .bytes(u.version)
                    .map_err(|_| E)?;
                e.u32(1).map_err(|_| E)?.u32(u.offset).map_err(|_| E)?;
            }
            None => {
                e.null().map_err(|_| E)?;
            }
        }
        Ok(())
    })
}

/// Encodes a command as packed CBOR into `out`; returns the length.
pub fn encode_command(c: &DrogueCommand<'_>, out: &mut [u8]) -> Result<usize, DrogueError> {
    const E: DrogueError = DrogueError::BufferTooSmall;
    run(out, |e| {
        e.map(1).map_err(|_| E)?;
        match c {
            DrogueCommand::Wait {
                correlation_id,
                poll,
            } => {
                e.u32(0)
                    .map_err(|_| E)?
                    .map(2)
                    .map_err(|_| E)?
                    .u32(0)
                    .map_err(|_| E)?;
                opt(e, *correlation_id)?;
                e.u32(1).map_err(|_| E)?;
                opt(e, *poll)?;
            }
            DrogueCommand::Sync {
                version,
                correlation_id,
                poll,
            } => {
                e.u32(1)
                    .map_err(|_| E)?
                    .map(3)
                    .map_err(|_| E)?
                    .u32(0)
                    .map_err(|_| E)?
                    .bytes(version)
                    .map_err(|_| E)?;
                e.u32(1).map_err(|_| E)?;
                opt(e, *correlation_id)?;
                e.u32(2).map_err(|_| E)?;
                opt(e, *poll)?;
            }
            DrogueCommand::Write {
                version,
                correlation_id,
                offset,
                data,
            } => {
                e.u32(2)
                    .map_err(|_| E)?
                    .map(4)
                    .map_err(|_| E)?
                    .u32(0)
                    .map_err(|_| E)?
                    .bytes(version)
                    .map_err(|_| E)?;
                e.u32(1).map_err(|_| E)?;
                opt(e, *correlation_id)?;
                e.u32(2).map_err(|_| E)?.u32(*offset).map_err(|_| E)?;
                e.u32(3).map_err(|_| E)?.bytes(data).map_err(|_| E)?;
            }
            DrogueCommand::Swap {
                version,
                correlation_id,
                checksum,
            } => {
                e.u32(3)
                    .map_err(|_| E)?
                    .map(3)
                    .map_err(|_| E)?
                    .u32(0)
                    .map_err(|_| E)?
                    .bytes(version)
                    .map_err(|_| E)?;
                e.u32(1).map_err(|_| E)?;
                opt(e, *correlation_id)?;
                e.u32(2).map_err(|_| E)?.bytes(checksum).map_err(|_| E)?;
            }
        }
        Ok(())
    })
}

const M: DrogueError = DrogueError::Malformed;

/// A map key: its index, or the index of its name in `names`; `None` for unknown keys.
fn key(d: &mut Decoder<'_>, names: &[&str]) -> Result<Option<usize>, DrogueError> {
    match d.datatype().map_err(|_| M)? {
        Type::String => {
            let s = d.str().map_err(|_| M)?;
            Ok(names.iter().position(|n| *n == s))
        }
        _ => Ok(usize::try_from(d.u32().map_err(|_| M)?).ok()),
    }
}

fn opt_u32(d: &mut Decoder<'_>) -> Result<Option<u32>, DrogueError> {
    if d.datatype().map_err(|_| M)? == Type::Null {
        d.null().map_err(|_| M)?;
        Ok(None)
    } else {
        d.u32().map(Some).map_err(|_| M)
    }
}

fn map_len(d: &mut Decoder<'_>) -> Result<u64, DrogueError> {
    // Indefinite maps are not produced by serde_cbor; refusing them keeps skipping simple.
    d.map().map_err(|_| M)?.ok_or(M)
}

/// Decodes a status (packed or named keys, any order, unknown keys skipped).
pub fn decode_status(bytes: &[u8]) -> Result<DrogueStatus<'_>, DrogueError> {
    let mut d = Decoder::new(bytes);
    let mut s = DrogueStatus::default();
    let mut has_version = false;
    for _ in 0..map_len(&mut d)? {
        match key(&mut d, &["version", "mtu", "correlation_id", "update"])? {
            Some(0) => {
                s.version = d.bytes().map_err(|_| M)?;
                has_version = true;
            }
            Some(1) => s.mtu = opt_u32(&mut d)?,
            Some(2) => s.correlation_id = opt_u32(&mut d)?,
            Some(3) => {
                if d.datatype().map_err(|_| M)? == Type::Null {
                    d.null().map_err(|_| M)?;
                } else {
                    let (mut version, mut offset) = (None, None);
                    for _ in 0..map_len(&mut d)? {
                        match key(&mut d, &["version", "offset"])? {
                            Some(0) => version = Some(d.bytes().map_err(|_| M)?),
                            Some(1) => offset = Some(d.u32().map_err(|_| M)?),
                            _ => d.skip().map_err(|_| M)?,
                        }
                    }
                    s.update = Some(DrogueUpdateStatus {
                        version: version.ok_or(DrogueError::MissingField)?,
                        offset: offset.ok_or(DrogueError::MissingField)?,
                    });
                }
            }
            _ => d.skip().map_err(|_| M)?,
        }
    }
    if !has_version {
        return Err(DrogueError::MissingField);
    }
    Ok(s)
}

/// Decodes a command (packed or named keys, any order, unknown keys skipped).
pub fn decode_command(bytes: &[u8]) -> Result<DrogueCommand<'_>, DrogueError> {
    let mut d = Decoder::new(bytes);
    if map_len(&mut d)? != 1 {
        return Err(M);
    }
    let variant =
        key(&mut d, &["Wait", "Sync", "Write", "Swap"])?.ok_or(DrogueError::UnknownVariant)?;
    let names: &[&str] = match variant {
        0 => &["correlation_id", "poll"],
        1 => &["version", "correlation_id", "poll"],
        2 => &["version", "correlation_id", "offset", "data"],
        3 => &["version", "correlation_id", "checksum"],
        _ => return Err(DrogueError::UnknownVariant),
    };
    // Field slots by name: version, correlation_id, poll, offset, data/checksum.
    let (mut version, mut cid, mut poll, mut offset, mut blob) = (None, None, None, None, None);
    for _ in 0..map_len(&mut d)? {
        let Some(k) = key(&mut d, names)? else {
            d.skip().map_err(|_| M)?;
            continue;
        };
        match names.get(k).copied() {
            Some("version") => version = Some(d.bytes().map_err(|_| M)?),
            Some("correlation_id") => cid = opt_u32(&mut d)?,
            Some("poll") => poll = opt_u32(&mut d)?,
            Some("offset") => offset = Some(d.u32().map_err(|_| M)?),
            Some("data" | "checksum") => blob = Some(d.bytes().map_err(|_| M)?),
            _ => d.skip().map_err(|_| M)?,
        }
    }
    Ok(match variant {
        0 => DrogueCommand::Wait {
            correlation_id: cid,
            poll,
        },
        1 => DrogueCommand::Sync {
            version: version.ok_or(DrogueError::MissingField)?,
            correlation_id: cid,
            poll,
        },
        2 => DrogueCommand::Write {
            version: version.ok_or(DrogueError::MissingField)?,
            correlation_id: cid,
            offset: offset.ok_or(DrogueError::MissingField)?,
            data: blob.ok_or(DrogueError::MissingField)?,
        },
        _ => DrogueCommand::Swap {
            version: version.ok_or(DrogueError::MissingField)?,
            correlation_id: cid,
            checksum: blob.ok_or(DrogueError::MissingField)?,
        },
    })
}
