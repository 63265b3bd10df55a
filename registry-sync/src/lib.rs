//! `registry-sync`: keeps device registries in step (Azure IoT Hub, hawkBit,
//! any registry behind a trait), crash-safe and throttling-aware.
//!
//! One registry is the *master*, the other the *replica*. The engine reads
//! both (paged), plans the writes that make the replica follow the master,
//! journals the plan, and applies it with retries, a rate limit, bounded
//! concurrency and, for large plans, the replica's bulk API or import jobs
//! (polled until complete, with per-item failures retried). It also reacts to
//! change events (IoT Hub Event Grid events in the Event Grid and CloudEvents
//! schemas), waiting for incomplete twins before acting.
//!
//! # Layers
//!
//! * **Data**: [`DeviceRecord`] (id, status, credentials, tags, reported
//!   properties, attributes, etag), [`Snapshot`] (a registry sorted by id),
//!   [`Operation`].
//! * **Registries**: the [`ExternalRegistry`] async trait (list pages, get,
//!   create, update, delete, disable, bulk, import jobs, declared
//!   [`Capabilities`]) and the
//!   [`EventSource`] trait for registries that push changes (or, for
//!   hawkBit, `hawkbit::HawkbitChangeFeed`, which polls for them).
//!   [`MemoryRegistry`] (feature `memory`) honours etags, soft delete and bulk
//!   calls and injects faults deterministically.
//! * **Pure cores** (no I/O, explicit time): the [`Planner`] (two snapshots and
//!   a [`Policy`] in, a [`Plan`] out), [`RetryPolicy`], [`TokenBucket`],
//!   [`EventFilter`], the Event Grid decoder ([`eventgrid`]; [`event_grid_inbox`]
//!   queues webhook bodies for [`Engine::run`]), the lifecycle route decoder
//!   ([`lifecycle`]) and the journal
//!   recovery ([`journal::recover`], [`journal::audit`]).
//! * **Driver**: the [`Engine`], with its [`journal::JournalStore`]
//!   ([`journal::FileJournal`] by default; `journal::PostgresJournal` with
//!   feature `postgres`, for services running several replicas) and a typed
//!   stream of [`Outcome`]s.
//!
//! # Quick start
//!
//! Two in-memory registries, synced once:
//!
//! ```
//! use registry_sync::journal::MemoryJournal;
//! use registry_sync::{
//!     DeviceRecord, DirectMapping, Engine, EngineConfig, MemoryRegistry, Planner, Policy, Scope,
//! };
//! use std::sync::Arc;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> registry_sync::Result<()> {
//! let hub = Arc::new(MemoryRegistry::new("hub"));
//! let tenant = Arc::new(MemoryRegistry::new("tenant"));
//! hub.seed([
//!     DeviceRecord::new("sensor-1").with_attribute("fw", "1.2"),
//!     DeviceRecord::new("sensor-2"),
//! ]);
//! // Replica devices tagged managedBy=hub-eu1 belong to this sync; others are never touched.
//! let policy = Policy::new(Scope::tag("managedBy", "hub-eu1"));
//! let planner = Planner::new(policy, Arc::new(DirectMapping));
//! let engine = Engine::new(
//!     hub.clone(),
//!     tenant.clone(),
//!     planner,
//!     Arc::new(MemoryJournal::new()), // FileJournal::open(path)? to survive crashes
//!     EngineConfig::new(),
//! );
//! let report = engine.sync_once().await?;
//! assert_eq!(report.created, 2);
//! let synced = tenant.snapshot();
//! assert_eq!(synced.get("sensor-1").and_then(|d| d.attributes.get("fw")), Some("1.2"));
//! assert_eq!(synced.get("sensor-2").and_then(|d| d.tags.get("managedBy")), Some("hub-eu1"));
//! // Nothing left to do.
//! assert_eq!(engine.sync_once().await?.applied(), 0);
//! # Ok(())
//! # }
//! ```
//!
//! # Policies
//!
//! * **Ownership** ([`Scope`]): by tag (`managedBy=<sync>`, written on create)
//!   or by id prefix (replica id = prefix + master id). Only owned replica
//!   devices are updated or removed, so several IoT Hubs can share one hawkBit
//!   tenant.
//! * **Removal** ([`Removal`]): delete, or soft delete (disable with a reason).
//! * **Completeness** ([`Completeness`]): required tags / reported properties;
//!   incomplete master devices are deferred (full sync) or waited for with
//!   backoff and a total timeout (event path).
//! * **Mass-delete guard** ([`MassDeleteGuard`]): a plan removing more than a
//!   fraction of the owned devices is refused unless forced.
//! * **Mapping** ([`AttributeMapping`]): turns a master device's tags and
//!   reported properties into the replica's tags and attributes;
//!   `twin-model`'s twin-to-hawkBit mapping plugs in here as
//!   `TwinAttributes` (feature `twin-mapping`): hawkBit's 128-character and
//!   100-entry limits, with what does not fit reported by
//!   `TwinAttributes::explain`.
//!
//! # Crash safety
//!
//! Before writing, the engine journals every planned operation with an id;
//! after each write, its outcome. On restart, [`Engine::sync_once`] first
//! finishes journaled operations without an outcome. Writes are idempotent
//! through etags and ids: a create that finds its device already there with
//! the planned content, an update whose etag changed to the planned content,
//! a delete that finds nothing, are recorded as already applied. The result:
//! each operation applied and recorded exactly once ([`journal::audit`]).
//!
//! # Feature flags
//!
//! | feature | default | what it adds |
//! | --- | --- | --- |
//! | `memory` | yes | [`MemoryRegistry`], [`MemoryFeed`], [`Fault`]: an in-memory registry with fault injection |
//! | `test-util` | no | `journal::CrashAfter`: a journal wrapper that simulates a process kill after N records |
//! | `postgres` | no | `journal::PostgresJournal`: the journal in a PostgreSQL table (one journal per sync name, one replica at a time per journal), over `tokio-postgres` |
//! | `hawkbit` | no | `hawkbit::HawkbitRegistry`: a hawkBit tenant over the Management API (basic auth; tags as target metadata, soft delete as a target tag, attributes written through DDI `configData` with `ddi-client` under the gateway token) and `hawkbit::HawkbitChangeFeed`, its changes polled by `lastModifiedAt` as an `EventSource`; over `reqwest` |
//! | `twin-mapping` | no | `TwinAttributes`: `twin-model`'s twin → hawkBit attribute and metadata mapping as an [`AttributeMapping`] |
//! | `iothub` | no | `iothub::IotHubRegistry`: an Azure IoT Hub over its REST data plane (SAS tokens from a connection string; query listing, bulk `POST /devices` writes, import jobs through blob containers), over `reqwest` with `twin-model`'s documents |
//!
//! Examples: `plan_scale` (plan N vs N devices with 1 % drift) and
//! `sync_scale` (a full sync of N devices through the file journal, optionally
//! rate limited on a simulated clock; `single`, `bulk` or `job` route). The
//! benchmarks proper (`sync_plan`, `sync_throttled`, `sync_crash`) are in the
//! workspace's `benches` crate, with figures in `BENCHMARKS.md`.
//!
//! # Stability
//!
//! * Public enums and record structs are `#[non_exhaustive]`: new variants
//!   and fields come in minor versions.
//! * [`Error`] is opaque: classify it with its predicates or [`ErrorKind`];
//!   its `Display` text is not stable and never contains a source or secret.
//! * The journal frame format (`len u32 LE | crc32c u32 LE | JSON record`) and
//!   the record JSON are versioned with the crate: a change that old journals
//!   cannot be read with is a breaking change. So are the `PostgresJournal`
//!   table (schema in `journal::PostgresJournal`'s docs) and its lock keys.
//! * Secrets ([`Secret`]) never appear in `Debug`, logs or outcomes; they are
//!   stored in the journal file (mode 0600) when keys are synced.

mod change;
mod device;
mod engine;
mod error;
mod event_filter;
pub mod eventgrid;
#[cfg(feature = "hawkbit")]
pub mod hawkbit;
mod inbox;
#[cfg(feature = "iothub")]
pub mod iothub;
pub mod journal;
pub mod lifecycle;
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
mod twin_json;
#[cfg(feature = "twin-mapping")]
mod twin_mapping;

pub use change::{ChangeEvent, ChangeKind, EventOrder, EventSource};
pub use device::{Credentials, DeviceId, DeviceRecord, DeviceStatus, Etag, Secret};
pub use engine::{Engine, EngineConfig, RunReport};
pub use error::{Error, ErrorKind, Result};
pub use event_filter::EventFilter;
pub use inbox::{EventGridInbox, EventGridSource, InboxReply, event_grid_inbox};
pub use mapping::{AttributeMapping, DirectMapping, FnMapping, ReportedAsAttributes};
#[cfg(feature = "memory")]
pub use memory::{Fault, MemoryFeed, MemoryRegistry, Mutation, MutationKind};
pub use operation::{Changes, Operation, Precondition, Reason};
pub use outcome::{Counters, IgnoreReason, InputKind, Outcome};
pub use plan::{Deferred, Plan, PlanError, PlannedOp, Planner, SkipReason, Skipped};
pub use policy::{Completeness, MassDeleteGuard, Policy, Removal, Scope, SyncFields};
pub use properties::Properties;
pub use rate::{IotHubTier, RateLimit, TokenBucket};
pub use registry::{
    Capabilities, ExternalRegistry, JobId, JobItemFailure, JobStatus, Page, PageToken,
    fetch_snapshot, list_stream,
};
pub use retry::RetryPolicy;
pub use snapshot::Snapshot;
#[cfg(feature = "twin-mapping")]
pub use twin_mapping::{TwinAttributes, TwinMappingReport};
