//! Azure IoT Hub connector (REST, SAS tokens), feature `iothub`.
//!
//! [`IotHubRegistry`] implements [`ExternalRegistry`] over IoT Hub's service
//! data plane (api-version [`API_VERSION`]), reusing `twin-model`'s
//! documents:
//!
//! | trait call | requests |
//! | --- | --- |
//! | `list` | `POST /devices/query` (`SELECT * FROM devices [WHERE ..]`), `x-ms-max-item-count`, continuation = [`PageToken`] |
//! | `get` | `GET /devices/{id}` + `GET /twins/{id}` |
//! | `create` / `update` | `POST /devices` with one `ExportImportDevice` (`create` / `updateIfMatchETag`), then `GET` for the new etag |
//! | `delete` | `DELETE /devices/{id}` with `If-Match` (`*` without an etag) |
//! | `disable` | `GET /devices/{id}`, then `PUT` it with `status: disabled`, `statusReason` and `If-Match` |
//! | `apply_bulk` | `POST /devices` with ≤ 100 lines, per-device `errors` classified |
//! | `start_import_job` / `job_status` | blob `PUT` of the lines, `POST /jobs/create`, `GET /jobs/{id}`, blob `GET importErrors.log` |
//!
//! **Why create and update are one bulk line, not identity `PUT` + twin
//! `PATCH`:** the two-call form is not atomic. When the `PATCH` fails after
//! the `PUT` succeeded, the engine's retry meets `409`/`412`, re-reads the
//! device, finds the tags missing and fails the operation for good. A
//! single `ExportImportDevice` carries identity, tags and desired
//! properties in one write (what the .NET SDK's `AddDeviceWithTwinAsync`
//! does), so a retry either finds everything or nothing.
//!
//! **Etags:** a record's etag is the *identity* etag (`deviceEtag` in query
//! rows). Writes are guarded by it (`If-Match`, `*IfMatchETag` modes); a
//! tag-only change made by someone else through `PATCH /twins` does not
//! change it and is overwritten by the next update.
//!
//! **Mapping** (see [`DeviceRecord`]): tags ↔ twin
//! tags, attributes ↔ desired properties, both flattened with `.`;
//! reported properties read only; status ↔ `status`/`statusReason`;
//! credentials ↔ SAS keys (read only with [`IotHubConfig::read_keys`], which
//! costs listings one identity read per device).
//!
//! # Quick start
//!
//! A memory registry (feature `memory`) synced into testkit's IoT Hub
//! simulator (a real hub takes the same calls without
//! [`IotHubConfig::base_url`]):
//!
#![cfg_attr(feature = "memory", doc = "```")]
#![cfg_attr(not(feature = "memory"), doc = "```ignore")]
//! use registry_sync::connectors::iothub::{ConnectionString, IotHubConfig, IotHubRegistry};
//! use registry_sync::connectors::memory::MemoryRegistry;
//! use registry_sync::plan::DirectMapping;
//! use registry_sync::{DeviceRecord, Engine, ExternalRegistry, Planner, Policy, Scope};
//! use std::sync::Arc;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let server = testkit::iothub::IotHubServer::start("myhub");
//! let cs = ConnectionString::parse(&server.connection_string(None).unwrap())?;
//! let hub = Arc::new(IotHubRegistry::new(IotHubConfig::new(cs).base_url(server.url()))?);
//!
//! let tenant = Arc::new(MemoryRegistry::new("tenant"));
//! tenant.seed([DeviceRecord::new("sensor-1").with_tag("site.name", "north")]);
//! let planner = Planner::new(&Policy::new(Scope::tag("managedBy", "sync")), Arc::new(DirectMapping))?;
//! let engine = Engine::builder(tenant, hub.clone(), planner).build()?;
//! let report = engine.sync_once().await?;
//! assert_eq!(report.created, 1);
//!
//! let twin = server.twin("sensor-1").unwrap();
//! assert_eq!(twin["tags"]["site"]["name"], "north");
//! let read = hub.get(&"sensor-1".into()).await?.unwrap();
//! assert_eq!(read.tags.get("managedBy"), Some("sync"));
//! # Ok(())
//! # }
//! ```
//!
//! Errors: 429 → `Throttled` (with `Retry-After` when sent), 5xx and
//! connection failures → `Unavailable`, timeouts → `Timeout`, 404 →
//! `NotFound`, 409 `DeviceAlreadyExists` → `AlreadyExists`, 412 →
//! `PreconditionFailed`, 401/403 → `Unauthorized`, other 4xx → `Rejected`,
//! bad JSON → `Decode`. The key, tokens and container SAS URLs never appear
//! in `Debug`, `Display`, errors or logs.

mod classify;
mod client;
mod config;
mod connection;
mod jobs;
mod mapping;
mod sas;

pub use client::API_VERSION;
pub use config::IotHubConfig;
pub use connection::{ConnectionString, ConnectionStringError};
pub use sas::{TokenPolicy, sas_token};

use crate::error::{Error, ErrorKind, Result};
use crate::model::{DeviceId, DeviceRecord, Secret};
use crate::plan::{Operation, Precondition};
use crate::registry::{Capabilities, ExternalRegistry, JobId, JobStatus, Page, PageToken};
use async_trait::async_trait;
use client::{Client, segment};
use jobs::JobBook;
use reqwest::Method;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use twin_model::iothub::identity::{BulkRegistryOperationResult, DeviceIdentity};
use twin_model::iothub::import_export::ExportImportDevice;
use twin_model::iothub::job::{JobProperties, JobType};
use twin_model::iothub::query::{QueryItems, QueryPage};
use twin_model::iothub::status::DeviceStatus as HubStatus;
use twin_model::iothub::twin::Twin;

/// Largest bulk call IoT Hub accepts.
pub const MAX_BULK: usize = 100;
/// Largest query page IoT Hub returns.
pub const MAX_PAGE: usize = 1000;

/// An IoT Hub as an [`ExternalRegistry`].
pub struct IotHubRegistry {
    name: String,
    client: Client,
    jobs: Mutex<HashMap<String, JobBook>>,
    blob_counter: AtomicU64,
}

impl std::fmt::Debug for IotHubRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IotHubRegistry")
            .field("name", &self.name)
            .field("base", &self.client.base())
            .finish_non_exhaustive()
    }
}

/// Converts an operation into a bulk/import line, keeping mapping failures per item.
fn lines(operations: &[Operation]) -> (Vec<ExportImportDevice>, Vec<(usize, Error)>) {
    let mut ok = Vec::with_capacity(operations.len());
    let mut bad = Vec::new();
    for (i, op) in operations.iter().enumerate() {
        match mapping::import_line(op) {
            Ok(l) => ok.push(l),
            Err(e) => bad.push((i, e)),
        }
    }
    (ok, bad)
}

impl IotHubRegistry {
    /// A connector with `config`.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidConfig`] naming a setting out of range, or
    /// [`ErrorKind::Unsupported`] when the HTTP client cannot be built (TLS
    /// backend).
    pub fn new(config: &IotHubConfig) -> Result<Self> {
        config.validate()?;
        let name = format!("iothub:{}", config.connection.hub_name());
        Ok(Self {
            name,
            client: Client::new(config.clone())?,
            jobs: Mutex::new(HashMap::new()),
            blob_counter: AtomicU64::new(0),
        })
    }

    /// SAS tokens signed so far (renewals included).
    pub fn tokens_issued(&self) -> u64 {
        self.client.tokens_issued()
    }

    fn device_path(id: &DeviceId) -> String {
        format!("/devices/{}", segment(id.as_str()))
    }

    async fn identity(&self, id: &DeviceId) -> Result<Option<DeviceIdentity>> {
        let path = Self::device_path(id);
        let a = self
            .client
            .hub(Method::GET, &path, &[], None, "GET /devices")
            .await?;
        match a.status {
            404 => Ok(None),
            _ if a.is_success() => a.json("identity").map(Some),
            _ => Err(a
                .error("GET /devices")
                .with_context(format!("GET /devices/{id}"))),
        }
    }

    /// One bulk call; `Err` only for a failure of the whole call.
    async fn bulk(&self, lines: &[ExportImportDevice]) -> Result<HashMap<String, ErrorKind>> {
        let body = serde_json::to_vec(lines).map_err(|e| {
            Error::new(ErrorKind::Rejected)
                .with_context("bulk body")
                .with_source(e)
        })?;
        let a = self
            .client
            .hub(Method::POST, "/devices", &[], Some(body), "POST /devices")
            .await?;
        if !(a.is_success() || a.status == 400) {
            return Err(a.error("POST /devices"));
        }
        let result: BulkRegistryOperationResult = match a.json("bulk result") {
            Ok(r) => r,
            Err(e) if a.status == 400 => return Err(a.error("POST /devices").with_source(e)),
            Err(e) => return Err(e),
        };
        if a.status == 400 && result.errors.is_empty() {
            // A refusal of the call itself (too many devices, bad body).
            return Err(a.error("POST /devices"));
        }
        Ok(result
            .errors
            .into_iter()
            .map(|e| (e.device_id, classify::kind_of_item(&e.error_code)))
            .collect())
    }

    /// Writes one operation as a single-line bulk call.
    async fn write_one(&self, op: &Operation) -> Result<()> {
        let line = mapping::import_line(op)?;
        let errors = self.bulk(std::slice::from_ref(&line)).await?;
        match errors.get(&line.id) {
            None => Ok(()),
            Some(kind) => Err(Error::new(*kind).with_context(format!("{} {}", op.name(), line.id))),
        }
    }

    /// The device as stored after a successful write. When the read-back
    /// fails (throttled, gone again) the write still succeeded, so the
    /// record as written is returned without an etag rather than an error
    /// that would make the caller retry an applied write.
    async fn written(&self, device: &DeviceRecord) -> DeviceRecord {
        match self.get(&device.id).await {
            Ok(Some(r)) => r,
            Ok(None) | Err(_) => {
                let mut d = device.clone();
                d.etag = None;
                d
            }
        }
    }

    fn containers(&self) -> Result<(&Secret, &Secret)> {
        self.client
            .config()
            .containers
            .as_ref()
            .map(|(i, o)| (i, o))
            .ok_or_else(|| {
                Error::new(ErrorKind::Unsupported).with_context("import jobs need job containers")
            })
    }

    /// Reads the identity of every listed device (eight at a time) for its
    /// keys, so that listed and single records compare alike.
    async fn fill_keys(&self, devices: &mut [DeviceRecord]) -> Result<()> {
        use futures_util::StreamExt;
        let ids: Vec<DeviceId> = devices.iter().map(|d| d.id.clone()).collect();
        let identities: Vec<Result<Option<DeviceIdentity>>> = futures_util::stream::iter(
            ids.into_iter()
                .map(|id| async move { self.identity(&id).await }),
        )
        .buffered(8)
        .collect()
        .await;
        for (d, identity) in devices.iter_mut().zip(identities) {
            // A device deleted since the query keeps its twin data, without keys.
            if let Some(identity) = identity? {
                mapping::merge_identity(d, &identity, true);
            }
        }
        Ok(())
    }

    fn query_text(&self) -> String {
        match &self.client.config().filter {
            Some(w) => format!("SELECT * FROM devices WHERE {w}"),
            None => "SELECT * FROM devices".into(),
        }
    }
}

#[async_trait]
impl ExternalRegistry for IotHubRegistry {
    fn name(&self) -> &str {
        &self.name
    }

    fn capabilities(&self) -> Capabilities {
        let mut caps = Capabilities::new();
        caps.max_bulk(Some(MAX_BULK))
            .soft_delete(true)
            .etags(true)
            .max_page_size(MAX_PAGE)
            .import_jobs(self.client.config().containers.is_some());
        caps
    }

    async fn list(&self, cursor: Option<&PageToken>, limit: usize) -> Result<Page> {
        let mut headers = vec![("x-ms-max-item-count", limit.clamp(1, MAX_PAGE).to_string())];
        if let Some(c) = cursor {
            headers.push(("x-ms-continuation", c.as_str().to_owned()));
        }
        let body = json!({ "query": self.query_text() })
            .to_string()
            .into_bytes();
        let a = self
            .client
            .hub(
                Method::POST,
                "/devices/query",
                &headers,
                Some(body),
                "POST /devices/query",
            )
            .await?;
        if !a.is_success() {
            return Err(a.error("POST /devices/query"));
        }
        let page = QueryPage::decode(
            a.header("x-ms-item-type").unwrap_or("twin"),
            a.header("x-ms-continuation"),
            &a.body,
        )
        .map_err(|e| {
            Error::new(ErrorKind::Decode)
                .with_context("query page")
                .with_source(e)
        })?;
        let QueryItems::Twins(twins) = page.items else {
            return Err(Error::new(ErrorKind::Decode).with_context("query page has no twins"));
        };
        let mut devices: Vec<DeviceRecord> = twins.iter().map(mapping::record_from_twin).collect();
        if self.client.config().read_keys {
            self.fill_keys(&mut devices).await?;
        }
        Ok(Page::new(devices, page.continuation.map(PageToken::new)))
    }

    async fn get(&self, id: &DeviceId) -> Result<Option<DeviceRecord>> {
        let Some(identity) = self.identity(id).await? else {
            return Ok(None);
        };
        let path = format!("/twins/{}", segment(id.as_str()));
        let a = self
            .client
            .hub(Method::GET, &path, &[], None, "GET /twins")
            .await?;
        if a.status == 404 {
            return Ok(None);
        }
        if !a.is_success() {
            return Err(a
                .error("GET /twins")
                .with_context(format!("GET /twins/{id}")));
        }
        let twin: Twin = a.json("twin")?;
        let mut r = mapping::record_from_twin(&twin);
        mapping::merge_identity(&mut r, &identity, self.client.config().read_keys);
        Ok(Some(r))
    }

    async fn create(&self, device: &DeviceRecord) -> Result<DeviceRecord> {
        self.write_one(&Operation::Create {
            device: device.clone(),
        })
        .await?;
        Ok(self.written(device).await)
    }

    async fn update(
        &self,
        device: &DeviceRecord,
        precondition: &Precondition,
    ) -> Result<DeviceRecord> {
        self.write_one(&Operation::Update {
            device: device.clone(),
            precondition: precondition.clone(),
        })
        .await?;
        Ok(self.written(device).await)
    }

    async fn delete(&self, id: &DeviceId, precondition: &Precondition) -> Result<()> {
        let tag = match precondition {
            Precondition::IfMatch(e) => format!("\"{}\"", e.as_str()),
            _ => "*".into(),
        };
        let a = self
            .client
            .hub(
                Method::DELETE,
                &Self::device_path(id),
                &[("If-Match", tag)],
                None,
                "DELETE /devices",
            )
            .await?;
        if a.is_success() {
            Ok(())
        } else {
            Err(a
                .error("DELETE /devices")
                .with_context(format!("DELETE /devices/{id}")))
        }
    }

    async fn disable(
        &self,
        id: &DeviceId,
        reason: &str,
        precondition: &Precondition,
    ) -> Result<DeviceRecord> {
        let Some(mut identity) = self.identity(id).await? else {
            return Err(Error::new(ErrorKind::NotFound).with_context(id.to_string()));
        };
        let current = identity.etag.as_ref().map(|e| e.as_str().to_owned());
        let tag = match precondition {
            Precondition::IfMatch(want) => {
                if current.as_deref() != Some(want.as_str()) {
                    return Err(
                        Error::new(ErrorKind::PreconditionFailed).with_context(id.to_string())
                    );
                }
                want.as_str().to_owned()
            }
            _ => current.unwrap_or_else(|| "*".into()),
        };
        identity.status = Some(HubStatus::Disabled);
        identity.status_reason = Some(reason.to_owned());
        let body = serde_json::to_vec(&identity).map_err(|e| {
            Error::new(ErrorKind::Rejected)
                .with_context("identity body")
                .with_source(e)
        })?;
        let header = if tag == "*" {
            tag
        } else {
            format!("\"{tag}\"")
        };
        let a = self
            .client
            .hub(
                Method::PUT,
                &Self::device_path(id),
                &[("If-Match", header)],
                Some(body),
                "PUT /devices",
            )
            .await?;
        if !a.is_success() {
            return Err(a
                .error("PUT /devices")
                .with_context(format!("PUT /devices/{id}")));
        }
        let mut fallback = DeviceRecord::new(id.clone());
        fallback.status = crate::model::DeviceStatus::disabled(reason);
        Ok(self.written(&fallback).await)
    }

    async fn apply_bulk(&self, operations: &[Operation]) -> Result<Vec<Result<()>>> {
        if operations.len() > MAX_BULK {
            return Err(Error::new(ErrorKind::Rejected).with_context(format!(
                "{} operations in one bulk call, at most {MAX_BULK}",
                operations.len()
            )));
        }
        let (ok, bad) = lines(operations);
        let errors = if ok.is_empty() {
            HashMap::new()
        } else {
            self.bulk(&ok).await?
        };
        let mut bad: HashMap<usize, Error> = bad.into_iter().collect();
        Ok(operations
            .iter()
            .enumerate()
            .map(|(i, op)| {
                if let Some(e) = bad.remove(&i) {
                    return Err(e);
                }
                match errors.get(op.device_id().as_str()) {
                    None => Ok(()),
                    Some(kind) => Err(Error::new(*kind).with_context(format!(
                        "{} {}",
                        op.name(),
                        op.device_id()
                    ))),
                }
            })
            .collect())
    }

    async fn start_import_job(&self, operations: &[Operation]) -> Result<JobId> {
        let (input, output) = self.containers()?;
        let (ok, bad) = lines(operations);
        let mut blob = Vec::with_capacity(ok.len() * 160);
        for line in &ok {
            serde_json::to_writer(&mut blob, line).map_err(|e| {
                Error::new(ErrorKind::Rejected)
                    .with_context("import line")
                    .with_source(e)
            })?;
            blob.push(b'\n');
        }
        let n = self.blob_counter.fetch_add(1, Ordering::Relaxed);
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        let blob_name = format!("registry-sync-{stamp}-{n}.txt");
        let a = self
            .client
            .blob(
                Method::PUT,
                input.expose(),
                &blob_name,
                Some(blob),
                "PUT input blob",
            )
            .await?;
        if !a.is_success() {
            return Err(a.error("PUT input blob"));
        }
        let props = JobProperties {
            kind: Some(JobType::Import),
            input_blob_container_uri: Some(input.clone()),
            output_blob_container_uri: Some(output.clone()),
            input_blob_name: Some(blob_name),
            ..JobProperties::default()
        };
        let body = serde_json::to_vec(&props).map_err(|e| {
            Error::new(ErrorKind::Rejected)
                .with_context("job body")
                .with_source(e)
        })?;
        let a = self
            .client
            .hub(
                Method::POST,
                "/jobs/create",
                &[],
                Some(body),
                "POST /jobs/create",
            )
            .await?;
        if !a.is_success() {
            return Err(a.error("POST /jobs/create"));
        }
        let job: JobProperties = a.json("job")?;
        let id = job
            .job_id
            .ok_or_else(|| Error::new(ErrorKind::Decode).with_context("job has no id"))?;
        let book = JobBook {
            ids: operations
                .iter()
                .map(|o| o.device_id().as_str().to_owned())
                .collect(),
            unmapped: bad.into_iter().map(|(i, e)| (i, e.kind())).collect(),
        };
        self.jobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(id.clone(), book);
        Ok(JobId::new(id))
    }

    async fn job_status(&self, job: &JobId) -> Result<JobStatus> {
        let book = self
            .jobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(job.as_str())
            .cloned()
            .ok_or_else(|| {
                Error::new(ErrorKind::NotFound)
                    .with_context(format!("job {} was not started here", job.as_str()))
            })?;
        let path = format!("/jobs/{}", segment(job.as_str()));
        let a = self
            .client
            .hub(Method::GET, &path, &[], None, "GET /jobs")
            .await?;
        if !a.is_success() {
            return Err(a.error("GET /jobs"));
        }
        let props: JobProperties = a.json("job")?;
        let status = jobs::status_of(&props);
        if !matches!(status, JobStatus::Completed { .. }) {
            return Ok(status);
        }
        let (_, output) = self.containers()?;
        let log = self
            .client
            .blob(
                Method::GET,
                output.expose(),
                jobs::ERROR_LOG,
                None,
                "GET import error log",
            )
            .await?;
        let body = match log.status {
            404 => Vec::new(),
            _ if log.is_success() => log.body,
            _ => return Err(log.error("GET import error log")),
        };
        let failures = jobs::failures(&book, &body)?;
        Ok(JobStatus::Completed { failures })
    }
}

/// Maps a line of an import/export blob (`ExportImportDevice`) to a record
/// the way the connector reads the hub: tags and desired properties
/// flattened, keys as credentials, `eTag` as the etag.
pub fn record_from_import_line(line: &ExportImportDevice) -> DeviceRecord {
    mapping::record_from_line(line)
}

/// The `ExportImportDevice` line the connector writes for `op` in bulk calls
/// and import jobs.
pub fn import_line_for(op: &Operation) -> Result<ExportImportDevice> {
    mapping::import_line(op)
}
