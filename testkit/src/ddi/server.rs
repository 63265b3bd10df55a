//! [`DdiServer`]: the two listeners on their own runtime, and the Rust API
//! tests use to set the scene and to inspect what devices did.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use axum::Router;
use tokio::sync::oneshot;

use super::action::{Action, ActionId, MaintenanceWindow};
use super::catalog::{ArtifactSpec, DistributionId, ModuleId, ModuleSpec, SoftwareModule};
use super::config::{ArtifactLinks, LinkOrigin, TenantConfig};
use super::faults::{FaultQueue, FaultRule};
use super::requests::{RequestRecord, Requests};
use super::route::{RouteKind, encode};
use super::store::{Assignment, Controller, Origins, Store};
use super::tls::{Peer, TlsConfig, TlsListener};
use super::{cdn, http};

/// The tenant [`DdiServer::start`] creates and the shorthand methods use.
pub const DEFAULT_TENANT: &str = "DEFAULT";

pub(crate) struct Shared {
    store: Mutex<Store>,
    pub(crate) faults: FaultQueue,
    pub(crate) requests: Requests,
    pub(crate) origins: Origins,
    pub(crate) cdn_rejects_authorization: AtomicBool,
}

impl Shared {
    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Configures a [`DdiServer`] before it starts.
#[derive(Debug, Clone)]
pub struct DdiServerBuilder {
    tenants: Vec<(String, TenantConfig)>,
    mgmt_users: Vec<(String, String, String)>,
    request_log: bool,
    worker_threads: usize,
    links: ArtifactLinks,
    tls: Option<TlsConfig>,
}

impl Default for DdiServerBuilder {
    fn default() -> Self {
        Self {
            tenants: Vec::new(),
            mgmt_users: Vec::new(),
            request_log: true,
            worker_threads: 2,
            links: ArtifactLinks::default(),
            tls: None,
        }
    }
}

impl DdiServerBuilder {
    /// Adds (or reconfigures) a tenant. Without any, the server has
    /// [`DEFAULT_TENANT`] with [`TenantConfig::default`].
    pub fn tenant(mut self, name: impl Into<String>, config: TenantConfig) -> Self {
        self.tenants.push((name.into(), config));
        self
    }

    /// Adds a Management API user (HTTP basic auth, as `user` or
    /// `TENANT\user`) to `tenant`. Without any, the Management API answers 401.
    pub fn mgmt_user(
        mut self,
        tenant: impl Into<String>,
        user: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        self.mgmt_users
            .push((tenant.into(), user.into(), password.into()));
        self
    }

    /// Whether to keep a log of requests (on by default; switch it off for
    /// load tests so the per-request path stays allocation-light).
    pub fn request_log(mut self, on: bool) -> Self {
        self.request_log = on;
        self
    }

    /// Runtime worker threads (default 2).
    pub fn worker_threads(mut self, n: usize) -> Self {
        self.worker_threads = n.max(1);
        self
    }

    /// Where artifact links point and which rels they use.
    pub fn artifact_links(mut self, links: ArtifactLinks) -> Self {
        self.links = links;
        self
    }

    /// Serves the DDI listener over HTTPS (the CDN listener stays plain
    /// HTTP); [`DdiServer::url`] then starts with `https://`.
    pub fn tls(mut self, config: TlsConfig) -> Self {
        self.tls = Some(config);
        self
    }

    /// Binds both listeners on `127.0.0.1:0` and starts serving.
    ///
    /// # Panics
    /// If no loopback port can be bound or the runtime cannot start (this
    /// crate only runs in tests, where that is a broken environment).
    pub fn start(self) -> DdiServer {
        let bind = || {
            let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap_or_else(|e| {
                panic!("cannot bind a loopback port for the DDI simulator: {e}")
            });
            l.set_nonblocking(true)
                .unwrap_or_else(|e| panic!("cannot make the DDI listener non-blocking: {e}"));
            l
        };
        let (main, cdn_listener) = (bind(), bind());
        let addr = main
            .local_addr()
            .unwrap_or_else(|e| panic!("listener has no address: {e}"));
        let cdn_addr = cdn_listener
            .local_addr()
            .unwrap_or_else(|e| panic!("listener has no address: {e}"));
        let mut store = Store {
            links: self.links,
            ..Store::default()
        };
        if self.tenants.is_empty() {
            store.set_tenant(DEFAULT_TENANT, TenantConfig::default());
        }
        for (name, config) in self.tenants {
            store.set_tenant(&name, config);
        }
        for (tenant, user, password) in self.mgmt_users {
            store.tenant_mut(&tenant).mgmt.users.push((user, password));
        }
        let shared = Arc::new(Shared {
            store: Mutex::new(store),
            faults: FaultQueue::default(),
            requests: Requests::new(self.request_log),
            origins: Origins {
                server: format!(
                    "{}://{addr}",
                    if self.tls.is_some() { "https" } else { "http" }
                ),
                cdn: format!("http://{cdn_addr}"),
            },
            cdn_rejects_authorization: AtomicBool::new(false),
        });
        let acceptor = self.tls.as_ref().map(|t| {
            t.acceptor()
                .unwrap_or_else(|e| panic!("cannot set up TLS for the DDI simulator: {e}"))
        });
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(self.worker_threads)
            .thread_name("ddi-simulator")
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("cannot start the DDI simulator runtime: {e}"));
        let (stop, stopped) = oneshot::channel::<()>();
        let state = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("ddi-simulator".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let ddi = Router::new()
                        .fallback(http::handle)
                        .with_state(Arc::clone(&state))
                        .into_make_service_with_connect_info::<Peer>();
                    let cdn = Router::new().fallback(cdn::handle).with_state(state);
                    match (tokio::net::TcpListener::from_std(main), acceptor) {
                        (Ok(tcp), Some(acceptor)) => {
                            tokio::spawn(async move {
                                let _ = axum::serve(TlsListener { tcp, acceptor }, ddi).await;
                            });
                        }
                        (Ok(tcp), None) => {
                            tokio::spawn(async move {
                                let _ = axum::serve(tcp, ddi).await;
                            });
                        }
                        (Err(e), _) => eprintln!("ddi simulator: cannot adopt listener: {e}"),
                    }
                    match tokio::net::TcpListener::from_std(cdn_listener) {
                        Ok(tcp) => {
                            tokio::spawn(async move {
                                let _ = axum::serve(tcp, cdn).await;
                            });
                        }
                        Err(e) => eprintln!("ddi simulator: cannot adopt CDN listener: {e}"),
                    }
                    let _ = stopped.await;
                });
                runtime.shutdown_timeout(Duration::from_millis(200));
            })
            .unwrap_or_else(|e| panic!("cannot spawn the DDI simulator thread: {e}"));
        DdiServer {
            shared,
            addr,
            cdn_addr,
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

/// An in-process hawkBit DDI server on loopback, stopped when dropped.
///
/// It runs on its own thread and runtime, so it works the same from plain
/// `#[test]`s, `#[tokio::test]`s and benches. All methods take `&self`; the
/// server is `Send + Sync` and can be shared behind an `Arc`.
///
/// Methods without a tenant argument work on [`DEFAULT_TENANT`]; the `_in`
/// variants take one.
///
/// Dropping it stops both listeners and joins the server thread, which may
/// block for up to ~200 ms while transfers are cut off; inside an async test,
/// drop it from `spawn_blocking` if that matters.
pub struct DdiServer {
    shared: Arc<Shared>,
    addr: SocketAddr,
    cdn_addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for DdiServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DdiServer")
            .field("addr", &self.addr)
            .field("cdn_addr", &self.cdn_addr)
            .finish_non_exhaustive()
    }
}

impl Drop for DdiServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl DdiServer {
    /// Starts a server with [`DEFAULT_TENANT`] configured by
    /// [`TenantConfig::default`] (target tokens, no anonymous access).
    pub fn start() -> Self {
        Self::builder().start()
    }

    /// A builder for other tenants or options.
    pub fn builder() -> DdiServerBuilder {
        DdiServerBuilder::default()
    }

    // ----- addresses -----

    /// The DDI listener's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`: the server root.
    pub fn url(&self) -> String {
        self.shared.origins.server.clone()
    }

    /// `http://127.0.0.1:<port>/DEFAULT`: what clients take as the server URL
    /// plus tenant.
    pub fn tenant_url(&self) -> String {
        format!("{}/{DEFAULT_TENANT}", self.url())
    }

    /// `http://127.0.0.1:<port>/rest/v1`: the Management API root.
    pub fn mgmt_url(&self) -> String {
        format!("{}/rest/v1", self.url())
    }

    /// Adds a Management API user to `tenant` (see [`DdiServerBuilder::mgmt_user`]).
    pub fn add_mgmt_user(&self, tenant: &str, user: &str, password: &str) {
        self.shared
            .store()
            .tenant_mut(tenant)
            .mgmt
            .users
            .push((user.to_owned(), password.to_owned()));
    }

    /// `…/DEFAULT/controller/v1/<id>`: the controller's root resource.
    pub fn controller_url(&self, controller: &str) -> String {
        self.controller_url_in(DEFAULT_TENANT, controller)
    }

    /// The root resource of a controller in `tenant`.
    pub fn controller_url_in(&self, tenant: &str, controller: &str) -> String {
        format!(
            "{}/{}/controller/v1/{}",
            self.url(),
            encode(tenant),
            encode(controller)
        )
    }

    /// `http://127.0.0.1:<port>` of the CDN listener.
    pub fn cdn_url(&self) -> String {
        self.shared.origins.cdn.clone()
    }

    /// The CDN listener's address.
    pub fn cdn_addr(&self) -> SocketAddr {
        self.cdn_addr
    }

    /// The download URL of an artifact, on the server or the CDN.
    pub fn artifact_url(
        &self,
        controller: &str,
        module: ModuleId,
        filename: &str,
        origin: LinkOrigin,
    ) -> String {
        self.shared.store().artifact_href(
            &self.shared.origins,
            origin,
            DEFAULT_TENANT,
            controller,
            module,
            filename,
        )
    }

    // ----- tenants and controllers -----

    /// Adds or reconfigures a tenant.
    pub fn set_tenant(&self, tenant: &str, config: TenantConfig) {
        self.shared.store().set_tenant(tenant, config);
    }

    /// Registers a controller with an optional target token (or replaces the
    /// token of a known one).
    pub fn register_controller(&self, controller: &str, token: Option<&str>) {
        self.register_controller_in(DEFAULT_TENANT, controller, token);
    }

    /// [`Self::register_controller`] in `tenant`.
    pub fn register_controller_in(&self, tenant: &str, controller: &str, token: Option<&str>) {
        self.shared
            .store()
            .register(tenant, controller, token.map(str::to_owned));
    }

    /// Registers many controllers without tokens (gateway or anonymous setups,
    /// load tests) under one lock.
    pub fn register_controllers<I, S>(&self, controllers: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut store = self.shared.store();
        for c in controllers {
            store.register(DEFAULT_TENANT, c.as_ref(), None);
        }
    }

    /// A snapshot of a controller.
    pub fn controller(&self, controller: &str) -> Option<Controller> {
        self.controller_in(DEFAULT_TENANT, controller)
    }

    /// [`Self::controller`] in `tenant`.
    pub fn controller_in(&self, tenant: &str, controller: &str) -> Option<Controller> {
        self.shared.store().controller(tenant, controller).cloned()
    }

    /// How many controllers `tenant` knows.
    pub fn controller_count(&self, tenant: &str) -> usize {
        self.shared
            .store()
            .tenants
            .get(tenant)
            .map_or(0, |t| t.controllers.len())
    }

    /// Makes the server ask the controller for its attributes (the
    /// `configData` link) again.
    pub fn request_attributes(&self, controller: &str) {
        self.shared
            .store()
            .register_flag(DEFAULT_TENANT, controller);
    }

    // ----- software -----

    /// Stores a software module with its artifacts (hashes computed now).
    pub fn create_module(&self, spec: ModuleSpec) -> ModuleId {
        // hash outside the lock: generated artifacts can be large
        let module = SoftwareModule::build(ModuleId(0), spec);
        self.shared.store().add_module(module)
    }

    /// A snapshot of a module.
    pub fn module(&self, id: ModuleId) -> Option<SoftwareModule> {
        self.shared.store().module(id).cloned()
    }

    /// Stores a distribution set made of `modules`.
    pub fn create_distribution(
        &self,
        name: &str,
        version: &str,
        modules: &[ModuleId],
    ) -> DistributionId {
        self.shared
            .store()
            .create_distribution(name, version, modules)
    }

    /// Assigns a distribution to a controller (registering it without a token
    /// if unknown). Unless the tenant allows multi-assignment, the
    /// controller's older open actions move to `CANCELING`, as in hawkBit.
    ///
    /// # Panics
    /// If the distribution does not exist (a bug in the test).
    pub fn assign(
        &self,
        controller: &str,
        distribution: DistributionId,
        assignment: &Assignment,
    ) -> ActionId {
        self.assign_in(DEFAULT_TENANT, controller, distribution, assignment)
    }

    /// [`Self::assign`] in `tenant`.
    ///
    /// # Panics
    /// If the distribution does not exist.
    pub fn assign_in(
        &self,
        tenant: &str,
        controller: &str,
        distribution: DistributionId,
        assignment: &Assignment,
    ) -> ActionId {
        self.shared
            .store()
            .assign(tenant, controller, distribution, assignment)
            .unwrap_or_else(|e| panic!("cannot assign: {e}"))
    }

    /// Creates a module from `spec`, a distribution named after it, and assigns
    /// it to every controller: the usual one-call setup. Unknown controllers
    /// are registered without a token (fine for gateway-token or anonymous
    /// tenants; register them first with a token otherwise).
    pub fn deploy<S: AsRef<str>>(
        &self,
        controllers: &[S],
        spec: ModuleSpec,
        assignment: &Assignment,
    ) -> Deployment {
        self.deploy_in(DEFAULT_TENANT, controllers, spec, assignment)
    }

    /// [`Self::deploy`] in `tenant`.
    pub fn deploy_in<S: AsRef<str>>(
        &self,
        tenant: &str,
        controllers: &[S],
        spec: ModuleSpec,
        assignment: &Assignment,
    ) -> Deployment {
        let (name, version) = (spec.name.clone(), spec.version.clone());
        let module = self.create_module(spec);
        let distribution = self.create_distribution(&name, &version, &[module]);
        let mut store = self.shared.store();
        let actions = controllers
            .iter()
            .filter_map(|c| {
                store
                    .assign(tenant, c.as_ref(), distribution, assignment)
                    .ok()
            })
            .collect();
        Deployment {
            module,
            distribution,
            actions,
        }
    }

    /// An operator cancel: the action moves to `CANCELING` and the next poll
    /// offers `cancelAction`.
    ///
    /// # Errors
    /// If the action does not exist or is closed.
    pub fn cancel(&self, action: ActionId) -> Result<(), String> {
        self.shared.store().cancel(action)
    }

    /// Replaces an action's maintenance window (`None` removes it).
    ///
    /// # Errors
    /// If the action does not exist.
    pub fn set_maintenance_window(
        &self,
        action: ActionId,
        window: Option<MaintenanceWindow>,
    ) -> Result<(), String> {
        self.shared.store().set_maintenance(action, window)
    }

    /// A snapshot of an action with its whole status history.
    pub fn action(&self, action: ActionId) -> Option<Action> {
        self.shared.store().action(action).cloned()
    }

    /// Waits until the action satisfies `done` (checked every 10 ms) and
    /// returns it, or `None` after `timeout`: for tests that run an agent in
    /// the background.
    pub fn wait_for_action(
        &self,
        action: ActionId,
        timeout: Duration,
        done: impl Fn(&Action) -> bool,
    ) -> Option<Action> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if let Some(a) = self.action(action).filter(|a| done(a)) {
                return Some(a);
            }
            if std::time::Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Replaces the content of an artifact (new hashes, new `ETag`, new
    /// `Last-Modified`), as if it had been re-uploaded: a client resuming with
    /// `If-Range` then gets the whole new file with `200`.
    ///
    /// # Errors
    /// If the module or file does not exist.
    pub fn replace_artifact(&self, module: ModuleId, spec: ArtifactSpec) -> Result<(), String> {
        let artifact = Arc::new(spec.build());
        let mut store = self.shared.store();
        store.replace_artifact(module, artifact)
    }

    // ----- artifact links and the CDN -----

    /// Where artifact links point from now on.
    pub fn set_artifact_links(&self, links: ArtifactLinks) {
        self.shared.store().links = links;
    }

    /// Makes the CDN answer 400 (as S3 does) when a request carries an
    /// `Authorization` header.
    pub fn set_cdn_rejects_authorization(&self, on: bool) {
        self.shared
            .cdn_rejects_authorization
            .store(on, Ordering::Relaxed);
    }

    // ----- faults -----

    /// Queues a fault rule (see [`FaultRule`]); rules fire in insertion order.
    pub fn inject(&self, rule: FaultRule) {
        self.shared.faults.push(rule);
    }

    /// Drops every queued fault.
    pub fn clear_faults(&self) {
        self.shared.faults.clear();
    }

    /// The rules that can still fire.
    pub fn pending_faults(&self) -> Vec<FaultRule> {
        self.shared.faults.pending()
    }

    // ----- requests -----

    /// Requests received on `route` (both listeners), faults included.
    pub fn request_count(&self, route: RouteKind) -> u64 {
        self.shared.requests.of(route)
    }

    /// All requests received.
    pub fn total_requests(&self) -> u64 {
        self.shared.requests.total()
    }

    /// The request log (DDI requests while logging is on, CDN requests always).
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.requests.snapshot()
    }

    /// The requests the CDN listener received.
    pub fn cdn_requests(&self) -> Vec<RequestRecord> {
        self.requests().into_iter().filter(|r| r.cdn).collect()
    }

    /// Turns the DDI request log on or off.
    pub fn set_request_log(&self, on: bool) {
        self.shared.requests.set_logging(on);
    }

    /// Zeroes the counters and empties the log.
    pub fn reset_requests(&self) {
        self.shared.requests.reset();
    }
}

/// What [`DdiServer::deploy`] created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment {
    /// The software module.
    pub module: ModuleId,
    /// The distribution set holding it.
    pub distribution: DistributionId,
    /// One action per controller, in the order given.
    pub actions: Vec<ActionId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn server_is_send_and_sync() {
        assert_send_sync::<DdiServer>();
    }
}
