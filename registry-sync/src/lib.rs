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
//! # Modules
//!
//! One module per layer, each depending only on those above it:
//!
//! * [`model`]: device records, ids, credentials, properties, snapshots, change events.
//! * [`plan`]: the pure planner, its policy (scope, removal, completeness, fields, guard), operations.
//! * [`journal`]: the durable journal (file, PostgreSQL, memory), recovery and audit.
//! * [`registry`]: the `ExternalRegistry` and `EventSource` traits, pages, capabilities, jobs.
//! * [`engine`]: the async driver, its builder and settings, outcomes, reports, rate limits, retries.
//! * [`connectors`]: IoT Hub, hawkBit and in-memory registries, Event Grid and lifecycle decoding.
//!
//! The names most programs need are also at the crate root: [`Engine`],
//! [`Planner`], [`Policy`], [`Scope`], [`DeviceRecord`], [`DeviceId`],
//! [`ExternalRegistry`], [`EventSource`], [`Error`], [`ErrorKind`], [`Result`]
//! and the [`async_trait`](macro@async_trait) attribute the traits are implemented with.
//!
//! # Quick start
//!
//! Two in-memory registries (feature `memory`), synced once:
//!
#![cfg_attr(feature = "memory", doc = "```")]
#![cfg_attr(not(feature = "memory"), doc = "```ignore")]
//! use registry_sync::connectors::memory::MemoryRegistry;
//! use registry_sync::plan::DirectMapping;
//! use registry_sync::{DeviceRecord, Engine, Planner, Policy, Scope};
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
//! let planner = Planner::new(&policy, Arc::new(DirectMapping))?;
//! // .journal(Arc::new(FileJournal::open(path)?)) before .build() survives crashes
//! let engine = Engine::builder(hub.clone(), tenant.clone(), planner).build()?;
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
//! * **Removal** ([`Removal`](plan::Removal)): delete, or soft delete (disable
//!   with a reason).
//! * **Completeness** ([`Completeness`](plan::Completeness)): required tags /
//!   reported properties; incomplete master devices are deferred (full sync)
//!   or waited for with backoff and a total timeout (event path).
//! * **Fields** ([`FieldSet`](plan::FieldSet)): which of status, credentials,
//!   tags and attributes the master overwrites, named one by one.
//! * **Mass-delete guard** ([`MassDeleteGuard`](plan::MassDeleteGuard)): a
//!   plan removing more than a fraction of the owned devices is refused
//!   unless forced.
//! * **Mapping** ([`AttributeMapping`](plan::AttributeMapping)): turns a
//!   master device's tags and reported properties into the replica's tags and
//!   attributes; `twin-model`'s twin-to-hawkBit mapping plugs in here as
//!   [`TwinAttributes`](plan::TwinAttributes): hawkBit's 128-character and
//!   100-entry limits, with what does not fit reported by
//!   [`TwinAttributes::explain`](plan::TwinAttributes::explain).
//!
//! # Settings
//!
//! Every settings type ([`EngineConfig`](engine::EngineConfig),
//! [`Policy`], [`RetryPolicy`](engine::RetryPolicy),
//! [`MassDeleteGuard`](plan::MassDeleteGuard), the connectors' configs, …)
//! is built the same way: required values in `new`, then `&mut self` setters
//! that each document their default, read back with `get_*` where callers
//! need to. Values are checked where they are used, when the engine, planner
//! or connector is built, with an [`ErrorKind::InvalidConfig`] error naming
//! the setting; setters never fail or panic. Records
//! ([`DeviceRecord`], [`ChangeEvent`](model::ChangeEvent), …) are plain data:
//! public fields, `new` and `with_*` methods.
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
//! This needs a durable journal ([`journal::FileJournal`], or
//! `journal::PostgresJournal`); the builder's default journal lives in
//! memory.
//!
//! # Feature flags
//!
//! None is on by default.
//!
//! | feature | what it adds |
//! | --- | --- |
//! | `iothub` | `connectors::iothub::IotHubRegistry`: an Azure IoT Hub over its REST data plane (SAS tokens from a connection string; query listing, bulk `POST /devices` writes, import jobs through blob containers), over `reqwest` with `twin-model`'s documents |
//! | `hawkbit` | `connectors::hawkbit::HawkbitRegistry`: a hawkBit tenant over the Management API (basic auth; tags as target metadata, soft delete as a target tag, attributes written through DDI `configData` with `ddi-client` under the gateway token) and `connectors::hawkbit::HawkbitChangeFeed`, its changes polled by `lastModifiedAt` as an `EventSource`; over `reqwest` |
//! | `postgres` | `journal::PostgresJournal`: the journal in a PostgreSQL table (one journal per sync name, one replica at a time per journal), over `tokio-postgres` |
//! | `memory` | `connectors::memory::MemoryRegistry`: an in-memory registry that honours etags, soft delete, bulk calls and import jobs, with a change feed and deterministic fault injection; for tests, examples and demos |
//! | `test-support` | `journal::CrashAfter`: a journal wrapper that simulates a process kill after N records, for crash tests and benchmarks. **Not covered by semver**: it may change or go in any release |
//!
//! Examples: `plan_scale` (plan N vs N devices with 1 % drift) and
//! `sync_scale` (a full sync of N devices through the file journal, optionally
//! rate limited on a simulated clock; `single`, `bulk` or `job` route; feature
//! `memory`). The benchmarks proper (`sync_plan`, `sync_throttled`,
//! `sync_crash`) are in the workspace's `benches` crate, with figures in
//! `BENCHMARKS.md`.
//!
//! # Dependency types in the public API
//!
//! Types of other crates appear in this crate's API only here, on purpose:
//!
//! * `twin-model` (the same workspace and release train): [`model::Secret`]
//!   (re-exported) in credentials and connector settings; with `iothub`,
//!   `ExportImportDevice` in `connectors::iothub::{import_line_for,
//!   record_from_import_line}`; with `hawkbit`, the Management API's `Target`,
//!   `Tag` and `MetadataEntry` in `connectors::hawkbit::TargetMapping`; and
//!   its mapping reports and `AttributeOptions` in
//!   [`plan::TwinAttributes`]. Use the `twin-model` release this crate
//!   depends on.
//! * `async-trait`: the [`async_trait`](macro@async_trait) attribute, re-exported, is how
//!   [`ExternalRegistry`], [`EventSource`] and
//!   [`journal::JournalStore`] are implemented (they are used as trait
//!   objects, which native `async fn` in traits cannot be yet).
//! * `futures-core`'s `Stream` (through `futures-util` 0.3), the
//!   ecosystem's stream trait: [`registry::list_stream`] and
//!   [`engine::Outcomes::into_stream`].
//! * With `postgres`: `tokio_postgres::Config` and its TLS connector traits
//!   (`MakeTlsConnect`) in `journal::PostgresJournal::connect_with`, a
//!   pass-through of what the caller built with `tokio-postgres` 0.7.
//!
//! Nothing else: no tokio channel, no `reqwest`, `time` or `bytes` type.
//!
//! # Stability
//!
//! * Public enums and record structs are `#[non_exhaustive]`: new variants
//!   and fields come in minor versions; settings types have private fields,
//!   so new settings come in minor versions too.
//! * [`Error`] is opaque: classify it with its predicates or [`ErrorKind`];
//!   its `Display` text is not stable and never contains a source or secret.
//! * The journal frame format (`len u32 LE | crc32c u32 LE | JSON record`) and
//!   the record JSON are versioned with the crate: a change that old journals
//!   cannot be read with is a breaking change. So are the `PostgresJournal`
//!   table (schema in `journal::PostgresJournal`'s docs) and its lock keys.
//! * Secrets ([`model::Secret`]) never appear in `Debug`, logs or outcomes;
//!   they are stored in the journal (file mode 0600) when keys are synced.
//! * Feature `test-support` is outside these promises.

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod connectors;
pub mod engine;
mod error;
pub mod journal;
pub mod model;
pub mod plan;
pub mod registry;
mod twin_json;

pub use async_trait::async_trait;
pub use engine::Engine;
pub use error::{Error, ErrorKind, Result};
pub use model::{DeviceId, DeviceRecord};
pub use plan::{Planner, Policy, Scope};
pub use registry::{EventSource, ExternalRegistry};

// The README's example is compiled and run as a doc test.
#[cfg(all(doctest, feature = "memory"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
