//! The minimal hawkBit-side types the mappings need (standalone: no
//! dependency on the DDI client crate).

pub mod controller_id;
pub mod deployment;
pub mod feedback;
pub mod target;
