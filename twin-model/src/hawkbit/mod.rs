//! The hawkBit side of the mappings: Management API shapes (targets, tags,
//! metadata, software modules, paged lists), controller ids and hawkBit's
//! limits.
//!
//! The DDI documents (deployments, feedback, `configData`) are
//! [`ddi_client`]'s, re-exported here as [`ddi`] so a mapping's inputs and
//! outputs are the types a DDI client or server already uses.

pub mod controller_id;
pub mod paged;
pub mod target;

/// `ddi-client`'s DDI models (the crate without its `client` feature).
pub use ddi_client::model as ddi;
