//! [`IotHubServer`]: the simulator on its own thread and runtime, and the
//! Rust API tests use to set the scene and inspect what clients did.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use serde_json::{Map, Value};
use tokio::sync::oneshot;

use super::faults::{FaultRule, Faults, Route};
use super::jobs::{Blobs, Jobs};
use super::sas;
use super::store::{IdentityInput, Mutation, Store};
use super::throttle::{Buckets, Throttling};

pub(crate) struct State {
    pub(crate) store: Store,
    pub(crate) jobs: Jobs,
    pub(crate) blobs: Blobs,
    pub(crate) faults: Faults,
    pub(crate) buckets: Buckets,
    counters: HashMap<Route, u64>,
}

pub(crate) struct Shared {
    state: Mutex<State>,
    pub(crate) host: String,
    pub(crate) policies: Vec<(String, String)>,
    tracking: AtomicU64,
    throttled: AtomicU64,
}

impl Shared {
    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts a request; returns its tracking number.
    pub(crate) fn count(&self, route: Route) -> u64 {
        *self.state().counters.entry(route).or_insert(0) += 1;
        self.tracking.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn note_throttled(&self) {
        self.throttled.fetch_add(1, Ordering::Relaxed);
    }
}

/// The policy [`IotHubServerBuilder::new`] creates, with every permission.
pub const OWNER_POLICY: &str = "iothubowner";

/// Configures an [`IotHubServer`].
#[derive(Debug, Clone)]
pub struct IotHubServerBuilder {
    hub: String,
    policies: Vec<(String, String)>,
    throttling: Throttling,
    job_reads: u32,
    worker_threads: usize,
}

impl IotHubServerBuilder {
    /// A hub named `hub` (host `<hub>.azure-devices.net`) with the
    /// [`OWNER_POLICY`] and a key derived from the name.
    pub fn new(hub: impl Into<String>) -> Self {
        use base64::Engine as _;
        use sha2::Digest as _;
        let hub = hub.into();
        let key = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(
            format!("{hub}/{OWNER_POLICY}").as_bytes(),
        ));
        Self {
            hub,
            policies: vec![(OWNER_POLICY.to_owned(), key)],
            throttling: Throttling::none(),
            job_reads: 3,
            worker_threads: 2,
        }
    }

    /// Adds (or replaces) a shared access policy with its base64 key.
    pub fn policy(mut self, name: impl Into<String>, key_b64: impl Into<String>) -> Self {
        let name = name.into();
        self.policies.retain(|(n, _)| *n != name);
        self.policies.push((name, key_b64.into()));
        self
    }

    /// The rates to enforce (none by default).
    pub fn throttling(mut self, t: Throttling) -> Self {
        self.throttling = t;
        self
    }

    /// Status reads an import job takes to finish (default 3: enqueued,
    /// running, completed).
    pub fn job_reads(mut self, n: u32) -> Self {
        self.job_reads = n.max(1);
        self
    }

    /// Runtime worker threads (default 2).
    pub fn worker_threads(mut self, n: usize) -> Self {
        self.worker_threads = n.max(1);
        self
    }

    /// Binds `127.0.0.1:0` and starts serving.
    ///
    /// # Panics
    /// If no loopback port can be bound or the runtime cannot start (this
    /// crate only runs in tests, where that is a broken environment).
    pub fn start(self) -> IotHubServer {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap_or_else(|e| {
            panic!("cannot bind a loopback port for the IoT Hub simulator: {e}")
        });
        listener
            .set_nonblocking(true)
            .unwrap_or_else(|e| panic!("cannot make the IoT Hub listener non-blocking: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("listener has no address: {e}"));
        let mut jobs = Jobs::default();
        jobs.reads_to_finish = self.job_reads;
        let host = format!("{}.azure-devices.net", self.hub);
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                store: Store::new(&self.hub),
                jobs,
                blobs: Blobs::default(),
                faults: Faults::default(),
                buckets: Buckets::new(&self.throttling, Instant::now()),
                counters: HashMap::new(),
            }),
            host: host.clone(),
            policies: self.policies.clone(),
            tracking: AtomicU64::new(1),
            throttled: AtomicU64::new(0),
        });
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(self.worker_threads)
            .thread_name("iothub-simulator")
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("cannot start the IoT Hub simulator runtime: {e}"));
        let (stop, stopped) = oneshot::channel::<()>();
        let state = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("iothub-simulator".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let app = Router::new()
                        .fallback(super::http::handle)
                        .with_state(state);
                    match tokio::net::TcpListener::from_std(listener) {
                        Ok(tcp) => {
                            tokio::spawn(async move {
                                let _ = axum::serve(tcp, app).await;
                            });
                        }
                        Err(e) => eprintln!("iothub simulator: cannot adopt listener: {e}"),
                    }
                    let _ = stopped.await;
                });
                runtime.shutdown_timeout(Duration::from_millis(200));
            })
            .unwrap_or_else(|e| panic!("cannot spawn the IoT Hub simulator thread: {e}"));
        IotHubServer {
            shared,
            addr,
            hub: self.hub,
            host,
            policies: self.policies,
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

/// An in-process IoT Hub data plane on loopback, stopped when dropped.
///
/// All methods take `&self`; see the [module docs](super) for what it
/// simulates.
pub struct IotHubServer {
    shared: Arc<Shared>,
    addr: SocketAddr,
    hub: String,
    host: String,
    policies: Vec<(String, String)>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for IotHubServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IotHubServer")
            .field("hub", &self.hub)
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl IotHubServer {
    /// A hub named `hub` with defaults.
    pub fn start(hub: &str) -> Self {
        IotHubServerBuilder::new(hub).start()
    }

    /// A builder.
    pub fn builder(hub: &str) -> IotHubServerBuilder {
        IotHubServerBuilder::new(hub)
    }

    /// `http://127.0.0.1:PORT`, where clients send their requests.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `<hub>.azure-devices.net`, the host named in connection strings and SAS tokens.
    pub fn host_name(&self) -> &str {
        &self.host
    }

    /// The connection string of `policy` (the owner policy when `None`).
    pub fn connection_string(&self, policy: Option<&str>) -> Option<String> {
        let name = policy.unwrap_or(OWNER_POLICY);
        let (_, key) = self.policies.iter().find(|(n, _)| n == name)?;
        Some(format!(
            "HostName={};SharedAccessKeyName={name};SharedAccessKey={key}",
            self.host
        ))
    }

    /// An `Authorization` header value for the owner policy, valid for `ttl`.
    pub fn sas_token(&self, ttl: Duration) -> String {
        let expiry = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
            + ttl.as_secs().max(1);
        let (name, key) = self.policies.first().cloned().unwrap_or_default();
        sas::token(&self.host, &name, &key, expiry).unwrap_or_default()
    }

    /// A container SAS URL of the built-in blob store (the container exists
    /// once something is written to it).
    pub fn container_sas_url(&self, container: &str) -> String {
        format!(
            "{}/blob/{container}?sv=2021-08-06&sr=c&sp=racwdl&sig={}",
            self.url(),
            sas::encode("c2ltdWxhdG9yLWJsb2Itc2ln")
        )
    }

    /// A blob's bytes.
    pub fn blob(&self, container: &str, name: &str) -> Option<Vec<u8>> {
        self.shared
            .state()
            .blobs
            .containers
            .get(container)
            .and_then(|c| c.get(name))
            .cloned()
    }

    /// Adds devices directly (no request, no throttle, not in the mutation
    /// log, no event), each with the given tags (a JSON object, or anything else for none).
    ///
    /// # Panics
    /// On an invalid device id.
    pub fn seed<'a>(&self, devices: impl IntoIterator<Item = (&'a str, Value)>) {
        let mut s = self.shared.state();
        s.store.quiet = true;
        for (id, tags) in devices {
            let tags = match tags {
                Value::Object(m) => Some(m),
                _ => None,
            };
            if let Err(e) = s.store.insert(id, &IdentityInput::default(), tags, None) {
                s.store.quiet = false;
                panic!("cannot seed device {id}: {}", e.message);
            }
        }
        s.store.quiet = false;
    }

    /// A receiver of `Microsoft.Devices.DeviceCreated` and `DeviceDeleted`
    /// events (Event Grid schema, one JSON object each; wrap them in an
    /// array for a webhook body) for every identity created or deleted from
    /// now on, by any route (not by [`Self::seed`]).
    pub fn subscribe_events(&self) -> tokio::sync::mpsc::UnboundedReceiver<Value> {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        self.shared.state().store.events.subscribe(tx);
        rx
    }

    /// Sets reported properties as the device would (merge patch).
    ///
    /// Returns false when the device does not exist.
    pub fn report(&self, id: &str, patch: &Map<String, Value>) -> bool {
        self.shared.state().store.report(id, patch).is_ok()
    }

    /// The twin document of a device.
    pub fn twin(&self, id: &str) -> Option<Value> {
        self.shared
            .state()
            .store
            .devices
            .get(id)
            .map(|d| d.twin_json())
    }

    /// The identity document of a device (with its keys).
    pub fn identity(&self, id: &str) -> Option<Value> {
        self.shared
            .state()
            .store
            .devices
            .get(id)
            .map(|d| d.identity_json())
    }

    /// Every twin document, in id order (a copy; O(devices)).
    pub fn snapshot(&self) -> Vec<Value> {
        self.shared
            .state()
            .store
            .devices
            .values()
            .map(|d| d.twin_json())
            .collect()
    }

    /// Every device id, sorted.
    pub fn device_ids(&self) -> Vec<String> {
        self.shared.state().store.devices.keys().cloned().collect()
    }

    /// Number of devices.
    pub fn len(&self) -> usize {
        self.shared.state().store.devices.len()
    }

    /// Whether the hub has no device.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every applied write so far, in order.
    pub fn mutations(&self) -> Vec<Mutation> {
        self.shared.state().store.mutations.clone()
    }

    /// Requests received on `route` (including refused ones).
    pub fn requests(&self, route: Route) -> u64 {
        self.shared
            .state()
            .counters
            .get(&route)
            .copied()
            .unwrap_or(0)
    }

    /// Requests answered 429.
    pub fn throttled(&self) -> u64 {
        self.shared.throttled.load(Ordering::Relaxed)
    }

    /// Adds a fault rule.
    pub fn add_fault(&self, rule: FaultRule) {
        self.shared.state().faults.add(rule);
    }
}

impl Drop for IotHubServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
