//! One-byte codes shared by several messages: result codes and boot outcomes.

/// Result of an operation, sent in `Abort` and reported back in `Status`.
///
/// Values 2 to 8 follow LwM2M object 5 "Update Result" where the meaning
/// matches, so a gateway can map them one to one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResultCode {
    /// Nothing went wrong (0).
    Ok,
    /// The transfer was cancelled by the server (1).
    Cancelled,
    /// The image does not fit in the update bank (2).
    NoSpace,
    /// The device ran out of RAM (3).
    OutOfMemory,
    /// The connection was lost (4).
    ConnectionLost,
    /// The image digest did not match (5).
    IntegrityFailure,
    /// The image is not acceptable to this device (6).
    UnsupportedImage,
    /// The signature was missing or did not verify (7).
    SignatureInvalid,
    /// Flash or bootloader operation failed (8).
    UpdateFailed,
    /// A write was not at the next expected offset (9).
    BadOffset,
    /// The server replaced the image being transferred (10).
    ImageReplaced,
    /// The device cannot accept an update now, for example while a trial boot awaits confirmation (11).
    Busy,
    /// A code this version does not know, preserved as received.
    Other(u8),
}

impl ResultCode {
    /// The wire byte.
    pub const fn to_u8(self) -> u8 {
        match self {
            Self::Ok => 0,
            Self::Cancelled => 1,
            Self::NoSpace => 2,
            Self::OutOfMemory => 3,
            Self::ConnectionLost => 4,
            Self::IntegrityFailure => 5,
            Self::UnsupportedImage => 6,
            Self::SignatureInvalid => 7,
            Self::UpdateFailed => 8,
            Self::BadOffset => 9,
            Self::ImageReplaced => 10,
            Self::Busy => 11,
            Self::Other(v) => v,
        }
    }

    /// The code for a wire byte; unknown values become [`ResultCode::Other`].
    pub const fn from_u8(v: u8) -> Self {
        match v {
            0 => Self::Ok,
            1 => Self::Cancelled,
            2 => Self::NoSpace,
            3 => Self::OutOfMemory,
            4 => Self::ConnectionLost,
            5 => Self::IntegrityFailure,
            6 => Self::UnsupportedImage,
            7 => Self::SignatureInvalid,
            8 => Self::UpdateFailed,
            9 => Self::BadOffset,
            10 => Self::ImageReplaced,
            11 => Self::Busy,
            other => Self::Other(other),
        }
    }
}

/// Why the bootloader rolled back to the previous image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RevertReason {
    /// Not recorded (0).
    Unknown,
    /// The image did not confirm itself within the allowed boot attempts (1).
    NotConfirmed,
    /// The application's health check failed and it asked for a rollback (2).
    HealthCheckFailed,
    /// The installed image did not match its digest (3).
    VerificationFailed,
    /// A value this version does not know, preserved as received.
    Other(u8),
}

impl RevertReason {
    /// The wire byte.
    pub const fn to_u8(self) -> u8 {
        match self {
            Self::Unknown => 0,
            Self::NotConfirmed => 1,
            Self::HealthCheckFailed => 2,
            Self::VerificationFailed => 3,
            Self::Other(v) => v,
        }
    }

    /// The reason for a wire byte.
    pub const fn from_u8(v: u8) -> Self {
        match v {
            0 => Self::Unknown,
            1 => Self::NotConfirmed,
            2 => Self::HealthCheckFailed,
            3 => Self::VerificationFailed,
            other => Self::Other(other),
        }
    }
}

/// Why the device last reset, as the platform reports it to the bootloader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResetCause {
    /// Not known (0).
    Unknown,
    /// Power-on or brown-out recovery (1).
    PowerOn,
    /// A deliberate software reset, for example to install an update (2).
    Software,
    /// The watchdog fired (3).
    Watchdog,
    /// A panic or hard fault (4).
    Fault,
    /// The external reset pin (5).
    Pin,
    /// A value this version does not know, preserved as received.
    Other(u8),
}

impl ResetCause {
    /// The wire byte.
    pub const fn to_u8(self) -> u8 {
        match self {
            Self::Unknown => 0,
            Self::PowerOn => 1,
            Self::Software => 2,
            Self::Watchdog => 3,
            Self::Fault => 4,
            Self::Pin => 5,
            Self::Other(v) => v,
        }
    }

    /// The cause for a wire byte.
    pub const fn from_u8(v: u8) -> Self {
        match v {
            0 => Self::Unknown,
            1 => Self::PowerOn,
            2 => Self::Software,
            3 => Self::Watchdog,
            4 => Self::Fault,
            5 => Self::Pin,
            other => Self::Other(other),
        }
    }
}

/// What happened to the last update, as the device reports it after booting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BootOutcome {
    /// No update has been installed since the record was created.
    None,
    /// The image `image_id` was installed and confirmed.
    Confirmed {
        /// The image that is now permanent.
        image_id: u32,
    },
    /// The image `image_id` is on trial and has not been confirmed yet.
    Trial {
        /// The image on trial.
        image_id: u32,
        /// Which boot attempt this is (1 for the first).
        attempt: u8,
    },
    /// The image `image_id` was rolled back; the previous image runs again.
    Reverted {
        /// The image that failed.
        image_id: u32,
        /// Why it was rolled back.
        reason: RevertReason,
        /// The reset cause seen when the bootloader decided to roll back.
        reset_cause: ResetCause,
        /// How many boots the image was given.
        attempts: u8,
    },
    /// A tag this version does not know, preserved with its raw bytes.
    Other {
        /// The tag byte.
        tag: u8,
        /// The three detail bytes.
        detail: [u8; 3],
        /// The image id field.
        image_id: u32,
    },
}

impl BootOutcome {
    /// Encoded size on the wire.
    pub const WIRE_LEN: usize = 8;

    /// The eight wire bytes: tag, three detail bytes, image id (little endian).
    pub fn to_bytes(self) -> [u8; 8] {
        let (tag, d, id) = match self {
            Self::None => (0, [0; 3], 0),
            Self::Confirmed { image_id } => (1, [0; 3], image_id),
            Self::Trial { image_id, attempt } => (2, [0, 0, attempt], image_id),
            Self::Reverted {
                image_id,
                reason,
                reset_cause,
                attempts,
            } => (3, [reason.to_u8(), reset_cause.to_u8(), attempts], image_id),
            Self::Other {
                tag,
                detail,
                image_id,
            } => (tag, detail, image_id),
        };
        let id = u32::to_le_bytes(id);
        [tag, d[0], d[1], d[2], id[0], id[1], id[2], id[3]]
    }

    /// Reads the eight wire bytes; unknown tags become [`BootOutcome::Other`].
    pub fn from_bytes(b: [u8; 8]) -> Self {
        let [tag, d0, d1, d2, i0, i1, i2, i3] = b;
        let image_id = u32::from_le_bytes([i0, i1, i2, i3]);
        match tag {
            0 => Self::None,
            1 => Self::Confirmed { image_id },
            2 => Self::Trial {
                image_id,
                attempt: d2,
            },
            3 => Self::Reverted {
                image_id,
                reason: RevertReason::from_u8(d0),
                reset_cause: ResetCause::from_u8(d1),
                attempts: d2,
            },
            _ => Self::Other {
                tag,
                detail: [d0, d1, d2],
                image_id,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_result_byte_round_trips() {
        for v in 0..=u8::MAX {
            assert_eq!(ResultCode::from_u8(v).to_u8(), v);
            assert_eq!(RevertReason::from_u8(v).to_u8(), v);
            assert_eq!(ResetCause::from_u8(v).to_u8(), v);
        }
        assert_eq!(ResultCode::from_u8(5), ResultCode::IntegrityFailure);
        assert_eq!(ResultCode::from_u8(200), ResultCode::Other(200));
    }
}
