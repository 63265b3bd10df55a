//! Byte-level constants of wire version 1 (see the crate's `spec` module).

/// The first byte of every version-1 frame: sync nibble `0xD` and version `1`.
pub const SYNC: u8 = 0xD1;
/// High nibble that marks a frame start whatever its version.
pub(crate) const SYNC_NIBBLE: u8 = 0xD0;
/// Header bytes: sync/version, kind/flags, body length (u16 little endian).
pub const HEADER_LEN: usize = 4;
/// Largest body the 16-bit length field can describe.
pub const MAX_BODY_LEN: usize = u16::MAX as usize;
/// Largest frame of wire version 1.
pub const MAX_FRAME_LEN: usize = HEADER_LEN + MAX_BODY_LEN;
/// Flag bit in the kind byte: a correlation id follows the header.
pub(crate) const FLAG_CORRELATION: u8 = 0x80;
/// Flag bit in the kind byte whose meaning depends on the kind.
pub(crate) const FLAG_OPTION: u8 = 0x40;
/// Bits of the kind byte that hold the kind.
pub(crate) const KIND_MASK: u8 = 0x1F;

pub(crate) const KIND_STATUS: u8 = 0x01;
pub(crate) const KIND_WAIT: u8 = 0x10;
pub(crate) const KIND_SYNC: u8 = 0x11;
pub(crate) const KIND_WRITE: u8 = 0x12;
pub(crate) const KIND_SWAP: u8 = 0x13;
pub(crate) const KIND_ABORT: u8 = 0x14;

/// Bytes of a `Write` frame besides its data: header, image id, offset, and the optional CRC-32.
pub const fn write_overhead(crc: bool, correlation: bool) -> usize {
    HEADER_LEN + 8 + if crc { 4 } else { 0 } + if correlation { 4 } else { 0 }
}

/// CRC-32 used by `Write` trailers (CRC-32/ISO-HDLC, the zlib one).
///
/// A `static`, so the lookup table lives once in flash. The default
/// byte-wise table costs 1 KiB; `fast-crc` switches to slice-by-16
/// (16 KiB, about nine times faster on a desktop CPU).
#[cfg(not(feature = "fast-crc"))]
pub(crate) static CRC32: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);
/// CRC-32 used by `Write` trailers (slice-by-16 tables, feature `fast-crc`).
#[cfg(feature = "fast-crc")]
pub(crate) static CRC32: crc::Crc<u32, crc::Table<16>> =
    crc::Crc::<u32, crc::Table<16>>::new(&crc::CRC_32_ISO_HDLC);
