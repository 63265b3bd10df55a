//! Validation against the services' limits. Every check returns the full
//! list of violations (path and rule), capped at [`MAX_VIOLATIONS`].
//!
//! The walkers are iterative and stop descending at the depth limit, so
//! hostile input costs linear time and constant stack.

pub mod shadow;
pub mod twin;
mod violation;
mod walker;

pub use violation::{MAX_VIOLATIONS, Rule, Violation, Violations};
pub use walker::{SectionLimits, SectionReport, json_size_compact};
