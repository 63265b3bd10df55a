//! The pluggable registry trait every connector implements.

use crate::device::{DeviceId, DeviceRecord, DeviceStatus};
use crate::error::{Error, ErrorKind, Result};
use crate::operation::{Operation, Precondition};
use crate::snapshot::Snapshot;
use async_trait::async_trait;
use futures_util::StreamExt;
use futures_util::stream::{self, BoxStream};
use std::fmt::Debug;
use std::sync::Arc;

/// What a registry supports; the engine picks its paths from this.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capabilities {
    /// Largest batch [`ExternalRegistry::apply_bulk`] accepts, `None` without a bulk API.
    pub max_bulk: Option<usize>,
    /// Whether [`ExternalRegistry::disable`] is native (otherwise emulated by get + update).
    pub soft_delete: bool,
    /// Whether writes honour [`Precondition::IfMatch`].
    pub etags: bool,
    /// Largest page [`ExternalRegistry::list`] returns.
    pub max_page_size: usize,
    /// Whether [`ExternalRegistry::start_import_job`] is available (IoT Hub import jobs).
    pub import_jobs: bool,
}

impl Capabilities {
    /// No bulk API, no native soft delete, etags honoured, pages of 100.
    pub fn new() -> Self {
        Self {
            max_bulk: None,
            soft_delete: false,
            etags: true,
            max_page_size: 100,
            import_jobs: false,
        }
    }

    /// Sets import job support.
    #[must_use]
    pub fn with_import_jobs(mut self, yes: bool) -> Self {
        self.import_jobs = yes;
        self
    }

    /// Sets the bulk batch limit.
    #[must_use]
    pub fn with_max_bulk(mut self, max: Option<usize>) -> Self {
        self.max_bulk = max.filter(|m| *m > 0);
        self
    }

    /// Sets native soft delete support.
    #[must_use]
    pub fn with_soft_delete(mut self, yes: bool) -> Self {
        self.soft_delete = yes;
        self
    }

    /// Sets etag support.
    #[must_use]
    pub fn with_etags(mut self, yes: bool) -> Self {
        self.etags = yes;
        self
    }

    /// Sets the page size limit (at least 1).
    #[must_use]
    pub fn with_max_page_size(mut self, size: usize) -> Self {
        self.max_page_size = size.max(1);
        self
    }
}

impl Default for Capabilities {
    fn default() -> Self {
        Self::new()
    }
}

/// The id of an import job.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct JobId(Box<str>);

impl JobId {
    /// Wraps a registry's job id.
    pub fn new(id: impl Into<Box<str>>) -> Self {
        Self(id.into())
    }

    /// The id text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One operation of a completed job that failed.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JobItemFailure {
    /// Its position in the operations given to the job.
    pub index: usize,
    /// Why it failed, classified like a single call's error.
    pub kind: ErrorKind,
}

impl JobItemFailure {
    /// A failure of operation `index`.
    pub fn new(index: usize, kind: ErrorKind) -> Self {
        Self { index, kind }
    }
}

/// Where an import job stands.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobStatus {
    /// Queued or running, with a progress percentage when known.
    Running {
        /// Percent done.
        progress: Option<u8>,
    },
    /// Finished; every operation not listed in `failures` was applied.
    Completed {
        /// The operations that failed.
        failures: Vec<JobItemFailure>,
    },
    /// The job failed as a whole; some operations may have been applied.
    Failed {
        /// The registry's reason (no secrets).
        reason: String,
    },
    /// The job was cancelled; some operations may have been applied.
    Cancelled,
}

/// An opaque continuation token for [`ExternalRegistry::list`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PageToken(Box<str>);

impl PageToken {
    /// Wraps a registry's continuation token.
    pub fn new(token: impl Into<Box<str>>) -> Self {
        Self(token.into())
    }

    /// The token text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One page of a listing.
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Page {
    /// The devices of this page.
    pub devices: Vec<DeviceRecord>,
    /// Where the next page starts, `None` on the last page.
    pub next: Option<PageToken>,
}

impl Page {
    /// A page.
    pub fn new(devices: Vec<DeviceRecord>, next: Option<PageToken>) -> Self {
        Self { devices, next }
    }
}

/// A device registry (IoT Hub, hawkBit, a network provider, the in-memory one).
///
/// Contract:
/// * errors are classified with [`ErrorKind`]: `AlreadyExists` on create of an
///   existing id, `PreconditionFailed` on an etag mismatch, `NotFound` on
///   update/delete of a missing id, `Throttled`/`Unavailable`/`Timeout` for
///   transient failures; the engine's idempotence relies on this;
/// * a call that returned an error other than a transient one changed nothing;
/// * dropping a returned future (cancellation) may or may not have applied the
///   write; the engine resolves that through the journal and etags.
#[async_trait]
pub trait ExternalRegistry: Send + Sync + Debug + 'static {
    /// A short name for logs ("iothub:myhub", "hawkbit:DEFAULT").
    fn name(&self) -> &str;

    /// What this registry supports.
    fn capabilities(&self) -> Capabilities;

    /// One page of devices, starting at `cursor` (`None` = first page).
    async fn list(&self, cursor: Option<&PageToken>, limit: usize) -> Result<Page>;

    /// One device, `None` if it does not exist.
    async fn get(&self, id: &DeviceId) -> Result<Option<DeviceRecord>>;

    /// Creates a device; returns it as stored (with its new etag).
    async fn create(&self, device: &DeviceRecord) -> Result<DeviceRecord>;

    /// Replaces a device's writable fields; returns it as stored.
    async fn update(
        &self,
        device: &DeviceRecord,
        precondition: &Precondition,
    ) -> Result<DeviceRecord>;

    /// Deletes a device.
    async fn delete(&self, id: &DeviceId, precondition: &Precondition) -> Result<()>;

    /// Disables a device with a reason (soft delete). The default reads the
    /// device and writes it back disabled, under `precondition`.
    async fn disable(
        &self,
        id: &DeviceId,
        reason: &str,
        precondition: &Precondition,
    ) -> Result<DeviceRecord> {
        let Some(mut current) = self.get(id).await? else {
            return Err(Error::new(ErrorKind::NotFound).with_context(id.to_string()));
        };
        if let Precondition::IfMatch(want) = precondition
            && current.etag.as_ref() != Some(want)
        {
            return Err(Error::new(ErrorKind::PreconditionFailed).with_context(id.to_string()));
        }
        current.status = DeviceStatus::disabled(reason);
        let pre = Precondition::from_etag(current.etag.as_ref());
        self.update(&current, &pre).await
    }

    /// Applies several operations in one call; one result per operation, in
    /// order. Only called when [`Capabilities::max_bulk`] is set.
    async fn apply_bulk(&self, operations: &[Operation]) -> Result<Vec<Result<()>>> {
        let _ = operations;
        Err(Error::new(ErrorKind::Unsupported).with_context("bulk"))
    }

    /// Starts an import job applying `operations` (IoT Hub: an import job over
    /// a blob of `ExportImportDevice` lines). Only called when
    /// [`Capabilities::import_jobs`] is set.
    async fn start_import_job(&self, operations: &[Operation]) -> Result<JobId> {
        let _ = operations;
        Err(Error::new(ErrorKind::Unsupported).with_context("import jobs"))
    }

    /// The status of a job started with [`Self::start_import_job`].
    async fn job_status(&self, job: &JobId) -> Result<JobStatus> {
        let _ = job;
        Err(Error::new(ErrorKind::Unsupported).with_context("import jobs"))
    }
}

/// Reads every device of `registry` page by page into a [`Snapshot`].
///
/// A page token seen twice, or a device listed twice, is a
/// [`ErrorKind::Decode`] error rather than an endless loop or a silent pick.
pub async fn fetch_snapshot(registry: &dyn ExternalRegistry, page_size: usize) -> Result<Snapshot> {
    let limit = page_size.clamp(1, registry.capabilities().max_page_size.max(1));
    let mut all = Vec::new();
    let mut cursor: Option<PageToken> = None;
    let mut seen = std::collections::HashSet::new();
    loop {
        let page = registry.list(cursor.as_ref(), limit).await?;
        all.extend(page.devices);
        match page.next {
            None => break,
            Some(next) => {
                if !seen.insert(next.clone()) {
                    return Err(Error::new(ErrorKind::Decode)
                        .with_context(format!("{}: page token repeated", registry.name())));
                }
                cursor = Some(next);
            }
        }
    }
    Snapshot::from_records(all)
}

/// Streams every device of `registry`, fetching pages lazily; an error ends
/// the stream after being yielded.
pub fn list_stream(
    registry: Arc<dyn ExternalRegistry>,
    page_size: usize,
) -> BoxStream<'static, Result<DeviceRecord>> {
    enum State {
        Start,
        Next(PageToken),
        Done,
    }
    let pages = stream::unfold(State::Start, move |state| {
        let registry = Arc::clone(&registry);
        async move {
            let cursor = match state {
                State::Done => return None,
                State::Start => None,
                State::Next(t) => Some(t),
            };
            match registry.list(cursor.as_ref(), page_size.max(1)).await {
                Ok(page) => {
                    let next = page.next.map_or(State::Done, State::Next);
                    let items: Vec<Result<DeviceRecord>> =
                        page.devices.into_iter().map(Ok).collect();
                    Some((stream::iter(items), next))
                }
                Err(e) => Some((stream::iter(vec![Err(e)]), State::Done)),
            }
        }
    });
    pages.flatten().boxed()
}
