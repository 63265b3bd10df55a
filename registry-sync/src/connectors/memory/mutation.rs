//! The log of successful writes.

use crate::model::DeviceId;

/// Which write changed the registry.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MutationKind {
    /// A create.
    Create,
    /// An update.
    Update,
    /// A delete.
    Delete,
    /// A soft delete.
    Disable,
}

/// One successful write, in the order it happened.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mutation {
    /// The write.
    pub kind: MutationKind,
    /// The device.
    pub id: DeviceId,
}
