//! `desired-state`: Eclipse Kanto's desired-state specification and Update Agent API.

pub mod agent;
pub mod manager;
pub mod model;
pub mod publication;
pub mod topic;
