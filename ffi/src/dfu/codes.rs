//! The one-byte codes of the wire protocol and the kinds of the C structs,
//! as `uint8_t` typedefs with named values.
//!
//! Plain integers rather than Rust enums: C may store any value in them, and
//! every value is valid (unknown wire codes pass through unchanged).

#![allow(non_camel_case_types)]

/// A wire result code (`FU_DFU_CODE_*`); other values pass through as is.
pub type fu_dfu_result_code = u8;
/// Success.
pub const FU_DFU_CODE_OK: fu_dfu_result_code = 0;
/// The operation was cancelled.
pub const FU_DFU_CODE_CANCELLED: fu_dfu_result_code = 1;
/// The image does not fit the update bank.
pub const FU_DFU_CODE_NO_SPACE: fu_dfu_result_code = 2;
/// Out of memory.
pub const FU_DFU_CODE_OUT_OF_MEMORY: fu_dfu_result_code = 3;
/// The connection was lost.
pub const FU_DFU_CODE_CONNECTION_LOST: fu_dfu_result_code = 4;
/// The image's digest did not match.
pub const FU_DFU_CODE_INTEGRITY_FAILURE: fu_dfu_result_code = 5;
/// The device refuses the image.
pub const FU_DFU_CODE_UNSUPPORTED_IMAGE: fu_dfu_result_code = 6;
/// The image's signature did not verify.
pub const FU_DFU_CODE_SIGNATURE_INVALID: fu_dfu_result_code = 7;
/// The update failed.
pub const FU_DFU_CODE_UPDATE_FAILED: fu_dfu_result_code = 8;
/// A chunk was out of place.
pub const FU_DFU_CODE_BAD_OFFSET: fu_dfu_result_code = 9;
/// The server replaced the image.
pub const FU_DFU_CODE_IMAGE_REPLACED: fu_dfu_result_code = 10;
/// An update is pending or on trial.
pub const FU_DFU_CODE_BUSY: fu_dfu_result_code = 11;

/// Why an image was rolled back (`FU_DFU_REVERT_*`).
pub type fu_dfu_revert_reason = u8;
/// Not known.
pub const FU_DFU_REVERT_UNKNOWN: fu_dfu_revert_reason = 0;
/// The image did not confirm itself within its boot attempts.
pub const FU_DFU_REVERT_NOT_CONFIRMED: fu_dfu_revert_reason = 1;
/// The application's health check failed.
pub const FU_DFU_REVERT_HEALTH_CHECK_FAILED: fu_dfu_revert_reason = 2;
/// The image failed verification in the bootloader.
pub const FU_DFU_REVERT_VERIFICATION_FAILED: fu_dfu_revert_reason = 3;

/// Why the device reset, as the firmware tells the bootloader (`FU_DFU_RESET_*`).
pub type fu_dfu_reset_cause = u8;
/// Not known.
pub const FU_DFU_RESET_UNKNOWN: fu_dfu_reset_cause = 0;
/// Power on (or power restored).
pub const FU_DFU_RESET_POWER_ON: fu_dfu_reset_cause = 1;
/// A software reset (after the updater said `FU_DFU_ACTION_RESET`).
pub const FU_DFU_RESET_SOFTWARE: fu_dfu_reset_cause = 2;
/// The watchdog.
pub const FU_DFU_RESET_WATCHDOG: fu_dfu_reset_cause = 3;
/// A fault (hard fault, the panic hook).
pub const FU_DFU_RESET_FAULT: fu_dfu_reset_cause = 4;
/// The reset pin.
pub const FU_DFU_RESET_PIN: fu_dfu_reset_cause = 5;

/// The bootloader's phase (`FU_DFU_PHASE_*`).
pub type fu_dfu_phase = u8;
/// The active image is confirmed (or predates any update).
pub const FU_DFU_PHASE_IDLE: fu_dfu_phase = 1;
/// A verified image waits to be swapped in at the next boot.
pub const FU_DFU_PHASE_SWAP_PENDING: fu_dfu_phase = 2;
/// The new image is active and on trial: confirm or reject it.
pub const FU_DFU_PHASE_TRIAL: fu_dfu_phase = 3;
/// The next boot rolls back.
pub const FU_DFU_PHASE_REVERTING: fu_dfu_phase = 4;

/// What happened to the last update (`FU_DFU_OUTCOME_*`).
pub type fu_dfu_outcome_kind = u8;
/// No update yet.
pub const FU_DFU_OUTCOME_NONE: fu_dfu_outcome_kind = 0;
/// The image `image_id` was confirmed.
pub const FU_DFU_OUTCOME_CONFIRMED: fu_dfu_outcome_kind = 1;
/// The image `image_id` is on trial, boot `attempt`.
pub const FU_DFU_OUTCOME_TRIAL: fu_dfu_outcome_kind = 2;
/// The image `image_id` was rolled back: `reason`, `reset_cause`, `attempts`.
pub const FU_DFU_OUTCOME_REVERTED: fu_dfu_outcome_kind = 3;
/// An outcome of a newer wire version; `raw` holds its bytes.
pub const FU_DFU_OUTCOME_OTHER: fu_dfu_outcome_kind = 4;

/// The message a frame carries (`FU_DFU_MESSAGE_*`).
pub type fu_dfu_message_kind = u8;
/// Device to server: where the device stands.
pub const FU_DFU_MESSAGE_STATUS: fu_dfu_message_kind = 1;
/// Nothing to do; ask again in `poll_secs`.
pub const FU_DFU_MESSAGE_WAIT: fu_dfu_message_kind = 2;
/// Up to date; confirm a trial image; ask again in `poll_secs`.
pub const FU_DFU_MESSAGE_SYNC: fu_dfu_message_kind = 3;
/// One chunk of an image.
pub const FU_DFU_MESSAGE_WRITE: fu_dfu_message_kind = 4;
/// The image is complete: verify and install it.
pub const FU_DFU_MESSAGE_SWAP: fu_dfu_message_kind = 5;
/// Stop the transfer of an image.
pub const FU_DFU_MESSAGE_ABORT: fu_dfu_message_kind = 6;
/// A kind this version does not know (`unknown_kind`, body in `data`).
pub const FU_DFU_MESSAGE_UNKNOWN: fu_dfu_message_kind = 7;

/// What the application should do after a command (`FU_DFU_ACTION_*`).
pub type fu_dfu_action_kind = u8;
/// Send the next status now.
pub const FU_DFU_ACTION_CONTINUE: fu_dfu_action_kind = 0;
/// Sleep `poll_secs`, then send a status.
pub const FU_DFU_ACTION_SLEEP: fu_dfu_action_kind = 1;
/// Up to date; next status in `poll_secs`. With `confirm_pending`, run the
/// health check, then `fu_dfu_updater_confirm` or `fu_dfu_updater_reject`.
pub const FU_DFU_ACTION_SYNCED: fu_dfu_action_kind = 2;
/// The image is verified and the swap requested: reset the device.
pub const FU_DFU_ACTION_RESET: fu_dfu_action_kind = 3;
/// The command was refused with wire code `code`; nothing changed.
pub const FU_DFU_ACTION_REFUSED: fu_dfu_action_kind = 4;
/// `fu_dfu_updater_receive`: no frame completed; feed more bytes.
pub const FU_DFU_ACTION_NONE: fu_dfu_action_kind = 5;

/// What a decoder feed produced (`FU_DFU_FEED_*`).
pub type fu_dfu_feed_kind = u8;
/// All input consumed, no frame complete yet: feed more.
pub const FU_DFU_FEED_CONSUMED: fu_dfu_feed_kind = 0;
/// A frame is complete (`frame`); feed the rest of the input next.
pub const FU_DFU_FEED_FRAME: fu_dfu_feed_kind = 1;
/// Bytes were rejected and skipped (`error`); feed the rest next.
pub const FU_DFU_FEED_ERROR: fu_dfu_feed_kind = 2;

/// Where a device stands, as the server sees it (`FU_DFU_PROGRESS_*`).
pub type fu_dfu_progress_kind = u8;
/// No image is served.
pub const FU_DFU_PROGRESS_NO_IMAGE: fu_dfu_progress_kind = 0;
/// The device runs the served image, confirmed.
pub const FU_DFU_PROGRESS_UP_TO_DATE: fu_dfu_progress_kind = 1;
/// The device runs an image on trial (boot `attempt`); it was told to confirm.
pub const FU_DFU_PROGRESS_CONFIRMING: fu_dfu_progress_kind = 2;
/// Chunks flow: `offset` of `total`, the device's last result in `code`.
pub const FU_DFU_PROGRESS_TRANSFERRING: fu_dfu_progress_kind = 3;
/// The image is complete on the device; it was told to verify and swap.
pub const FU_DFU_PROGRESS_INSTALLING: fu_dfu_progress_kind = 4;
/// The device rolled the image back: `reason`, `reset_cause`, `attempts`.
pub const FU_DFU_PROGRESS_ROLLED_BACK: fu_dfu_progress_kind = 5;
/// The device refuses the image (`code`); it is not sent again.
pub const FU_DFU_PROGRESS_REFUSED: fu_dfu_progress_kind = 6;
/// The device's chunk limit leaves no room in a frame.
pub const FU_DFU_PROGRESS_CHUNK_TOO_SMALL: fu_dfu_progress_kind = 7;
