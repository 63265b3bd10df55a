//! Whether a device may connect.

use serde::{Deserialize, Serialize};

/// Whether a device may connect.
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "camelCase")]
pub enum DeviceStatus {
    /// The device may connect.
    #[default]
    Enabled,
    /// The device is disabled, with the reason given (IoT Hub `statusReason`).
    Disabled {
        /// Why the device was disabled.
        reason: Option<Box<str>>,
    },
}

impl DeviceStatus {
    /// A disabled status with a reason.
    pub fn disabled(reason: impl Into<Box<str>>) -> Self {
        Self::Disabled {
            reason: Some(reason.into()),
        }
    }

    /// Whether the device is enabled.
    pub fn is_enabled(&self) -> bool {
        matches!(self, Self::Enabled)
    }
}
