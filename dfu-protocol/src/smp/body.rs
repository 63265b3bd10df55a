//! CBOR bodies of the image-management messages.

use minicbor::encode::write::Cursor;
use minicbor::{Decoder, Encoder};

use super::header::{HEADER_LEN, Header, Op};
use super::{CMD_STATE, CMD_UPLOAD, GROUP_IMAGE, SmpError};

/// Image upload request (`group 1, cmd 1, write`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UploadRequest<'a> {
    /// Image number (multi-image devices).
    pub image: Option<u32>,
    /// Total image length; required in the first chunk.
    pub len: Option<u32>,
    /// Offset of this chunk.
    pub off: u32,
    /// SHA-256 of the whole image; first chunk only.
    pub sha: Option<&'a [u8]>,
    /// The chunk.
    pub data: &'a [u8],
    /// Reject images not newer than the running one.
    pub upgrade: Option<bool>,
}

/// Image upload response: the next offset the device expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UploadResponse {
    /// Next expected offset.
    pub off: u32,
    /// Whether the uploaded image matched its `sha` (final response only).
    pub matched: Option<bool>,
}

/// Image state write: mark for test (`confirm = false`) or confirm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateWrite<'a> {
    /// The image (required to mark for test; absent to confirm the running one).
    pub hash: Option<&'a [u8]>,
    /// Confirm permanently.
    pub confirm: bool,
}

/// One entry of an image state response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImageState<'a> {
    /// Image number.
    pub image: Option<u32>,
    /// Slot.
    pub slot: u32,
    /// Version string.
    pub version: &'a str,
    /// Image hash.
    pub hash: Option<&'a [u8]>,
    /// Flags, present only when the device sent them.
    pub bootable: Option<bool>,
    /// Pending swap.
    pub pending: Option<bool>,
    /// Confirmed.
    pub confirmed: Option<bool>,
    /// Running.
    pub active: Option<bool>,
    /// Permanently pending.
    pub permanent: Option<bool>,
}

/// The `images` list of a state response, checked when the frame is
/// decoded and read entry by entry with [`Self::for_each`].
///
/// Two lists are equal when their entries are: keys this crate does not
/// know and the order of keys do not count, as they do not survive
/// re-encoding.
#[derive(Debug, Clone, Copy)]
pub struct ImageStates<'a> {
    /// CBOR of the `images` array.
    array: &'a [u8],
}

impl<'a> ImageStates<'a> {
    /// Calls `f` for every entry, stopping at the first malformed one.
    pub fn for_each(&self, mut f: impl FnMut(ImageState<'a>)) -> Result<usize, SmpError> {
        let mut d = Decoder::new(self.array);
        let n = d
            .array()
            .map_err(|_| SmpError::Malformed)?
            .ok_or(SmpError::Malformed)?;
        for _ in 0..n {
            f(image_state(&mut d)?);
        }
        usize::try_from(n).map_err(|_| SmpError::Malformed)
    }
}

impl PartialEq for ImageStates<'_> {
    fn eq(&self, other: &Self) -> bool {
        let (mut a, mut b) = (Decoder::new(self.array), Decoder::new(other.array));
        let (Ok(Some(n)), Ok(Some(m))) = (a.array(), b.array()) else {
            return self.array == other.array;
        };
        n == m
            && (0..n).all(
                |_| matches!((image_state(&mut a), image_state(&mut b)), (Ok(x), Ok(y)) if x == y),
            )
    }
}

impl Eq for ImageStates<'_> {}

/// Every image-group message the adapter understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message<'a> {
    /// `cmd 1, write`.
    UploadRequest(UploadRequest<'a>),
    /// `cmd 1, write_rsp`.
    UploadResponse(UploadResponse),
    /// `cmd 0, read`: list images.
    StateRead,
    /// `cmd 0, write`.
    StateWrite(StateWrite<'a>),
    /// `cmd 0` response with the image list.
    StateResponse(ImageStates<'a>),
    /// An error response: `{rc}` (v1) or `{err: {group, rc}}` (v2).
    Error {
        /// Result code.
        rc: u32,
        /// Group of the code (v2 only).
        group: Option<u16>,
    },
}

const M: SmpError = SmpError::Malformed;

fn map_len(d: &mut Decoder<'_>) -> Result<u64, SmpError> {
    d.map().map_err(|_| M)?.ok_or(M)
}

fn image_state<'a>(d: &mut Decoder<'a>) -> Result<ImageState<'a>, SmpError> {
    let mut s = ImageState::default();
    for _ in 0..map_len(d)? {
        match d.str().map_err(|_| M)? {
            "image" => s.image = Some(d.u32().map_err(|_| M)?),
            "slot" => s.slot = d.u32().map_err(|_| M)?,
            "version" => s.version = d.str().map_err(|_| M)?,
            "hash" => s.hash = Some(d.bytes().map_err(|_| M)?),
            "bootable" => s.bootable = Some(d.bool().map_err(|_| M)?),
            "pending" => s.pending = Some(d.bool().map_err(|_| M)?),
            "confirmed" => s.confirmed = Some(d.bool().map_err(|_| M)?),
            "active" => s.active = Some(d.bool().map_err(|_| M)?),
            "permanent" => s.permanent = Some(d.bool().map_err(|_| M)?),
            _ => d.skip().map_err(|_| M)?,
        }
    }
    Ok(s)
}

/// Decodes one SMP frame (header plus CBOR body).
pub fn decode(frame: &[u8]) -> Result<(Header, Message<'_>), SmpError> {
    let h = Header::parse(frame)?;
    let body = frame
        .get(HEADER_LEN..HEADER_LEN + usize::from(h.len))
        .ok_or(SmpError::Truncated)?;
    if h.group != GROUP_IMAGE || !(h.command == CMD_STATE || h.command == CMD_UPLOAD) {
        return Err(SmpError::Unsupported);
    }
    let mut d = Decoder::new(body);
    let (mut up, mut off, mut matched, mut rc, mut err_group) =
        (UploadRequest::default(), None, None, None, None);
    let (mut hash, mut confirm, mut images, mut has_data) = (None, None, None, false);
    for _ in 0..map_len(&mut d)? {
        match d.str().map_err(|_| M)? {
            "image" => up.image = Some(d.u32().map_err(|_| M)?),
            "len" => up.len = Some(d.u32().map_err(|_| M)?),
            "off" => off = Some(d.u32().map_err(|_| M)?),
            "sha" => up.sha = Some(d.bytes().map_err(|_| M)?),
            "data" => {
                up.data = d.bytes().map_err(|_| M)?;
                has_data = true;
            }
            "upgrade" => up.upgrade = Some(d.bool().map_err(|_| M)?),
            "match" => matched = Some(d.bool().map_err(|_| M)?),
            "rc" => rc = Some(d.u32().map_err(|_| M)?),
            "hash" => hash = Some(d.bytes().map_err(|_| M)?),
            "confirm" => confirm = Some(d.bool().map_err(|_| M)?),
            "images" => {
                // checked now, so that whatever decodes also encodes
                let start = d.position();
                let n = d.array().map_err(|_| M)?.ok_or(M)?;
                for _ in 0..n {
                    image_state(&mut d)?;
                }
                images = body.get(start..d.position());
            }
            "err" => {
                for _ in 0..map_len(&mut d)? {
                    match d.str().map_err(|_| M)? {
                        "rc" => rc = Some(d.u32().map_err(|_| M)?),
                        "group" => err_group = Some(d.u16().map_err(|_| M)?),
                        _ => d.skip().map_err(|_| M)?,
                    }
                }
            }
            _ => d.skip().map_err(|_| M)?,
        }
    }
    if let Some(rc) = rc.filter(|rc| *rc != 0) {
        return Ok((
            h,
            Message::Error {
                rc,
                group: err_group,
            },
        ));
    }
    let msg = match (h.command, h.op) {
        (CMD_UPLOAD, Op::Write) => {
            if !has_data {
                return Err(SmpError::MissingField);
            }
            up.off = off.ok_or(SmpError::MissingField)?;
            Message::UploadRequest(up)
        }
        (CMD_UPLOAD, op) if op.is_response() => Message::UploadResponse(UploadResponse {
            off: off.ok_or(SmpError::MissingField)?,
            matched,
        }),
        (CMD_STATE, Op::Read) => Message::StateRead,
        (CMD_STATE, Op::Write) => Message::StateWrite(StateWrite {
            hash,
            confirm: confirm.unwrap_or(false),
        }),
        (CMD_STATE, op) if op.is_response() => Message::StateResponse(ImageStates {
            array: images.ok_or(SmpError::MissingField)?,
        }),
        _ => return Err(SmpError::Unsupported),
    };
    Ok((h, msg))
}

/// One value of a canonical map.
#[derive(Clone, Copy)]
enum Val<'a> {
    U(u32),
    B(&'a [u8]),
    S(&'a str),
    Bool(bool),
}

type Enc<'o> = Encoder<Cursor<&'o mut [u8]>>;
const B: SmpError = SmpError::BufferTooSmall;

/// Writes a map with its keys in canonical order (length first, then bytes).
fn canonical_map(e: &mut Enc<'_>, entries: &mut [(&str, Val<'_>)]) -> Result<(), SmpError> {
    entries.sort_unstable_by(|a, b| a.0.len().cmp(&b.0.len()).then(a.0.cmp(b.0)));
    e.map(entries.len() as u64).map_err(|_| B)?;
    for (k, v) in entries.iter() {
        e.str(k).map_err(|_| B)?;
        match *v {
            Val::U(n) => e.u32(n),
            Val::B(b) => e.bytes(b),
            Val::S(s) => e.str(s),
            Val::Bool(b) => e.bool(b),
        }
        .map_err(|_| B)?;
    }
    Ok(())
}

/// Collects the present entries into `buf` and returns how many.
fn collect<'k, 'v>(
    buf: &mut [(&'k str, Val<'v>); 10],
    items: &[(&'k str, Option<Val<'v>>)],
) -> usize {
    let mut n = 0;
    for (k, v) in items {
        if let (Some(v), Some(slot)) = (v, buf.get_mut(n)) {
            *slot = (k, *v);
            n += 1;
        }
    }
    n
}

fn body(e: &mut Enc<'_>, msg: &Message<'_>, version: u8) -> Result<(), SmpError> {
    let mut buf = [("", Val::U(0)); 10];
    match msg {
        Message::UploadRequest(r) => {
            let n = collect(
                &mut buf,
                &[
                    ("image", r.image.map(Val::U)),
                    ("len", r.len.map(Val::U)),
                    ("off", Some(Val::U(r.off))),
                    ("sha", r.sha.map(Val::B)),
                    ("data", Some(Val::B(r.data))),
                    ("upgrade", r.upgrade.map(Val::Bool)),
                ],
            );
            canonical_map(e, buf.get_mut(..n).unwrap_or_default())
        }
        Message::UploadResponse(r) => {
            let n = collect(
                &mut buf,
                &[
                    ("off", Some(Val::U(r.off))),
                    ("match", r.matched.map(Val::Bool)),
                ],
            );
            canonical_map(e, buf.get_mut(..n).unwrap_or_default())
        }
        Message::StateRead => canonical_map(e, &mut []),
        Message::StateWrite(w) => {
            let n = collect(
                &mut buf,
                &[
                    ("hash", w.hash.map(Val::B)),
                    ("confirm", Some(Val::Bool(w.confirm))),
                ],
            );
            canonical_map(e, buf.get_mut(..n).unwrap_or_default())
        }
        Message::StateResponse(list) => {
            e.map(1).map_err(|_| B)?.str("images").map_err(|_| B)?;
            let mut d = Decoder::new(list.array);
            let count = d.array().map_err(|_| M)?.ok_or(M)?;
            e.array(count).map_err(|_| B)?;
            for _ in 0..count {
                let s = image_state(&mut d)?;
                let n = collect(
                    &mut buf,
                    &[
                        ("image", s.image.map(Val::U)),
                        ("slot", Some(Val::U(s.slot))),
                        ("version", Some(Val::S(s.version))),
                        ("hash", s.hash.map(Val::B)),
                        ("bootable", s.bootable.map(Val::Bool)),
                        ("pending", s.pending.map(Val::Bool)),
                        ("confirmed", s.confirmed.map(Val::Bool)),
                        ("active", s.active.map(Val::Bool)),
                        ("permanent", s.permanent.map(Val::Bool)),
                    ],
                );
                canonical_map(e, buf.get_mut(..n).unwrap_or_default())?;
            }
            Ok(())
        }
        Message::Error { rc, group } => {
            if version == 0 || group.is_none() {
                canonical_map(e, &mut [("rc", Val::U(*rc))])
            } else {
                e.map(1).map_err(|_| B)?.str("err").map_err(|_| B)?;
                let g = group.map_or(0, u32::from);
                canonical_map(e, &mut [("rc", Val::U(*rc)), ("group", Val::U(g))])
            }
        }
    }
}

/// Encodes `msg` with `header` (its `len` is recomputed) into `out`.
pub fn encode(header: &Header, msg: &Message<'_>, out: &mut [u8]) -> Result<usize, SmpError> {
    let (head, rest) = out.split_at_mut_checked(HEADER_LEN).ok_or(B)?;
    let mut e = Encoder::new(Cursor::new(rest));
    body(&mut e, msg, header.version)?;
    let len = e.into_writer().position();
    let h = Header {
        len: u16::try_from(len).map_err(|_| B)?,
        ..*header
    };
    head.copy_from_slice(&h.to_bytes());
    Ok(HEADER_LEN + len)
}
