//! The event path and the long-running loop.

use crate::connectors::event_grid::{EventGridMessage, decode_event_grid};
use crate::error::Result;
use crate::model::{ChangeEvent, DeviceId, DeviceRecord};
use crate::registry::EventSource;
use std::future::Future;
use std::sync::Arc;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tracing::Instrument;

use super::{Engine, InputKind, Outcome, RunReport, Side, lock, seed_of};

impl Engine {
    /// Reads the master device, waiting with backoff while required data is
    /// missing. `Ok(None)` when the device is gone; `Err` with
    /// [`ErrorKind::NotFound`]-free kinds on registry failure; gives up
    /// (returns `Ok(Some(incomplete))`) when the twin wait runs out.
    pub(super) async fn master_when_complete(&self, id: &DeviceId) -> Result<Option<DeviceRecord>> {
        let started = Instant::now();
        let completeness = self.inner.planner.policy().get_completeness();
        let mut attempt = 0u32;
        loop {
            let Some(device) = self.get_with_retry(Side::Master, id).await? else {
                return Ok(None);
            };
            let missing = completeness.missing(&device);
            if missing.is_empty() {
                return Ok(Some(device));
            }
            attempt += 1;
            let next = self.inner.config.twin_wait.next_delay(
                attempt,
                started.elapsed(),
                None,
                seed_of(id),
            );
            match next {
                Some(retry_in) => {
                    self.emit(Outcome::TwinCheckFailed {
                        id: id.clone(),
                        missing,
                        attempt,
                        retry_in,
                    });
                    tokio::time::sleep(retry_in).await;
                }
                None => {
                    self.emit(Outcome::TwinCheckGaveUp {
                        id: id.clone(),
                        missing,
                    });
                    return Ok(Some(device));
                }
            }
        }
    }

    /// Handles one change event from the master: drops duplicates, stale and
    /// non-lifecycle events (recording why), then reconciles that device
    /// from the current state of both registries.
    pub async fn handle_event(&self, event: ChangeEvent) -> Result<RunReport> {
        if let Err(why) = lock(&self.inner.filter).admit(&event) {
            self.emit(Outcome::EventIgnored {
                event_id: event.id,
                kind: event.kind,
                why,
            });
            return Ok(RunReport::default());
        }
        let span = tracing::info_span!("event", id = %event.id, device = %event.device, kind = ?event.kind);
        async {
            let master = self.master_when_complete(&event.device).await?;
            let replica_id = self
                .inner
                .planner
                .policy()
                .get_scope()
                .replica_id(&event.device);
            let replica = self.get_with_retry(Side::Replica, &replica_id).await?;
            let plan = self
                .inner
                .planner
                .plan_device(master.as_ref(), replica.as_ref());
            self.execute(plan).await
        }
        .instrument(span)
        .await
    }

    /// Decodes an Event Grid body (either schema) and handles each event.
    /// Malformed elements are recorded as [`Outcome::BadInput`] and skipped;
    /// returns the validation codes of handshake events, to be answered with
    /// [`validation_response`](crate::connectors::event_grid::validation_response).
    pub async fn handle_event_grid(&self, body: &[u8]) -> Result<(RunReport, Vec<String>)> {
        let decoded = decode_event_grid(body).inspect_err(|e| {
            self.emit(Outcome::BadInput {
                input: InputKind::Event,
                detail: e.to_string(),
            });
        })?;
        let mut report = RunReport::default();
        let mut codes = Vec::new();
        for item in decoded {
            match item {
                Ok(EventGridMessage::Change(ev)) => report.merge(self.handle_event(*ev).await?),
                Ok(EventGridMessage::SubscriptionValidation { code }) => codes.push(code),
                Err(e) => self.emit(Outcome::BadInput {
                    input: InputKind::Event,
                    detail: e.to_string(),
                }),
            }
        }
        Ok((report, codes))
    }

    /// Runs until `shutdown` resolves: a full sync at start and every
    /// [`EngineConfig::full_sync_interval`](super::EngineConfig::full_sync_interval), and every event from `events`.
    ///
    /// Events are handled in background tasks, at most
    /// [`EngineConfig::concurrency`](super::EngineConfig::concurrency) at once, so a device waiting for its twin
    /// does not hold up the others. Errors of single syncs and events are
    /// logged and do not stop the loop, except journal failures, which do
    /// (the engine cannot stay crash-safe without its journal). On shutdown,
    /// event tasks in flight are cancelled; their journaled operations are
    /// finished by the next [`Engine::resume`].
    pub async fn run(
        &self,
        events: Option<Arc<dyn EventSource>>,
        shutdown: impl Future<Output = ()>,
    ) -> Result<()> {
        tokio::pin!(shutdown);
        let mut tick = tokio::time::interval(self.inner.config.full_sync_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut events_open = events.is_some();
        let mut tasks: JoinSet<Result<RunReport>> = JoinSet::new();
        let result = loop {
            let can_take = events_open && tasks.len() < self.inner.config.concurrency;
            let next_event = async {
                match (&events, can_take) {
                    (Some(src), true) => src.next().await,
                    _ => std::future::pending().await,
                }
            };
            tokio::select! {
                () = &mut shutdown => break Ok(()),
                _ = tick.tick() => {
                    if let Err(e) = self.sync_once().await {
                        if e.is_journal() { break Err(e); }
                        tracing::warn!(error = %e, "full sync failed");
                    }
                }
                Some(done) = tasks.join_next(), if !tasks.is_empty() => match done {
                    Ok(Err(e)) if e.is_journal() => break Err(e),
                    Ok(Err(e)) => tracing::warn!(error = %e, "event handling failed"),
                    Ok(Ok(_)) => {}
                    Err(join) => tracing::warn!(error = %join, "event task ended abnormally"),
                },
                ev = next_event => match ev {
                    Ok(Some(ev)) => {
                        let engine = self.clone();
                        tasks.spawn(async move { engine.handle_event(ev).await });
                    }
                    Ok(None) => events_open = false,
                    Err(e) => self.emit(Outcome::BadInput { input: InputKind::Event, detail: e.to_string() }),
                }
            }
        };
        tasks.shutdown().await;
        result
    }
}
