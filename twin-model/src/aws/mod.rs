//! AWS IoT Device Shadow documents, messages and topics.

pub mod shadow;
pub mod topic;
