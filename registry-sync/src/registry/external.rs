//! The pluggable registry trait every connector implements.

use super::{Capabilities, JobId, JobStatus, Page, PageToken};
use crate::error::{Error, ErrorKind, Result};
use crate::model::{DeviceId, DeviceRecord, DeviceStatus};
use crate::plan::{Operation, Precondition};
use async_trait::async_trait;
use std::fmt::Debug;

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
    /// order. Only called when [`Capabilities::get_max_bulk`] is set.
    async fn apply_bulk(&self, operations: &[Operation]) -> Result<Vec<Result<()>>> {
        let _ = operations;
        Err(Error::new(ErrorKind::Unsupported).with_context("bulk"))
    }

    /// Starts an import job applying `operations` (IoT Hub: an import job over
    /// a blob of `ExportImportDevice` lines). Only called when
    /// [`Capabilities::get_import_jobs`] is set.
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
