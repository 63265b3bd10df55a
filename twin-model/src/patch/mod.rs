//! Patch algebra: JSON merge patches as IoT Hub and AWS apply them
//! (`null` removes), minimal diffs, composition, twin metadata and
//! versions, and the AWS shadow update cycle with its delta.
//!
//! Inputs are first checked iteratively against [`MAX_PATCH_DEPTH`]; the
//! recursive algorithms then run on depth-bounded trees only.

mod error;
mod merge;
pub mod shadow;
pub mod twin;

pub use error::PatchError;
pub use merge::{MAX_PATCH_DEPTH, apply_merge, compose, diff};
