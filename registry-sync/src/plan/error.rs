//! Why the planner refused a plan.

use crate::error::{Error, ErrorKind};

/// Why the planner refused to produce a plan.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// The plan would remove more devices than the guard allows.
    #[error(
        "plan would remove {removals} of {owned} owned devices, more than the {allowed} allowed"
    )]
    MassDelete {
        /// Removals in the refused plan.
        removals: usize,
        /// Owned replica devices.
        owned: usize,
        /// Removals the guard allows.
        allowed: usize,
    },
}

impl From<PlanError> for Error {
    fn from(e: PlanError) -> Self {
        Self::new(ErrorKind::PlanRefused).with_source(e)
    }
}
