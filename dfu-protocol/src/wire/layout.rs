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

/// CRC-32 of a `Write` frame (CRC-32/ISO-HDLC, the zlib one).
///
/// Every backend computes the same function, so the choice changes speed
/// and flash use, never the wire bytes. Without features a byte-wise table
/// (1 KiB, in a `static` so it lives once in flash) keeps MCU builds small;
/// `fast-crc` switches to slice-by-16 tables (16 KiB, about nine times
/// faster on a desktop CPU); `simd-crc` uses `crc32fast` (carry-less
/// multiply on x86_64, CRC instructions on aarch64), which wins over both.
pub(crate) fn crc32(bytes: &[u8]) -> u32 {
    #[cfg(feature = "simd-crc")]
    {
        crc32fast::hash(bytes)
    }
    #[cfg(not(feature = "simd-crc"))]
    {
        CRC32.checksum(bytes)
    }
}

/// The table-driven CRC-32 behind [`crc32`] without `simd-crc`.
#[cfg(not(any(feature = "fast-crc", feature = "simd-crc")))]
static CRC32: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);
/// The slice-by-16 CRC-32 behind [`crc32`] with `fast-crc` alone.
#[cfg(all(feature = "fast-crc", not(feature = "simd-crc")))]
static CRC32: crc::Crc<u32, crc::Table<16>> =
    crc::Crc::<u32, crc::Table<16>>::new(&crc::CRC_32_ISO_HDLC);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The table path every MCU build uses: the reference the others must match.
    static REFERENCE: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);

    #[test]
    fn matches_the_iso_hdlc_check_value() {
        // The catalogue's check value of CRC-32/ISO-HDLC over "123456789".
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    proptest! {
        #[test]
        fn every_backend_matches_the_byte_wise_table(
            bytes in proptest::collection::vec(any::<u8>(), 0..9000),
            split in any::<prop::sample::Index>(),
        ) {
            prop_assert_eq!(crc32(&bytes), REFERENCE.checksum(&bytes));
            // Lengths and alignments around the SIMD block sizes, too.
            let tail = &bytes[split.index(bytes.len() + 1)..];
            prop_assert_eq!(crc32(tail), REFERENCE.checksum(tail));
        }
    }
}
