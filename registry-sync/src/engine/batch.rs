//! Applying many operations at once: bulk calls and import jobs.

use crate::error::{Error, ErrorKind, Result};
use crate::journal::{JournalRecord, OpOutcome};
use crate::plan::Operation;
use crate::registry::JobStatus;
use tokio::time::Instant;

use super::{Engine, InputKind, Outcome, Resolution, RunReport, Tally};

impl Engine {
    /// One bulk call (retried as a whole on transient errors); returns the
    /// operations that must go the single path.
    pub(super) async fn apply_bulk(
        &self,
        run: u64,
        chunk: &[(u64, Operation)],
        report: &mut RunReport,
    ) -> Result<Vec<(u64, Operation)>> {
        let ops: Vec<Operation> = chunk.iter().map(|(_, o)| o.clone()).collect();
        let started = Instant::now();
        let mut attempts = 0u32;
        let results = loop {
            self.acquire(u32::try_from(ops.len()).unwrap_or(u32::MAX))
                .await;
            attempts += 1;
            match self.inner.replica.apply_bulk(&ops).await {
                Ok(results) if results.len() == ops.len() => break results,
                Ok(results) => {
                    self.emit(Outcome::BadInput {
                        input: InputKind::BulkResult,
                        detail: format!(
                            "bulk result has {} entries for {} operations",
                            results.len(),
                            ops.len()
                        ),
                    });
                    return Ok(chunk.to_vec());
                }
                Err(e) if e.is_retryable() => {
                    if e.is_throttled() {
                        self.emit(Outcome::Throttled {
                            id: None,
                            retry_after: e.retry_after(),
                        });
                    }
                    match self.retry_delay(
                        &self.inner.limiter,
                        &e,
                        attempts,
                        started.elapsed(),
                        run,
                    ) {
                        Some(d) => tokio::time::sleep(d).await,
                        None => return Ok(chunk.to_vec()),
                    }
                }
                Err(_) => return Ok(chunk.to_vec()),
            }
        };
        let leftovers = self.settle(run, chunk, results, attempts, report).await?;
        if !leftovers.is_empty() {
            self.emit(Outcome::BulkPartialFailure {
                items: chunk.len(),
                failed: leftovers.len(),
            });
        }
        Ok(leftovers)
    }

    /// Journals and reports the per-item results of a bulk call or job;
    /// returns the items to retry on the single path.
    pub(super) async fn settle(
        &self,
        run: u64,
        chunk: &[(u64, Operation)],
        results: Vec<Result<()>>,
        attempts: u32,
        report: &mut RunReport,
    ) -> Result<Vec<(u64, Operation)>> {
        let mut records = Vec::with_capacity(chunk.len());
        let mut outcomes = Vec::with_capacity(chunk.len());
        let mut leftovers = Vec::new();
        for ((op_id, op), result) in chunk.iter().zip(results) {
            let resolution = match result {
                Ok(()) => {
                    records.push(JournalRecord::Applied {
                        run,
                        op: *op_id,
                        outcome: OpOutcome::Applied,
                    });
                    outcomes.push(self.done_outcome(op));
                    report.tally(Tally::Done(op.clone()));
                    continue;
                }
                Err(e) => self.resolve(op, e).await,
            };
            match resolution {
                Resolution::AlreadyApplied => {
                    records.push(JournalRecord::Applied {
                        run,
                        op: *op_id,
                        outcome: OpOutcome::AlreadyApplied,
                    });
                    outcomes.push(Outcome::AlreadyApplied {
                        id: op.device_id().clone(),
                        operation: op.name(),
                    });
                    report.tally(Tally::AlreadyApplied);
                }
                Resolution::Retry(_) => leftovers.push((*op_id, op.clone())),
                Resolution::Fail(e) => {
                    records.push(JournalRecord::Failed {
                        run,
                        op: *op_id,
                        error: format!("{:?}", e.kind()),
                        attempts,
                    });
                    outcomes.push(Outcome::Failed {
                        id: op.device_id().clone(),
                        operation: op.name(),
                        kind: e.kind(),
                    });
                    report.tally(Tally::Failed);
                }
            }
        }
        self.inner.journal.append(&records).await?;
        for o in outcomes {
            self.emit(o);
        }
        Ok(leftovers)
    }

    /// Applies `ops` through one import job; returns what must go the
    /// bulk/single path (everything, if the job failed or never finished:
    /// those paths are idempotent, so partial job effects are harmless).
    pub(super) async fn apply_job(
        &self,
        run: u64,
        ops: Vec<(u64, Operation)>,
        report: &mut RunReport,
    ) -> Result<Vec<(u64, Operation)>> {
        let operations: Vec<Operation> = ops.iter().map(|(_, o)| o.clone()).collect();
        let started = Instant::now();
        let mut attempts = 0u32;
        let job = loop {
            self.acquire(1).await;
            attempts += 1;
            match self.inner.replica.start_import_job(&operations).await {
                Ok(job) => break job,
                Err(e) if e.is_retryable() => {
                    match self.retry_delay(
                        &self.inner.limiter,
                        &e,
                        attempts,
                        started.elapsed(),
                        run,
                    ) {
                        Some(d) => tokio::time::sleep(d).await,
                        None => {
                            self.emit(Outcome::JobFailed {
                                job: None,
                                reason: e.to_string(),
                            });
                            return Ok(ops);
                        }
                    }
                }
                Err(e) => {
                    self.emit(Outcome::JobFailed {
                        job: None,
                        reason: e.to_string(),
                    });
                    return Ok(ops);
                }
            }
        };
        let job_name = job.as_str().to_owned();
        let polling = Instant::now();
        let mut polls = 0u32;
        let status = loop {
            polls += 1;
            let Some(delay) =
                self.inner
                    .config
                    .job_poll
                    .next_delay(polls, polling.elapsed(), None, run)
            else {
                self.emit(Outcome::JobFailed {
                    job: Some(job_name),
                    reason: "gave up waiting for the job".into(),
                });
                return Ok(ops);
            };
            tokio::time::sleep(delay).await;
            self.acquire(1).await;
            match self.inner.replica.job_status(&job).await {
                Ok(JobStatus::Running { progress }) => self.emit(Outcome::JobNotComplete {
                    job: job_name.clone(),
                    progress,
                    polls,
                }),
                Ok(done) => break done,
                Err(e) if e.is_retryable() => {}
                Err(e) => {
                    self.emit(Outcome::JobFailed {
                        job: Some(job_name),
                        reason: e.to_string(),
                    });
                    return Ok(ops);
                }
            }
        };
        let failures = match status {
            JobStatus::Completed { failures } => failures,
            JobStatus::Failed { reason } => {
                self.emit(Outcome::JobFailed {
                    job: Some(job_name),
                    reason,
                });
                return Ok(ops);
            }
            JobStatus::Cancelled | JobStatus::Running { .. } => {
                self.emit(Outcome::JobFailed {
                    job: Some(job_name),
                    reason: "cancelled".into(),
                });
                return Ok(ops);
            }
        };
        let mut failed: std::collections::HashMap<usize, ErrorKind> =
            std::collections::HashMap::new();
        for f in &failures {
            if f.index >= ops.len() {
                self.emit(Outcome::BadInput {
                    input: InputKind::BulkResult,
                    detail: format!(
                        "job {job_name} reports a failure for item {} of {}",
                        f.index,
                        ops.len()
                    ),
                });
                return Ok(ops);
            }
            failed.insert(f.index, f.kind);
        }
        let results: Vec<Result<()>> = (0..ops.len())
            .map(|i| match failed.get(&i) {
                None => Ok(()),
                Some(kind) => Err(Error::new(*kind)),
            })
            .collect();
        let leftovers = self.settle(run, &ops, results, 1, report).await?;
        self.emit(Outcome::JobCompleted {
            job: job_name,
            items: ops.len(),
            failed: failed.len(),
        });
        Ok(leftovers)
    }
}
