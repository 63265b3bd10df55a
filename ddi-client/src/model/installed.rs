//! `PUT …/installedBase` (experimental in hawkBit ≥ 0.6.0).

use serde::{Deserialize, Serialize};

/// Declares a distribution set installed outside the DDI flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignedVersion {
    /// The distribution set name.
    pub name: String,
    /// The distribution set version.
    pub version: String,
}
