//! The 8-byte SMP header.

use super::SmpError;

/// SMP operation (3 bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// 0
    Read,
    /// 1
    ReadRsp,
    /// 2
    Write,
    /// 3
    WriteRsp,
    /// 4–7, kept as received.
    Other(u8),
}

impl Op {
    fn from_bits(v: u8) -> Self {
        match v {
            0 => Self::Read,
            1 => Self::ReadRsp,
            2 => Self::Write,
            3 => Self::WriteRsp,
            o => Self::Other(o),
        }
    }

    fn bits(self) -> u8 {
        match self {
            Self::Read => 0,
            Self::ReadRsp => 1,
            Self::Write => 2,
            Self::WriteRsp => 3,
            Self::Other(o) => o & 0x07,
        }
    }

    /// Whether this is a response.
    pub fn is_response(self) -> bool {
        matches!(self, Self::ReadRsp | Self::WriteRsp)
    }
}

/// An SMP header: `Res:3|Ver:2|OP:3, flags, len:u16 BE, group:u16 BE, seq, cmd`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header {
    /// 0 = legacy (v1), 1 = SMP v2.
    pub version: u8,
    /// Operation.
    pub op: Op,
    /// Flags byte.
    pub flags: u8,
    /// CBOR body length.
    pub len: u16,
    /// Management group (1 = image).
    pub group: u16,
    /// Sequence number.
    pub seq: u8,
    /// Command id within the group.
    pub command: u8,
}

/// Header length.
pub const HEADER_LEN: usize = 8;

impl Header {
    /// Parses the first eight bytes.
    pub fn parse(b: &[u8]) -> Result<Self, SmpError> {
        let h: [u8; 8] = b
            .get(..HEADER_LEN)
            .and_then(|h| h.try_into().ok())
            .ok_or(SmpError::Truncated)?;
        Ok(Self {
            version: (h[0] >> 3) & 0x03,
            op: Op::from_bits(h[0] & 0x07),
            flags: h[1],
            len: u16::from_be_bytes([h[2], h[3]]),
            group: u16::from_be_bytes([h[4], h[5]]),
            seq: h[6],
            command: h[7],
        })
    }

    /// The eight header bytes.
    pub fn to_bytes(&self) -> [u8; 8] {
        let len = self.len.to_be_bytes();
        let group = self.group.to_be_bytes();
        [
            ((self.version & 0x03) << 3) | self.op.bits(),
            self.flags,
            len[0],
            len[1],
            group[0],
            group[1],
            self.seq,
            self.command,
        ]
    }
}
