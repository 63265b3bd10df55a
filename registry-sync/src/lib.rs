//! `registry-sync`: under construction.

mod change;
mod device;
mod engine;
mod error;
mod event_filter;
pub mod eventgrid;
pub mod journal;
mod mapping;
#[cfg(feature = "memory")]
mod memory;
mod operation;
mod outcome;
mod plan;
mod policy;
mod properties;
mod rate;
mod registry;
mod retry;
mod snapshot;

pub use change::{ChangeEvent, ChangeKind, EventOrder, EventSource};
pub use device::{Credentials, DeviceId, DeviceRecord, DeviceStatus, Etag, Secret};
pub use engine::{Engine, EngineConfig, RunReport};
pub use error::{Error, ErrorKind, Result};
pub use event_filter::EventFilter;
pub use mapping::{AttributeMapping, DirectMapping, FnMapping, ReportedAsAttributes};
#[cfg(feature = "memory")]
pub use memory::{Fault, MemoryFeed, MemoryRegistry, Mutation, MutationKind};
pub use operation::{Changes, Operation, Precondition, Reason};
pub use outcome::{Counters, IgnoreReason, InputKind, Outcome};
pub use plan::{Deferred, Plan, PlanError, PlannedOp, Planner, SkipReason, Skipped};
pub use policy::{Completeness, MassDeleteGuard, Policy, Removal, Scope, SyncFields};
pub use properties::Properties;
pub use rate::{IotHubTier, RateLimit, TokenBucket};
pub use registry::{Capabilities, ExternalRegistry, Page, PageToken, fetch_snapshot, list_stream};
pub use retry::RetryPolicy;
pub use snapshot::Snapshot;
