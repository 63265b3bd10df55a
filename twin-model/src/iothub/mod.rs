//! Azure IoT Hub documents: twins, identities, jobs, queries, Edge
//! manifests, configurations and Event Grid events.

pub mod configuration;
pub mod edge;
pub mod edge_reported;
pub mod event_grid;
pub mod identity;
pub mod ids;
pub mod import_export;
pub mod job;
pub mod metadata;
pub mod properties;
pub mod query;
pub mod secret;
pub mod status;
pub mod twin;
