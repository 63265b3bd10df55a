//! The update manager on MQTT.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::MqttSettings;
use super::connection::{Connection, ConnectionEvent, Publisher};
use crate::agent::system_clock_ms;
use crate::manager::{
    CloudMessage, Manager, ManagerConfig, ManagerOutput, ManagerWarning, ThingsBridge,
};
use crate::model::{DesiredState, Envelope};

/// How the manager talks to the cloud side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloudMode {
    /// `<prefix>update/desiredstate`, `…/desiredstatefeedback`, `…/currentstate`
    /// on the broker (Kanto's `thingsEnabled=false`).
    Plain,
    /// The Ditto `UpdateManager` feature over the Hono MQTT-adapter topics
    /// (Kanto's default).
    Things,
}

/// What the manager did, for the application (all of it is also published).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ManagerEvent {
    /// Connected to the broker (again).
    Connected,
    /// Lost the broker; messages are buffered.
    Disconnected(String),
    /// A message for the cloud side was published.
    Cloud(CloudMessage),
    /// A domain needs a reboot after a completed activity; rebooting is the
    /// application's decision.
    Reboot {
        /// Wait this long first.
        after: Duration,
    },
    /// Input was ignored or refused.
    Warning(ManagerWarning),
}

/// Events kept for [`ManagerHandle::next_event`]; newer ones are dropped
/// while the buffer is full (everything is published on MQTT anyway).
const EVENT_BUFFER: usize = 256;

#[derive(Debug)]
enum Control {
    Apply(Envelope<DesiredState>),
    Stop,
}

/// A running manager. Dropping it stops the manager.
#[derive(Debug)]
pub struct ManagerHandle {
    control: mpsc::UnboundedSender<Control>,
    events: mpsc::Receiver<ManagerEvent>,
    task: Option<JoinHandle<()>>,
}

impl ManagerHandle {
    /// Starts a manager on the broker of `settings` (needs a tokio runtime).
    pub fn spawn(settings: &MqttSettings, config: ManagerConfig, mode: CloudMode) -> Self {
        let (control, control_rx) = mpsc::unbounded_channel();
        let (events_tx, events) = mpsc::channel(EVENT_BUFFER);
        let task = tokio::spawn(run(settings.clone(), config, mode, control_rx, events_tx));
        Self {
            control,
            events,
            task: Some(task),
        }
    }

    /// Applies a desired state as if it came from the cloud (for a device
    /// that gets its desired state another way, e.g. from a DDI deployment).
    pub fn apply(&self, desired: Envelope<DesiredState>) {
        let _ = self.control.send(Control::Apply(desired));
    }

    /// The next event; `None` after the manager stopped. Up to 256 events
    /// are buffered; when nobody reads them, newer ones are dropped.
    pub async fn next_event(&mut self) -> Option<ManagerEvent> {
        self.events.recv().await
    }

    /// Ends a running activity (INCOMPLETE), flushes, disconnects.
    pub async fn stop(mut self) {
        let _ = self.control.send(Control::Stop);
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

impl Drop for ManagerHandle {
    fn drop(&mut self) {
        let _ = self.control.send(Control::Stop);
    }
}

struct Service {
    manager: Manager,
    bridge: Option<ThingsBridge>,
    publisher: Publisher,
    events: mpsc::Sender<ManagerEvent>,
    domain: String,
}

impl Service {
    fn flush(&mut self, now: i64) {
        let outputs: Vec<ManagerOutput> = self.manager.drain_outputs().collect();
        for o in outputs {
            let publication = match self.bridge.as_mut() {
                Some(b) => b.to_publication(now, &o),
                None => o.to_publication(&self.domain),
            };
            if let Some(p) = publication {
                self.publisher.publish(p);
            }
            let event = match o {
                ManagerOutput::ToCloud(m) => Some(ManagerEvent::Cloud(m)),
                ManagerOutput::Reboot { after } => Some(ManagerEvent::Reboot { after }),
                ManagerOutput::Warning(w) => {
                    if w.is_routine() {
                        tracing::debug!(warning = %w, "update manager");
                    } else {
                        tracing::warn!(warning = %w, "update manager");
                    }
                    Some(ManagerEvent::Warning(w))
                }
                _ => None,
            };
            if let Some(e) = event {
                let _ = self.events.try_send(e);
            }
        }
    }
}

async fn run(
    settings: MqttSettings,
    config: ManagerConfig,
    mode: CloudMode,
    mut control: mpsc::UnboundedReceiver<Control>,
    events: mpsc::Sender<ManagerEvent>,
) {
    let manager = Manager::new(config);
    let mut subs = manager.subscriptions(mode == CloudMode::Plain);
    if mode == CloudMode::Things {
        subs.extend(
            ThingsBridge::subscriptions()
                .iter()
                .map(|s| (*s).to_owned()),
        );
    }
    let conn = Connection::new(&settings, "update-manager", subs);
    let publisher = conn.publisher();
    let (tx, mut conn_events) = mpsc::unbounded_channel();
    let conn_task = tokio::spawn(conn.run(tx));
    let domain = manager.config().domain.clone();
    let bridge = (mode == CloudMode::Things).then(|| ThingsBridge::new(domain.clone()));
    let mut s = Service {
        manager,
        bridge,
        publisher,
        events,
        domain,
    };
    let mut connected_before = false;
    loop {
        let now = system_clock_ms();
        let wait = s
            .manager
            .poll_timeout()
            .map(|t| Duration::from_millis(u64::try_from(t.saturating_sub(now)).unwrap_or(0)));
        tokio::select! {
            ev = conn_events.recv() => {
                let now = system_clock_ms();
                match ev {
                    None => break,
                    Some(ConnectionEvent::Connected) => {
                        if connected_before {
                            s.manager.handle_reconnect(now);
                        } else {
                            s.manager.start(now);
                        }
                        connected_before = true;
                        if let Some(b) = &s.bridge {
                            s.publisher.publish(b.on_connect());
                        }
                        let _ = s.events.try_send(ManagerEvent::Connected);
                    }
                    Some(ConnectionEvent::Disconnected(why)) => {
                        let _ = s.events.try_send(ManagerEvent::Disconnected(why));
                    }
                    Some(ConnectionEvent::Message { topic, payload }) => {
                        let handled = match s.bridge.as_mut() {
                            Some(b) => b.handle_publish(&mut s.manager, now, &topic, &payload),
                            None => None,
                        };
                        match handled {
                            Some(replies) => replies.into_iter().for_each(|p| s.publisher.publish(p)),
                            None => s.manager.handle_publish(now, &topic, &payload),
                        }
                    }
                }
                s.flush(now);
            }
            c = control.recv() => {
                let now = system_clock_ms();
                match c {
                    Some(Control::Apply(env)) => {
                        s.manager.handle_desired_state(now, env);
                        s.flush(now);
                    }
                    Some(Control::Stop) | None => {
                        s.manager.shutdown(now);
                        s.flush(now);
                        break;
                    }
                }
            }
            () = async { if let Some(w) = wait { tokio::time::sleep(w).await } }, if wait.is_some() => {
                let now = system_clock_ms();
                s.manager.handle_timeout(now);
                s.flush(now);
            }
        }
    }
    // Give the last messages a moment to reach the broker.
    for _ in 0..50 {
        if s.publisher.pending() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    s.publisher.stop();
    let _ = conn_task.await;
}
