//! Applying single operations: retries, backoff and idempotent resolution.

use crate::error::{Error, ErrorKind, Result};
use crate::journal::{JournalRecord, OpOutcome};
use crate::model::DeviceStatus;
use crate::plan::Operation;
use futures_util::StreamExt;
use futures_util::stream;
use tokio::time::Instant;
use tracing::Instrument;

use super::{Engine, Outcome, Resolution, RunReport, Tally, seed_of};

impl Engine {
    pub(super) async fn apply_ops(
        &self,
        run: u64,
        ops: Vec<(u64, Operation)>,
    ) -> Result<RunReport> {
        let mut report = RunReport::default();
        let caps = self.inner.replica.capabilities();
        let ops = if caps.get_import_jobs() && ops.len() >= self.inner.config.job_threshold {
            self.apply_job(run, ops, &mut report).await?
        } else {
            ops
        };
        let max_bulk = caps.get_max_bulk();
        let single = match max_bulk {
            Some(max) if ops.len() >= self.inner.config.bulk_threshold => {
                let mut leftovers = Vec::new();
                for chunk in ops.chunks(max) {
                    leftovers.extend(self.apply_bulk(run, chunk, &mut report).await?);
                }
                leftovers
            }
            _ => ops,
        };
        let mut results = stream::iter(single)
            .map(|(op, operation)| self.apply_single(run, op, operation))
            .buffer_unordered(self.inner.config.concurrency);
        // A journal failure stops the run at once: dropping the stream
        // cancels the operations in flight, which the next resume finishes.
        while let Some(r) = results.next().await {
            report.tally(r?);
        }
        Ok(report)
    }

    pub(super) fn done_outcome(&self, op: &Operation) -> Outcome {
        let id = op.device_id().clone();
        match op {
            Operation::Create { .. } => Outcome::Created { id },
            Operation::Update { .. } => Outcome::Updated { id },
            Operation::Delete { .. } => Outcome::Deleted { id },
            Operation::Disable { .. } => Outcome::Disabled { id },
        }
    }

    pub(super) async fn execute_one(&self, op: &Operation) -> Result<()> {
        let r = &*self.inner.replica;
        match op {
            Operation::Create { device } => r.create(device).await.map(drop),
            Operation::Update {
                device,
                precondition,
            } => r.update(device, precondition).await.map(drop),
            Operation::Delete { id, precondition } => r.delete(id, precondition).await,
            Operation::Disable {
                id,
                reason,
                precondition,
            } => r.disable(id, reason, precondition).await.map(drop),
        }
    }

    /// Decides what a failed write means: done already (its effect is in
    /// place), worth retrying, or failed.
    pub(super) async fn resolve(&self, op: &Operation, e: Error) -> Resolution {
        if e.is_retryable() {
            return Resolution::Retry(e);
        }
        let gone_ok =
            e.is_not_found() && matches!(op, Operation::Delete { .. } | Operation::Disable { .. });
        if gone_ok {
            return Resolution::AlreadyApplied;
        }
        if !e.is_conflict() {
            return Resolution::Fail(e);
        }
        self.acquire(1).await;
        let current = match self.inner.replica.get(op.device_id()).await {
            Ok(c) => c,
            Err(ge) if ge.is_retryable() => return Resolution::Retry(ge),
            Err(_) => return Resolution::Fail(e),
        };
        let in_place = match (op, &current) {
            (Operation::Create { device } | Operation::Update { device, .. }, Some(c)) => {
                device.same_content(c)
            }
            (Operation::Delete { .. }, None) => true,
            (Operation::Disable { reason, .. }, Some(c)) => {
                matches!(&c.status, DeviceStatus::Disabled { reason: Some(r) } if r == reason)
            }
            (Operation::Disable { .. }, None) => true,
            _ => false,
        };
        if in_place {
            Resolution::AlreadyApplied
        } else {
            Resolution::Fail(e)
        }
    }

    pub(super) async fn record_done(&self, run: u64, op: u64, outcome: OpOutcome) -> Result<()> {
        self.inner
            .journal
            .append(&[JournalRecord::Applied { run, op, outcome }])
            .await
    }

    pub(super) async fn record_failed(
        &self,
        run: u64,
        op: u64,
        kind: ErrorKind,
        attempts: u32,
    ) -> Result<()> {
        self.inner
            .journal
            .append(&[JournalRecord::Failed {
                run,
                op,
                error: format!("{kind:?}"),
                attempts,
            }])
            .await
    }

    pub(super) async fn apply_single(&self, run: u64, op_id: u64, op: Operation) -> Result<Tally> {
        let id = op.device_id().clone();
        let name = op.name();
        let span = tracing::debug_span!("apply", run, op = op_id, device = %id, operation = name);
        async {
            let started = Instant::now();
            let mut attempts = 0u32;
            loop {
                self.acquire(1).await;
                attempts += 1;
                let err = match self.execute_one(&op).await {
                    Ok(()) => {
                        self.record_done(run, op_id, OpOutcome::Applied).await?;
                        self.emit(self.done_outcome(&op));
                        return Ok(Tally::Done(op));
                    }
                    Err(e) => e,
                };
                match self.resolve(&op, err).await {
                    Resolution::AlreadyApplied => {
                        self.record_done(run, op_id, OpOutcome::AlreadyApplied)
                            .await?;
                        self.emit(Outcome::AlreadyApplied {
                            id,
                            operation: name,
                        });
                        return Ok(Tally::AlreadyApplied);
                    }
                    Resolution::Fail(e) => {
                        self.record_failed(run, op_id, e.kind(), attempts).await?;
                        self.emit(Outcome::Failed {
                            id,
                            operation: name,
                            kind: e.kind(),
                        });
                        return Ok(Tally::Failed);
                    }
                    Resolution::Retry(e) => {
                        if e.is_throttled() {
                            self.emit(Outcome::Throttled {
                                id: Some(id.clone()),
                                retry_after: e.retry_after(),
                            });
                        }
                        let delay = self.retry_delay(
                            &self.inner.limiter,
                            &e,
                            attempts,
                            started.elapsed(),
                            seed_of(&id),
                        );
                        let Some(delay) = delay else {
                            self.record_failed(run, op_id, e.kind(), attempts).await?;
                            self.emit(Outcome::FailedAfterRetries {
                                id,
                                operation: name,
                                attempts,
                                kind: e.kind(),
                            });
                            return Ok(Tally::Failed);
                        };
                        self.emit(Outcome::Retrying {
                            id: id.clone(),
                            operation: name,
                            attempt: attempts,
                            delay,
                            kind: e.kind(),
                        });
                        tokio::time::sleep(delay).await;
                    }
                }
            }
        }
        .instrument(span)
        .await
    }
}
