//! An in-process Azure IoT Hub registry simulator (data plane over REST).
//!
//! [`IotHubServer`] answers on `127.0.0.1` (its own thread and runtime) what
//! a registry-sync connector uses, following `shared/reference/twin-registry.md`
//! §1-2:
//!
//! - `api-version` [`API_VERSION`] required (400 without); SAS tokens
//!   (`SharedAccessSignature sr=..&sig=..&se=..&skn=..`) checked against the
//!   hub's policies: a bad signature, unknown policy or expired `se` is a 401
//!   with IoT Hub's `{"Message":"ErrorCode:IotHubUnauthorizedAccess;..."}` body;
//! - identities (`PUT/GET/DELETE /devices/{id}`): create without `If-Match`
//!   (409 `DeviceAlreadyExists` if present), update with `If-Match` (412
//!   `PreconditionFailed`, `*` allowed), id rules (400 `ArgumentInvalid`),
//!   generation ids, a fresh etag on every write, SAS keys generated when
//!   `authentication` is absent, `status`/`statusReason`/`statusUpdatedTime`;
//! - twins (`GET/PATCH/PUT /twins/{id}`): tags and desired properties (merge
//!   patch, `null` removes), twin etag and `version`, the §1.2 rules (keys
//!   without `.`/`$`/space/control characters, 10 levels, 8 KB of tags,
//!   32 KB of desired properties) enforced on every write path; [`IotHubServer::report`]
//!   sets reported properties as a device would;
//! - query (`POST /devices/query`): `SELECT * FROM devices` with optional
//!   `WHERE` equalities on `deviceId`, `status` and `tags.x.y` joined by
//!   `AND`; `x-ms-max-item-count` pages and `x-ms-continuation` in and out,
//!   each page a range seek in id order (O(page) without a filter);
//! - bulk (`POST /devices`): up to 100 `ExportImportDevice` entries, each
//!   device once, every `importMode`, `BulkRegistryOperationResult` with
//!   per-device errors (200 when all succeeded, 400 otherwise);
//! - import jobs (`POST /jobs/create`, `GET /jobs/{id}`) over a built-in blob
//!   store (`PUT/GET /blob/{container}/{name}?<sas>`, `x-ms-blob-type:
//!   BlockBlob`), one active job at a time (409), `importErrors.log` written
//!   to the output container;
//! - [throttling](Throttling) per operation class by tier and units or by an
//!   explicit rate, 429 `ThrottlingException`, bulk calls charged per device;
//! - [faults](FaultRule) aimed at a route and optionally a device: 5xx,
//!   delays, dropped connections, failures of single bulk or job items;
//! - `Microsoft.Devices.DeviceCreated`/`DeviceDeleted` events in the Event
//!   Grid schema for every identity created or deleted, on a channel
//!   ([`IotHubServer::subscribe_events`]);
//! - request counters per [`Route`], an applied-[`Mutation`] log (to assert
//!   every write happened exactly once), twin and identity snapshots; 100,000
//!   devices are a `BTreeMap` of small structs.
//!
//! The simulator writes IoT Hub's JSON itself and shares no code with the
//! connector, so it checks that client independently. Not simulated: modules,
//! configurations, scheduled jobs, export jobs, other Event Grid event
//! types, device-side protocols, the query language beyond the subset above.
//!
//! # Quick start
//!
//! ```
//! use std::time::Duration;
//! use testkit::iothub::{API_VERSION, IotHubServer, Route};
//!
//! let hub = IotHubServer::start("myhub");
//! let http = reqwest::blocking::Client::new();
//! let put = http
//!     .put(format!("{}/devices/sensor-1?api-version={API_VERSION}", hub.url()))
//!     .header("Authorization", hub.sas_token(Duration::from_secs(600)))
//!     .body(r#"{"deviceId":"sensor-1"}"#)
//!     .send()
//!     .unwrap();
//! assert_eq!(put.status(), 200);
//! let identity = hub.identity("sensor-1").unwrap();
//! assert_eq!(identity["authentication"]["type"], "sas");
//! assert_eq!(hub.requests(Route::DevicePut), 1);
//! assert_eq!(hub.mutations().len(), 1);
//!
//! // Without a token: 401 with IoT Hub's error body.
//! let denied = http
//!     .get(format!("{}/devices/sensor-1?api-version={API_VERSION}", hub.url()))
//!     .send()
//!     .unwrap();
//! assert_eq!(denied.status(), 401);
//! assert!(denied.text().unwrap().contains("IotHubUnauthorizedAccess"));
//! ```

mod error;
mod events;
mod faults;
mod http;
mod import;
mod jobs;
mod limits;
mod query;
mod sas;
mod server;
mod store;
mod throttle;

pub use faults::{FaultRule, HubFault, Route};
pub use http::API_VERSION;
pub use server::{IotHubServer, IotHubServerBuilder, OWNER_POLICY};
pub use store::{Mutation, MutationKind};
pub use throttle::{HubTier, OperationClass, Throttling};

#[cfg(test)]
mod tests;
