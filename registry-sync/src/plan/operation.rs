//! The operations a plan is made of and the engine applies.

use crate::model::{DeviceId, DeviceRecord, Etag};
use serde::{Deserialize, Serialize};

/// A write condition on the current record.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Precondition {
    /// Unconditional (`If-Match: *`).
    Any,
    /// Only if the record's etag still equals this one.
    IfMatch(Etag),
}

impl Precondition {
    /// `IfMatch` when an etag is known, else `Any`.
    pub fn from_etag(etag: Option<&Etag>) -> Self {
        etag.map_or(Self::Any, |e| Self::IfMatch(e.clone()))
    }
}

/// One write against the replica registry.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum Operation {
    /// Create the device.
    Create {
        /// The full record to create.
        device: DeviceRecord,
    },
    /// Replace the device's synced fields.
    Update {
        /// The record as it should be after the update.
        device: DeviceRecord,
        /// The etag the plan was made against.
        precondition: Precondition,
    },
    /// Delete the device.
    Delete {
        /// The device.
        id: DeviceId,
        /// The etag the plan was made against.
        precondition: Precondition,
    },
    /// Soft delete: disable the device with a reason.
    Disable {
        /// The device.
        id: DeviceId,
        /// The status reason to set.
        reason: Box<str>,
        /// The etag the plan was made against.
        precondition: Precondition,
    },
}

impl Operation {
    /// The device this operation writes.
    pub fn device_id(&self) -> &DeviceId {
        match self {
            Self::Create { device } | Self::Update { device, .. } => &device.id,
            Self::Delete { id, .. } | Self::Disable { id, .. } => id,
        }
    }

    /// A short name for logs and metrics.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Create { .. } => "create",
            Self::Update { .. } => "update",
            Self::Delete { .. } => "delete",
            Self::Disable { .. } => "disable",
        }
    }

    /// Whether this operation removes the device (delete or soft delete).
    pub fn is_removal(&self) -> bool {
        matches!(self, Self::Delete { .. } | Self::Disable { .. })
    }
}
