//! `desired-state`: Eclipse Kanto's desired-state specification and Update Agent API.

pub mod agent;
pub mod manager;
pub mod model;
#[cfg(feature = "mqtt")]
pub mod mqtt;
pub mod publication;
pub mod topic;
