//! What a registry is to the engine: the [`ExternalRegistry`] trait (list
//! in [`Page`]s, get, create, update, delete, disable, bulk calls, import
//! jobs, declared [`Capabilities`]) and the [`EventSource`] trait of
//! registries that push their changes.
//!
//! The connectors in [`crate::connectors`] implement them for IoT Hub,
//! hawkBit and memory; any other registry plugs in the same way.

mod capabilities;
mod event_source;
mod external;
mod job;
mod listing;
mod page;

pub use capabilities::Capabilities;
pub use event_source::EventSource;
pub use external::ExternalRegistry;
pub use job::{JobId, JobItemFailure, JobStatus};
pub use listing::{fetch_snapshot, list_stream};
pub use page::{Page, PageToken};
