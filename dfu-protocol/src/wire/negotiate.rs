//! Chunk-size negotiation from the device's advertised limit.

use super::layout::write_overhead;

/// The `Write` payload size to use with a device.
///
/// The smallest of what the device advertises (`Status::max_chunk`), what
/// the server wants to send, and what fits in one frame of at most
/// `max_frame` bytes (with or without CRC-32 and correlation id).
/// `None` when not even one byte fits.
pub fn chunk_size(
    device_max: u32,
    server_max: u32,
    max_frame: usize,
    crc: bool,
    correlation: bool,
) -> Option<u32> {
    let frame_room = max_frame
        .min(super::layout::MAX_FRAME_LEN)
        .checked_sub(write_overhead(crc, correlation))?;
    let frame_room = u32::try_from(frame_room).unwrap_or(u32::MAX);
    let size = device_max.min(server_max).min(frame_room);
    (size > 0).then_some(size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smallest_limit_wins() {
        assert_eq!(chunk_size(968, 4096, 65_539, true, false), Some(968));
        assert_eq!(chunk_size(8192, 4096, 65_539, true, false), Some(4096));
        assert_eq!(chunk_size(8192, 8192, 1024, true, false), Some(1024 - 16));
        assert_eq!(chunk_size(8192, 8192, 1024, false, true), Some(1024 - 16));
        assert_eq!(chunk_size(0, 8192, 1024, false, false), None);
        assert_eq!(chunk_size(100, 100, 16, true, false), None);
    }
}
