//! Why the planner chose an operation.

use super::FieldSet;
use serde::{Deserialize, Serialize};

/// Why the planner chose an operation.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Reason {
    /// The master has the device, the replica does not.
    MissingInReplica,
    /// Both have it and these synced fields differ.
    Differs(FieldSet),
    /// The replica has an owned device the master no longer has.
    GoneFromMaster,
}
