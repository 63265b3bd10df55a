//! The async DDI client over reqwest.

mod auth;
mod controller;
pub(crate) mod http;

use std::sync::Arc;
use std::time::Duration;

use url::Url;

pub use auth::{Auth, AuthScope};
pub use controller::{
    AutoConfirmChange, Controller, HistoryRequest, InstalledBaseChange, PollResponse,
};

use crate::backoff::Backoff;
use crate::error::{Error, ErrorKind, Result};

/// Default cap on JSON response bodies: far above any real DDI document,
/// far below what would hurt a small device.
pub const DEFAULT_MAX_DOCUMENT_BYTES: usize = 4 * 1024 * 1024;

/// Configures a [`Client`].
///
/// Required values go to [`Client::builder`]; every setter documents its
/// default. Nothing is validated or read until [`ClientBuilder::build`].
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    server: String,
    tenant: String,
    auth: Auth,
    auth_scope: AuthScope,
    identity: Option<(Vec<u8>, Vec<u8>)>,
    roots: Vec<Vec<u8>>,
    replace_roots: bool,
    proxy: Option<String>,
    no_proxy: bool,
    connect_timeout: Duration,
    request_timeout: Option<Duration>,
    read_timeout: Option<Duration>,
    backoff: Backoff,
    max_document_bytes: usize,
    max_redirects: usize,
    pool_idle_per_host: usize,
    cbor: bool,
    rustls: Option<Arc<rustls::ClientConfig>>,
}

impl ClientBuilder {
    /// Sets the credentials. Default: [`Auth::None`]. A gateway token serves
    /// every controller of the tenant; a target token serves one (use
    /// [`Client::controller_with_token`] for per-device tokens on one pool).
    pub fn auth(&mut self, auth: Auth) -> &mut Self {
        self.auth = auth;
        self
    }

    /// Which download hosts receive credentials. Default:
    /// [`AuthScope::ServerOrigin`].
    pub fn auth_scope(&mut self, scope: AuthScope) -> &mut Self {
        self.auth_scope = scope;
        self
    }

    /// Presents a TLS client certificate (mTLS): the PEM certificate chain
    /// and the PEM (PKCS#8, or with rustls also RSA/SEC1) private key, from
    /// memory. Default: none.
    pub fn identity_pem(
        &mut self,
        cert_chain: impl Into<Vec<u8>>,
        key: impl Into<Vec<u8>>,
    ) -> &mut Self {
        self.identity = Some((cert_chain.into(), key.into()));
        self
    }

    /// Adds a trusted CA certificate (PEM, may be a bundle). Default: only
    /// the built-in roots.
    pub fn add_root_pem(&mut self, pem: impl Into<Vec<u8>>) -> &mut Self {
        self.roots.push(pem.into());
        self
    }

    /// Trusts only the roots added with [`Self::add_root_pem`], not the
    /// built-in ones (pinning a private PKI). Default: `false`.
    pub fn replace_roots(&mut self, replace: bool) -> &mut Self {
        self.replace_roots = replace;
        self
    }

    /// Uses this rustls configuration for every connection: a hardware-backed
    /// client key, a custom certificate verifier, pinned server keys, chosen
    /// cipher suites or protocol versions. It replaces the TLS settings of
    /// this builder, so combining it with [`Self::identity_pem`],
    /// [`Self::add_root_pem`] or [`Self::replace_roots`] is a configuration
    /// error rather than a silent override. It also takes precedence over the
    /// `native-tls` feature. Set ALPN (`http/1.1`) in it if the server needs
    /// it. Default: none.
    pub fn rustls_config(&mut self, config: Arc<rustls::ClientConfig>) -> &mut Self {
        self.rustls = Some(config);
        self
    }

    /// Sends everything through this proxy (`http://`, `https://` or
    /// `socks5://` URL). Default: the `HTTP(S)_PROXY` environment.
    pub fn proxy(&mut self, url: impl Into<String>) -> &mut Self {
        self.proxy = Some(url.into());
        self.no_proxy = false;
        self
    }

    /// Ignores proxy environment variables. Default: they are honoured.
    pub fn no_proxy(&mut self) -> &mut Self {
        self.proxy = None;
        self.no_proxy = true;
        self
    }

    /// Connect timeout. Default: 30 s.
    pub fn connect_timeout(&mut self, d: Duration) -> &mut Self {
        self.connect_timeout = d;
        self
    }

    /// Total time limit for one API request (not downloads, which use the
    /// low-speed limit instead). Default: 60 s.
    pub fn request_timeout(&mut self, d: Duration) -> &mut Self {
        self.request_timeout = Some(d);
        self
    }

    /// Aborts a response (also a download) that sends nothing for this long.
    /// Default: 60 s.
    pub fn read_timeout(&mut self, d: Duration) -> &mut Self {
        self.read_timeout = Some(d);
        self
    }

    /// Retry policy for transient failures. Default: [`Backoff::default`].
    pub fn backoff(&mut self, backoff: Backoff) -> &mut Self {
        self.backoff = backoff;
        self
    }

    /// Largest JSON response accepted. Default: [`DEFAULT_MAX_DOCUMENT_BYTES`].
    pub fn max_document_bytes(&mut self, n: usize) -> &mut Self {
        self.max_document_bytes = n;
        self
    }

    /// Redirects followed per request. Default: 5.
    pub fn max_redirects(&mut self, n: usize) -> &mut Self {
        self.max_redirects = n;
        self
    }

    /// Idle connections kept per host (gateway mode polls many controllers
    /// through one pool). Default: 32.
    pub fn pool_idle_per_host(&mut self, n: usize) -> &mut Self {
        self.pool_idle_per_host = n;
        self
    }

    /// Sends request bodies as CBOR and asks for CBOR answers (hawkBit ≥
    /// 0.3.0M2 speaks both). Default: JSON.
    #[cfg(feature = "cbor")]
    pub fn cbor(&mut self, on: bool) -> &mut Self {
        self.cbor = on;
        self
    }

    /// Validates the configuration and builds the client. Performs no I/O.
    pub fn build(&self) -> Result<Client> {
        let config = |e: &str| Error::new(ErrorKind::Config).with_source(e.to_owned());
        let mut base =
            Url::parse(&self.server).map_err(|e| Error::new(ErrorKind::Config).with_source(e))?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(config("server url must be http or https"));
        }
        if self.tenant.is_empty() {
            return Err(config("tenant must not be empty"));
        }
        base.path_segments_mut()
            .map_err(|()| config("server url cannot be a base"))?
            .pop_if_empty()
            .push(&self.tenant)
            .push("controller")
            .push("v1");
        let mut b = reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .redirect(reqwest::redirect::Policy::limited(self.max_redirects))
            .pool_max_idle_per_host(self.pool_idle_per_host)
            .user_agent(concat!("ddi-client/", env!("CARGO_PKG_VERSION")));
        #[cfg(feature = "native-tls")]
        {
            b = b.use_native_tls();
        }
        #[cfg(not(feature = "native-tls"))]
        {
            b = b.use_rustls_tls();
        }
        if let Some(t) = self.read_timeout {
            b = b.read_timeout(t);
        }
        if let Some(tls) = &self.rustls {
            if self.identity.is_some() || !self.roots.is_empty() || self.replace_roots {
                return Err(config(
                    "a rustls configuration replaces identity and root settings; set them in it",
                ));
            }
            b = b.use_preconfigured_tls(rustls::ClientConfig::clone(tls));
        }
        for pem in &self.roots {
            let certs = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| Error::new(ErrorKind::Config).with_source(e))?;
            if certs.is_empty() {
                return Err(config("no certificate in root pem"));
            }
            for c in certs {
                b = b.add_root_certificate(c);
            }
        }
        if self.replace_roots {
            b = b.tls_built_in_root_certs(false);
        }
        if let Some((chain, key)) = &self.identity {
            b = b.identity(identity(chain, key)?);
        }
        if let Some(p) = &self.proxy {
            b = b.proxy(
                reqwest::Proxy::all(p).map_err(|e| Error::new(ErrorKind::Config).with_source(e))?,
            );
        } else if self.no_proxy {
            b = b.no_proxy();
        }
        let http = b
            .build()
            .map_err(|e| Error::new(ErrorKind::Config).with_source(e))?;
        Ok(Client {
            shared: Arc::new(Shared {
                http,
                base,
                auth_header: self.auth.header(),
                auth_scope: self.auth_scope.clone(),
                backoff: self.backoff,
                max_document_bytes: self.max_document_bytes,
                request_timeout: self.request_timeout,
                cbor: self.cbor,
            }),
        })
    }
}

#[cfg(not(feature = "native-tls"))]
fn identity(chain: &[u8], key: &[u8]) -> Result<reqwest::Identity> {
    let mut pem = chain.to_vec();
    pem.push(b'\n');
    pem.extend_from_slice(key);
    reqwest::Identity::from_pem(&pem).map_err(|e| Error::new(ErrorKind::Config).with_source(e))
}

#[cfg(feature = "native-tls")]
fn identity(chain: &[u8], key: &[u8]) -> Result<reqwest::Identity> {
    reqwest::Identity::from_pkcs8_pem(chain, key)
        .map_err(|e| Error::new(ErrorKind::Config).with_source(e))
}

/// State shared by every handle: one connection pool, one configuration.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) http: reqwest::Client,
    /// `{server}/{tenant}/controller/v1`
    pub(crate) base: Url,
    pub(crate) auth_header: Option<String>,
    pub(crate) auth_scope: AuthScope,
    pub(crate) backoff: Backoff,
    pub(crate) max_document_bytes: usize,
    pub(crate) request_timeout: Option<Duration>,
    pub(crate) cbor: bool,
}

/// A DDI client: one connection pool and configuration, shared by any number
/// of [`Controller`] handles (gateway mode). Cheap to clone.
#[derive(Debug, Clone)]
pub struct Client {
    shared: Arc<Shared>,
}

impl Client {
    /// Starts configuring a client for `server` (e.g. `https://hawkbit.example`)
    /// and `tenant` (hawkBit's default is `DEFAULT`).
    pub fn builder(server: impl Into<String>, tenant: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            server: server.into(),
            tenant: tenant.into(),
            auth: Auth::None,
            auth_scope: AuthScope::default(),
            identity: None,
            roots: Vec::new(),
            replace_roots: false,
            proxy: None,
            no_proxy: false,
            connect_timeout: Duration::from_secs(30),
            request_timeout: Some(Duration::from_secs(60)),
            read_timeout: Some(Duration::from_secs(60)),
            backoff: Backoff::default(),
            max_document_bytes: DEFAULT_MAX_DOCUMENT_BYTES,
            max_redirects: 5,
            pool_idle_per_host: 32,
            cbor: false,
            rustls: None,
        }
    }

    /// A handle for one controller id using the client's credentials.
    ///
    /// Fails when the id is empty or longer than hawkBit's 256 characters.
    pub fn controller(&self, controller_id: &str) -> Result<Controller> {
        Controller::new(
            self.shared.clone(),
            controller_id,
            self.shared.auth_header.clone(),
        )
    }

    /// A handle for one controller id with its own target token, on the
    /// shared connection pool.
    pub fn controller_with_token(
        &self,
        controller_id: &str,
        target_token: &str,
    ) -> Result<Controller> {
        Controller::new(
            self.shared.clone(),
            controller_id,
            Auth::TargetToken(target_token.to_owned()).header(),
        )
    }
}
