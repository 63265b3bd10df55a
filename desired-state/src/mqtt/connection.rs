//! One MQTT connection with its own outbox: QoS 1 publications survive
//! disconnects and broker restarts (rumqttc drops unacknowledged messages
//! of a clean session on reconnect, so we keep them until PUBACK).

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use rumqttc::{AsyncClient, Event, EventLoop, MqttOptions, NetworkOptions, Outgoing, Packet, QoS};
use tokio::sync::mpsc;

use super::MqttSettings;
use crate::publication::Publication;

/// What the connection reports to its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectionEvent {
    /// Connected (again) and subscribed; buffered messages are being sent.
    Connected,
    /// A message arrived.
    Message {
        /// Its topic.
        topic: String,
        /// Its payload.
        payload: Vec<u8>,
    },
    /// The connection dropped; publications are buffered until it is back.
    Disconnected(String),
}

#[derive(Debug, Default)]
struct Outbox {
    connected: bool,
    stopping: bool,
    /// Not yet handed to rumqttc.
    queued: VecDeque<(u64, Publication)>,
    /// Handed to rumqttc, packet id not yet known (in request order).
    handed: VecDeque<(u64, Publication)>,
    /// Sent, waiting for PUBACK, by packet id.
    inflight: BTreeMap<u16, (u64, Publication)>,
    next_seq: u64,
}

/// Publishes through a [`Connection`]; cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Publisher {
    client: AsyncClient,
    outbox: Arc<Mutex<Outbox>>,
}

fn lock(m: &Mutex<Outbox>) -> MutexGuard<'_, Outbox> {
    // A panic while holding the lock leaves plain data behind; keep going.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Publisher {
    /// Queues `p` (QoS 1) and hands it to the client if connected.
    pub(crate) fn publish(&self, p: Publication) {
        let mut o = lock(&self.outbox);
        if let Some(key) = &p.coalesce_key
            && let Some(waiting) = o
                .queued
                .iter_mut()
                .find(|(_, q)| q.coalesce_key.as_ref() == Some(key) && q.topic == p.topic)
        {
            // Superseded before it left: the newer message takes its place
            // (and its position, so the order against other messages holds).
            waiting.1 = p;
        } else {
            let seq = o.next_seq;
            o.next_seq += 1;
            o.queued.push_back((seq, p));
        }
        flush(&self.client, &mut o);
    }

    /// Number of publications not yet acknowledged by the broker.
    pub(crate) fn pending(&self) -> usize {
        let o = lock(&self.outbox);
        o.queued.len() + o.handed.len() + o.inflight.len()
    }

    /// Disconnects; the connection task ends.
    pub(crate) fn stop(&self) {
        lock(&self.outbox).stopping = true;
        let _ = self.client.try_disconnect();
    }
}

/// Publications handed to rumqttc and not yet acknowledged, at most. A
/// bounded window keeps the backlog in `queued`, where progress messages can
/// still be coalesced, instead of in rumqttc's request channel.
const SEND_WINDOW: usize = 32;

fn flush(client: &AsyncClient, o: &mut Outbox) {
    if !o.connected {
        return;
    }
    while o.handed.len() + o.inflight.len() < SEND_WINDOW {
        let Some((seq, p)) = o.queued.pop_front() else {
            break;
        };
        match client.try_publish(
            p.topic.clone(),
            QoS::AtLeastOnce,
            p.retain,
            p.payload.clone(),
        ) {
            Ok(()) => o.handed.push_back((seq, p)),
            Err(_) => {
                // The request channel is full; retried on the next event.
                o.queued.push_front((seq, p));
                break;
            }
        }
    }
}

/// A connection: spawn [`Connection::run`] and read events from the receiver.
pub(crate) struct Connection {
    eventloop: EventLoop,
    publisher: Publisher,
    subscriptions: Vec<String>,
    settings: MqttSettings,
    /// Why the TLS settings cannot be used; the connection then never connects.
    unusable: Option<super::SettingsError>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("subscriptions", &self.subscriptions)
            .field("host", &self.settings.host)
            .field("port", &self.settings.port)
            .finish_non_exhaustive()
    }
}

static CLIENT_COUNTER: AtomicU64 = AtomicU64::new(0);

fn client_id(prefix: &str) -> String {
    let n = CLIENT_COUNTER.fetch_add(1, Ordering::Relaxed);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{prefix}-{}-{n}-{t:08x}", std::process::id())
}

impl Connection {
    /// A connection that subscribes to `subscriptions` (QoS 1) each time it
    /// connects. Nothing happens until [`Connection::run`] is polled.
    pub(crate) fn new(settings: &MqttSettings, name: &str, subscriptions: Vec<String>) -> Self {
        let id = settings
            .client_id
            .clone()
            .unwrap_or_else(|| client_id(name));
        let mut opts = MqttOptions::new(id, settings.host.clone(), settings.port);
        opts.set_keep_alive(settings.keep_alive.max(std::time::Duration::from_secs(1)));
        opts.set_clean_session(true);
        opts.set_max_packet_size(settings.max_packet_size, settings.max_packet_size);
        if let Some((u, p)) = &settings.credentials {
            opts.set_credentials(u.clone(), p.clone());
        }
        #[allow(unused_mut)] // only the TLS feature can find the settings unusable
        let mut unusable = None;
        #[cfg(feature = "mqtt-tls")]
        if let Some(tls) = &settings.tls {
            match tls.client_config() {
                Ok(config) => {
                    opts.set_transport(rumqttc::Transport::tls_with_config(
                        rumqttc::TlsConfiguration::Rustls(Arc::new(config)),
                    ));
                }
                // Never fall back to plain TCP: this connection does not connect.
                Err(e) => unusable = Some(e),
            }
        }
        let (client, mut eventloop) = AsyncClient::new(opts, 1024);
        let mut net = NetworkOptions::new();
        net.set_tcp_nodelay(settings.tcp_nodelay);
        eventloop.set_network_options(net);
        let publisher = Publisher {
            client,
            outbox: Arc::new(Mutex::new(Outbox::default())),
        };
        Self {
            eventloop,
            publisher,
            subscriptions,
            settings: settings.clone(),
            unusable,
        }
    }

    /// A handle to publish with.
    pub(crate) fn publisher(&self) -> Publisher {
        self.publisher.clone()
    }

    /// Drives the connection until [`Publisher::stop`], reconnecting with
    /// exponential backoff; events go to `events`.
    pub(crate) async fn run(mut self, events: mpsc::UnboundedSender<ConnectionEvent>) {
        if let Some(e) = &self.unusable {
            tracing::error!(error = %e, "mqtt connection not started");
            return;
        }
        let mut backoff = self.settings.reconnect_min;
        loop {
            match self.eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    backoff = self.settings.reconnect_min;
                    let subs: Vec<_> = self
                        .subscriptions
                        .iter()
                        .map(|t| rumqttc::SubscribeFilter::new(t.clone(), QoS::AtLeastOnce))
                        .collect();
                    let client = self.publisher.client.clone();
                    if !subs.is_empty() && client.try_subscribe_many(subs).is_err() {
                        tracing::warn!("mqtt subscribe request could not be queued");
                    }
                    {
                        let mut o = lock(&self.publisher.outbox);
                        // Everything not acknowledged goes out again, in order.
                        let mut again: Vec<(u64, Publication)> =
                            std::mem::take(&mut o.inflight).into_values().collect();
                        again.extend(o.handed.drain(..));
                        again.sort_by_key(|(seq, _)| *seq);
                        for item in again.into_iter().rev() {
                            o.queued.push_front(item);
                        }
                        o.connected = true;
                        flush(&client, &mut o);
                    }
                    if events.send(ConnectionEvent::Connected).is_err() {
                        return;
                    }
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    let ev = ConnectionEvent::Message {
                        topic: p.topic,
                        payload: Vec::from(p.payload),
                    };
                    if events.send(ev).is_err() {
                        self.publisher.stop();
                    }
                }
                Ok(Event::Incoming(Packet::PubAck(ack))) => {
                    let mut o = lock(&self.publisher.outbox);
                    o.inflight.remove(&ack.pkid);
                    flush(&self.publisher.client, &mut o);
                }
                Ok(Event::Outgoing(Outgoing::Publish(pkid))) => {
                    let mut o = lock(&self.publisher.outbox);
                    if let Some(item) = o.handed.pop_front() {
                        o.inflight.insert(pkid, item);
                    }
                    flush(&self.publisher.client, &mut o);
                }
                Ok(_) => {
                    let mut o = lock(&self.publisher.outbox);
                    flush(&self.publisher.client, &mut o);
                }
                Err(e) => {
                    let was_connected = {
                        let mut o = lock(&self.publisher.outbox);
                        if o.stopping {
                            return;
                        }
                        std::mem::replace(&mut o.connected, false)
                    };
                    // rumqttc drained its request channel when the error hit,
                    // but a publish from another task may have slipped in
                    // before `connected` went false; it is still in our
                    // outbox, so drop rumqttc's copy (a clean session discards
                    // it on reconnect) rather than send it twice.
                    self.eventloop.clean();
                    if was_connected {
                        tracing::warn!(error = %e, "mqtt connection lost; reconnecting");
                        if events
                            .send(ConnectionEvent::Disconnected(e.to_string()))
                            .is_err()
                        {
                            return;
                        }
                    } else {
                        tracing::debug!(error = %e, "mqtt connect failed; retrying");
                    }
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(self.settings.reconnect_max);
                }
            }
        }
    }
}

/// A plain MQTT client with the binding's buffering and reconnects: useful
/// as the cloud side in tests and demos, or for an HMI answering consent.
#[derive(Debug)]
pub struct MqttClient {
    publisher: Publisher,
    events: mpsc::UnboundedReceiver<ConnectionEvent>,
}

impl MqttClient {
    /// Connects in a background task (needs a tokio runtime), subscribing to
    /// `subscriptions` on every connect.
    pub fn connect(settings: &MqttSettings, subscriptions: &[&str]) -> Self {
        let conn = Connection::new(
            settings,
            "desired-state-client",
            subscriptions.iter().map(|s| (*s).to_owned()).collect(),
        );
        let publisher = conn.publisher();
        let (tx, events) = mpsc::unbounded_channel();
        tokio::spawn(conn.run(tx));
        Self { publisher, events }
    }

    /// Publishes with QoS 1 (buffered while offline).
    pub fn publish(&self, p: Publication) {
        self.publisher.publish(p);
    }

    /// The next connection event; `None` once the connection task ended.
    pub async fn next_event(&mut self) -> Option<ConnectionEvent> {
        self.events.recv().await
    }

    /// Waits for the next connect.
    pub async fn connected(&mut self) -> bool {
        while let Some(e) = self.events.recv().await {
            if e == ConnectionEvent::Connected {
                return true;
            }
        }
        false
    }

    /// The next message, skipping connection events.
    pub async fn next_message(&mut self) -> Option<(String, Vec<u8>)> {
        while let Some(e) = self.events.recv().await {
            if let ConnectionEvent::Message { topic, payload } = e {
                return Some((topic, payload));
            }
        }
        None
    }

    /// Disconnects.
    pub fn stop(&self) {
        self.publisher.stop();
    }
}

impl Drop for MqttClient {
    fn drop(&mut self) {
        self.publisher.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offline_publisher() -> Publisher {
        // Never connected: everything stays queued, as while the broker is away.
        let (client, _eventloop) = AsyncClient::new(MqttOptions::new("t", "127.0.0.1", 1), 8);
        Publisher {
            client,
            outbox: Arc::new(Mutex::new(Outbox::default())),
        }
    }

    fn queued(p: &Publisher) -> Vec<(String, Vec<u8>)> {
        lock(&p.outbox)
            .queued
            .iter()
            .map(|(_, q)| (q.topic.clone(), q.payload.clone()))
            .collect()
    }

    #[test]
    fn waiting_progress_is_superseded_in_place_and_nothing_else_is() {
        let p = offline_publisher();
        p.publish(Publication::new("fb", b"identified".to_vec()));
        p.publish(Publication::new("fb", b"dl-1".to_vec()).coalescing("a/DOWNLOADING"));
        p.publish(Publication::new("state", b"inventory".to_vec()));
        p.publish(Publication::new("fb", b"dl-2".to_vec()).coalescing("a/DOWNLOADING"));
        p.publish(Publication::new("fb", b"dl-3".to_vec()).coalescing("a/DOWNLOADING"));
        // Another status, another topic with the same key, no key: all kept.
        p.publish(Publication::new("fb", b"done".to_vec()).coalescing("a/DOWNLOAD_SUCCESS"));
        p.publish(Publication::new("other", b"x".to_vec()).coalescing("a/DOWNLOADING"));
        p.publish(Publication::new("fb", b"plain".to_vec()));
        let s = |t: &str, b: &[u8]| (t.to_owned(), b.to_vec());
        assert_eq!(
            queued(&p),
            [
                s("fb", b"identified"),
                s("fb", b"dl-3"),
                s("state", b"inventory"),
                s("fb", b"done"),
                s("other", b"x"),
                s("fb", b"plain"),
            ]
        );
        assert_eq!(p.pending(), 6);
    }
}
