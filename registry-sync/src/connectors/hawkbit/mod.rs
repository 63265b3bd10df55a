//! hawkBit Management API connector (feature `hawkbit`).
//!
//! [`HawkbitRegistry`] keeps one hawkBit tenant's targets as an
//! [`ExternalRegistry`](crate::registry::ExternalRegistry), as master or replica.
//!
//! An in-memory hub (feature `memory`) synced into a hawkBit tenant:
//!
#![cfg_attr(feature = "memory", doc = "```")]
#![cfg_attr(not(feature = "memory"), doc = "```ignore")]
//! use registry_sync::connectors::hawkbit::{HawkbitConfig, HawkbitRegistry};
//! use registry_sync::connectors::memory::MemoryRegistry;
//! use registry_sync::model::{Credentials, Secret};
//! use registry_sync::plan::DirectMapping;
//! use registry_sync::{DeviceRecord, Engine, Planner, Policy, Scope};
//! use std::sync::Arc;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let server = testkit::ddi::DdiServer::builder()
//! #     .tenant("DEFAULT", testkit::ddi::TenantConfig::with_gateway_token("gateway-token"))
//! #     .mgmt_user("DEFAULT", "admin", "admin-password")
//! #     .start();
//! # let url = server.url();
//! // url: the hawkBit server root, e.g. "https://hawkbit.example.com"
//! let mut config = HawkbitConfig::new(url, "DEFAULT", "admin", Secret::new("admin-password"));
//! config.gateway_token(Secret::new("gateway-token"));
//! let tenant = Arc::new(HawkbitRegistry::new(&config)?);
//!
//! let hub = Arc::new(MemoryRegistry::new("hub"));
//! hub.seed([DeviceRecord::new("sensor-1")
//!     .with_credentials(Credentials::new(Secret::new("device-token"), None))
//!     .with_tag("site", "berlin")
//!     .with_attribute("fw", "1.2")]);
//! let policy = Policy::new(Scope::tag("managedBy", "hub-eu1"));
//! let planner = Planner::new(&policy, Arc::new(DirectMapping))?;
//! let engine = Engine::builder(hub, tenant, planner).build()?;
//! assert_eq!(engine.sync_once().await?.created, 1);
//! // target sensor-1 now has token "device-token", metadata site=berlin and
//! // managedBy=hub-eu1, and attribute fw=1.2
//! assert_eq!(engine.sync_once().await?.applied(), 0);
//! # tokio::task::spawn_blocking(move || drop(server)).await?;
//! # Ok(())
//! # }
//! ```
//!
//! # Mapping
//!
//! | record | target |
//! | --- | --- |
//! | `id` | `controllerId` (and `name` of created targets) |
//! | `credentials.primary` | `securityToken` (secondary not stored); a created target without credentials gets hawkBit's generated 32-hex token |
//! | `tags` | target **metadata**, one entry per tag; the ownership tag of a [`Scope::Tag`](crate::plan::Scope::Tag) (e.g. `managedBy=hub-eu1`) is a metadata entry like any other |
//! | `attributes` | target attributes: read with `GET /rest/v1/targets/{id}/attributes`, written as the device would, with DDI `PUT …/configData` (`mode: replace`) under the tenant's **gateway token** through `ddi-client` |
//! | `status` | enabled, or soft-deleted (below) |
//! | the tags named with [`HawkbitConfig::name_tag`] / [`HawkbitConfig::description_tag`] | the target's `name` / `description` (not metadata); without them names stay the `controllerId` and descriptions are left alone |
//!
//! hawkBit's limits are checked before any request (a refused record changes
//! nothing): `controllerId` 1–256 characters without whitespace, token 1–128,
//! metadata key ≤ 128 / value ≤ 4000 / 100 entries (the reason entry
//! included), attributes key and value ≤ 128 characters of hawkBit's
//! allowed set, 100 entries (`twin-model`'s limits; its IoT Hub twin mapping
//! produces attributes within them).
//!
//! # What hawkBit lacks, and what stands in
//!
//! * **No etags** in the Management API: [`Capabilities::etags`](crate::registry::Capabilities::etags)
//!   is `false` and preconditions are not checked; concurrent writers are
//!   last-writer-wins.
//! * **No disable**: soft delete assigns a target tag (default `disabled`,
//!   created on first use) and writes the reason to the metadata key
//!   `registrySync.disabledReason`. The target, its token, its action history
//!   and attributes stay; DDI keeps answering it (hawkBit has no way to lock
//!   a target out short of changing its token). Reading a target with the tag
//!   gives `DeviceStatus::Disabled` with that reason; writing an enabled
//!   record removes the tag and the reason. Both marks are configurable
//!   ([`HawkbitConfig::soft_delete_marks`]).
//! * **Attributes are device-owned**: only DDI (or DMF) writes them, so
//!   attribute changes need [`HawkbitConfig::gateway_token`]; without it
//!   they fail with `Unsupported`.
//! * **Not atomic**: a create is a `POST /targets` followed by metadata,
//!   tag and attribute writes. Transient failures of the follow-ups are
//!   retried inside the call. A create that meets an existing target with
//!   the record's own token and nothing else on it (the `POST` of an earlier
//!   attempt went through, then its answer was lost or the process died)
//!   finishes that target instead of failing with `AlreadyExists`, so the
//!   engine's retry, or its resume from the journal, completes it; the token
//!   is the device's secret, so a foreign target cannot pass for it. Records
//!   without credentials have no such proof: their half-made targets fail
//!   the retry and are updated by the next sync (with an id-prefix scope) or
//!   stay foreign to a tag scope until removed. The same holds for a create
//!   whose metadata writes keep failing until the engine gives up
//!   (`FailedAfterRetries`): with a tag scope, the ownership tag is metadata,
//!   so later syncs see a foreign target.
//!
//! # Cost and consistency
//!
//! hawkBit lists targets without their metadata, tags or attributes, so a
//! page of `n` targets costs `1 + 3n` requests (the lookups run
//! [`HawkbitConfig::lookups_in_flight`] at a time); a scoping filter
//! keeps `n` to this sync's targets. Pages are `offset`/`limit` sorted by
//! `controllerId` (the page token is the offset): a target created or
//! deleted by someone else while a listing is under way can shift a page by
//! one, which the next full sync corrects.
//!
//! # Change feed
//!
//! hawkBit pushes no change events to REST clients. With hawkBit as master,
//! [`HawkbitChangeFeed`] stands in: an [`EventSource`](crate::registry::EventSource)
//! that polls `GET /targets?q=lastModifiedAt=ge=…` (within the connector's
//! filter) every few seconds, so a change reaches the replica without a full
//! sync, at the cost of one request per poll while nothing changes instead
//! of `1 + 3n` per full sync. What it cannot see, the periodic full sync
//! still finds:
//!
//! * deletions (a deleted target no longer lists);
//! * attributes written by devices over DDI: hawkBit keeps them in a
//!   collection of the target, and whether writing them moves the target's
//!   `lastModifiedAt` is not verified (testkit's simulator does not move it);
//! * changes whose timestamps fall behind the overlap window (60 s by
//!   default; see [`ChangeFeedBuilder::overlap`]).
//!
//! ```no_run
//! # use registry_sync::connectors::hawkbit::{HawkbitChangeFeed, HawkbitRegistry};
//! # use registry_sync::{Engine, EventSource};
//! # use std::sync::Arc;
//! # async fn run(engine: Engine, tenant: Arc<HawkbitRegistry>) -> registry_sync::Result<()> {
//! let feed: Arc<dyn EventSource> = Arc::new(HawkbitChangeFeed::builder(&tenant).start().await?);
//! engine.run(Some(feed), std::future::pending()).await
//! # }
//! ```
//!
//! # Several hubs into one tenant
//!
//! Each sync uses its own [`Scope`](crate::plan::Scope): with `Scope::tag("managedBy",
//! "hub-eu1")` the tag lands as metadata `managedBy=hub-eu1` and the planner
//! only touches targets carrying it; with `Scope::id_prefix("eu1-")` only
//! targets whose id starts with the prefix. [`HawkbitConfig::scope_filter`]
//! gives the matching FIQL filter (`metadata.managedBy=="hub-eu1"`,
//! `controllerId=="eu1-*"`) so listing reads only this sync's targets.
//!
//! # Errors
//!
//! 429 → `Throttled` (with `Retry-After`), 5xx and connection failures →
//! `Unavailable`, timeouts → `Timeout`, 404 → `NotFound`, 409 →
//! `AlreadyExists`, 401/403 → `Unauthorized`, hawkBit quota errors (`errorCode`
//! `hawkbit.server.error.quota.*`, 403 or 429) and other 4xx → `Rejected`,
//! unreadable JSON → `Decode`. The password and tokens never appear in
//! `Debug`, errors or logs.

mod changes;
mod config;
mod mapping;
mod mgmt;
mod model;
mod registry;

pub use changes::{ChangeFeedBuilder, HawkbitChangeFeed};
pub use config::{DEFAULT_DISABLED_TAG, DEFAULT_REASON_KEY, HawkbitConfig};
pub use mapping::TargetMapping;
pub use registry::HawkbitRegistry;
