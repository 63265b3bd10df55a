//! The DFU core's errors as `fu_result` codes.

use dfu_protocol::boot::BootError;
use dfu_protocol::flash::LayoutError;
use dfu_protocol::updater::UpdaterError;
use dfu_protocol::wire::{DecodeError, EncodeError};

use crate::result::*;

pub(crate) fn layout(e: LayoutError) -> fu_result {
    match e {
        LayoutError::Unaligned => FU_ERR_DFU_LAYOUT_UNALIGNED,
        LayoutError::OutOfBounds => FU_ERR_DFU_LAYOUT_OUT_OF_BOUNDS,
        LayoutError::Overlap => FU_ERR_DFU_LAYOUT_OVERLAP,
        LayoutError::UpdateBankTooSmall => FU_ERR_DFU_LAYOUT_UPDATE_BANK_TOO_SMALL,
        LayoutError::RecordAreaTooSmall => FU_ERR_DFU_LAYOUT_RECORD_AREA_TOO_SMALL,
        LayoutError::UnsupportedGeometry => FU_ERR_DFU_UNSUPPORTED_GEOMETRY,
        _ => FU_ERR_DFU_INVALID_LAYOUT,
    }
}

pub(crate) fn updater(e: UpdaterError) -> fu_result {
    match e {
        UpdaterError::Flash => FU_ERR_DFU_FLASH,
        UpdaterError::InvalidLayout => FU_ERR_DFU_INVALID_LAYOUT,
        UpdaterError::InvalidConfig => FU_ERR_DFU_INVALID_CONFIG,
        _ => FU_ERR_DFU_OTHER,
    }
}

pub(crate) fn boot(e: BootError) -> fu_result {
    match e {
        BootError::Flash => FU_ERR_DFU_FLASH,
        BootError::InvalidLayout => FU_ERR_DFU_INVALID_LAYOUT,
        BootError::StateAreaTooSmall => FU_ERR_DFU_STATE_AREA_TOO_SMALL,
        BootError::NotIdle => FU_ERR_DFU_NOT_IDLE,
        BootError::BadImageSize => FU_ERR_DFU_BAD_IMAGE_SIZE,
        BootError::BadAttempts => FU_ERR_DFU_BAD_ATTEMPTS,
        _ => FU_ERR_DFU_OTHER,
    }
}

pub(crate) fn decode(e: DecodeError) -> fu_result {
    match e {
        DecodeError::BadSync => FU_ERR_DFU_BAD_SYNC,
        DecodeError::UnsupportedVersion => FU_ERR_DFU_UNSUPPORTED_VERSION,
        DecodeError::FrameTooLarge => FU_ERR_DFU_FRAME_TOO_LARGE,
        DecodeError::Truncated => FU_ERR_DFU_TRUNCATED,
        DecodeError::BodyTooShort => FU_ERR_DFU_BODY_TOO_SHORT,
        DecodeError::BadCrc => FU_ERR_DFU_BAD_CRC,
        DecodeError::InvalidField => FU_ERR_DFU_INVALID_FIELD,
        _ => FU_ERR_DFU_OTHER,
    }
}

pub(crate) fn encode(e: EncodeError) -> fu_result {
    match e {
        EncodeError::BufferTooSmall => FU_ERR_BUFFER_TOO_SMALL,
        EncodeError::FieldTooLong => FU_ERR_DFU_FIELD_TOO_LONG,
        _ => FU_ERR_DFU_OTHER,
    }
}
