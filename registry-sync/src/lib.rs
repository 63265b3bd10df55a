//! `registry-sync`: under construction.

mod change;
mod device;
mod error;
mod mapping;
#[cfg(feature = "memory")]
mod memory;
mod operation;
mod plan;
mod policy;
mod properties;
mod rate;
mod registry;
mod snapshot;

pub use change::{ChangeEvent, ChangeKind, EventOrder, EventSource};
pub use device::{Credentials, DeviceId, DeviceRecord, DeviceStatus, Etag, Secret};
pub use error::{Error, ErrorKind, Result};
pub use mapping::{AttributeMapping, DirectMapping, FnMapping, ReportedAsAttributes};
#[cfg(feature = "memory")]
pub use memory::{Fault, MemoryFeed, MemoryRegistry, Mutation, MutationKind};
pub use operation::{Changes, Operation, Precondition, Reason};
pub use plan::{Deferred, Plan, PlanError, PlannedOp, Planner, SkipReason, Skipped};
pub use policy::{Completeness, MassDeleteGuard, Policy, Removal, Scope, SyncFields};
pub use properties::Properties;
pub use rate::{IotHubTier, RateLimit, TokenBucket};
pub use registry::{Capabilities, ExternalRegistry, Page, PageToken, fetch_snapshot, list_stream};
pub use snapshot::Snapshot;
