//! A complete client for Eclipse hawkBit's **Direct Device Integration
//! (DDI) API**: the HTTP API devices use to poll for software updates,
//! download them and report back.
//!
//! Three layers, usable separately:
//!
//! - [`model`]: every DDI document in both directions as plain serde types,
//!   with no HTTP dependency, plus the `sleep` parser. Useful for servers,
//!   mocks, loggers and other transports as much as for clients.
//! - [`Client`] / [`Controller`]: an async client (reqwest) for all 16
//!   operations, with scoped credentials, conditional polling, retries and
//!   one classified [`Error`]. TLS is rustls with extra or replacing roots
//!   and a client identity from PEM, or a whole caller-built rustls
//!   configuration ([`ClientBuilder::rustls_config`]: hardware keys, custom
//!   verifiers, pinning). [`Controller::download`] streams artifacts to
//!   a file or writer with incremental verification and validated resume.
//! - [`agent`]: a complete update loop around a user-supplied
//!   [`agent::Installer`], with a pure decision core.
//!
//! # Quick start
//!
//! Decoding what the server sends needs nothing but the models:
//!
//! ```
//! use ddi_client::model::{ControllerBase, DeploymentBase, Document, Handling, PollingBounds};
//!
//! let poll = br#"{"config":{"polling":{"sleep":"PT24H0.5S"}},
//!                 "_links":{"deploymentBase":{"href":"https://hb/T/controller/v1/dev/deploymentBase/8?c=-21"}}}"#;
//! let base = ControllerBase::from_json(poll)?;
//! // ISO-8601 and HH:mm:ss are both understood, clamped, never zero.
//! assert_eq!(PollingBounds::default().interval(base.sleep()).as_secs(), 86_400);
//! assert!(base.links.deployment_base.unwrap().href.ends_with("?c=-21"));
//!
//! let deployment = DeploymentBase::from_json(br#"{"id":"8","deployment":{"download":"forced",
//!     "update":"skip","chunks":[{"part":"os","version":"1.2","name":"fw","artifacts":[
//!     {"filename":"fw.bin","size":5000000000,"hashes":{"sha1":"a9993e364706816aba3e25717850c26c9cd0d89d"}}]}]}}"#)?;
//! assert_eq!(deployment.deployment.update, Some(Handling::Skip));
//! assert!(deployment.deployment.is_download_only());
//! assert_eq!(deployment.deployment.total_size(), 5_000_000_000); // > 4 GiB is fine
//! # Ok::<(), ddi_client::model::DecodeError>(())
//! ```
//!
//! Talking to a server:
//!
//! ```no_run
//! use ddi_client::model::{ActionFeedback, Execution, Finished};
//! use ddi_client::{Auth, Client, HistoryRequest};
//!
//! # async fn run() -> Result<(), ddi_client::Error> {
//! let client = Client::builder("https://hawkbit.example.com", "DEFAULT")
//!     .auth(Auth::TargetToken("device-token".into()))
//!     .build()?;
//! let device = client.controller("device-42")?;
//! let base = device.poll().await?; // sends If-None-Match after the first poll
//! if let Some(link) = &base.links.deployment_base {
//!     let deployment = device.deployment_base(link, HistoryRequest::Omit).await?;
//!     for artifact in deployment.deployment.chunks.iter().flat_map(|c| &c.artifacts) {
//!         device
//!             .download(artifact)
//!             .on_progress(|p| println!("{} of {:?} bytes", p.downloaded, p.total))
//!             .to_file(std::path::Path::new("/var/lib/updates"))
//!             .await?; // verified (SHA-256 > SHA-1 > MD5), resumable, renamed when done
//!     }
//!     let done = ActionFeedback::new(Execution::Closed, Finished::Success).timestamped_now();
//!     device.deployment_feedback(link, &done).await?;
//! }
//! # Ok(()) }
//! ```
//!
//! Gateway mode: one [`Client`] (one connection pool) serves any number of
//! controller ids, with the tenant's gateway token or per-device tokens
//! ([`Client::controller_with_token`]).
//!
//! ```no_run
//! # async fn run() -> Result<(), ddi_client::Error> {
//! let client = ddi_client::Client::builder("https://hawkbit.example.com", "DEFAULT")
//!     .auth(ddi_client::Auth::GatewayToken("gateway-token".into()))
//!     .build()?;
//! use futures_util::StreamExt;
//! // Bound the requests in flight: the pool keeps `pool_idle_per_host`
//! // (default 32) idle connections, so more in flight than that means
//! // connections closed and reopened after every burst.
//! let results: Vec<_> = futures_util::stream::iter(0..10_000)
//!     .map(|i| {
//!         let device = client.controller(&format!("sensor-{i}"));
//!         async move { device?.poll().await }
//!     })
//!     .buffer_unordered(32)
//!     .collect()
//!     .await;
//! # drop(results); Ok(()) }
//! ```
//!
//! A whole device agent: implement [`agent::Installer`] and run the loop.
//!
//! ```no_run
//! use std::path::PathBuf;
//! use ddi_client::agent::{Agent, InstallOutcome, Installer};
//! use ddi_client::model::DeploymentBase;
//!
//! struct Slot;
//!
//! impl Installer for Slot {
//!     async fn install(&self, _deployment: &DeploymentBase, files: &[PathBuf]) -> InstallOutcome {
//!         // Write `files` (already verified) to the inactive slot, switch, …
//!         if files.is_empty() { InstallOutcome::failure() } else { InstallOutcome::success() }
//!     }
//! }
//!
//! # async fn run(client: ddi_client::Client) -> Result<(), ddi_client::Error> {
//! let mut agent = Agent::new(client.controller("device-42")?, Slot, "/var/lib/ddi-agent");
//! agent.run(std::future::pending()).await; // polls, downloads, installs, reports, resumes after restarts
//! # Ok(()) }
//! ```
//!
//! # Errors and retries
//!
//! Every failure is one [`Error`]: an opaque value with a [`ErrorKind`], the
//! HTTP status, the server's `errorCode`, and a [`RetryClass`]:
//!
//! | class | statuses and causes | what to do |
//! |---|---|---|
//! | `Transient` | network errors, timeouts, 5xx, 409, rate-limit 429 (empty body), download attempts used up by any of these | retried automatically with capped exponential backoff and jitter ([`Backoff`]); then try later (a download resumes from its kept `.part` file) |
//! | `TerminalForAction` | 404/410 on action resources, quota 429/403 (`hawkbit.server.error.quota.*`), hash or size mismatch, a download the server keeps refusing with 4xx | end the action (send failure feedback if possible) and re-poll |
//! | `Auth` | 401, 403 without quota code, credentials lost on a cross-origin redirect | back off for long; fix credentials or use the `https://` URL |
//! | `CallerBug` | 400, 405, 406, 415, 422, invalid configuration, unsafe file names | do not retry |
//!
//! `Display` describes one level only and its wording is not stable; the
//! cause is available through [`std::error::Error::source`]. Tokens never
//! appear in `Debug`, `Display` or logs.
//!
//! # Credentials scope
//!
//! The `Authorization` header is sent only to the configured server's
//! origin. Artifact links on another host (a CDN, blob storage) get none
//! unless allowed with [`ClientBuilder::auth_scope`]. Links are followed
//! verbatim, including hawkBit's opaque `?c=` query.
//!
//! # Feature flags
//!
//! | feature | default | effect |
//! |---|---|---|
//! | `client` | on | [`Client`], [`Controller`], the [`download`]er and the [`agent`]: reqwest with rustls, tokio |
//! | `native-tls` | off | use the platform TLS library instead of rustls (implies `client`; rustls stays compiled in) |
//! | `cbor` | off | CBOR documents: [`model::Document::from_cbor`]/`to_cbor`, and with `client` [`ClientBuilder::cbor`] to speak CBOR with the server |
//!
//! The [`model`] module needs no feature: with `default-features = false`
//! the crate is the DDI documents alone (serde, serde_json, thiserror and
//! `time`), for servers, mocks, gateways and other crates that map DDI
//! documents (`twin-model` uses it this way).
//!
//! ```toml
//! ddi-client = { version = "0.1", default-features = false } # models only
//! ```
//!
//! # Wire and stability rules
//!
//! - Decoding is lenient: unknown fields are ignored, enum values match
//!   exactly or else ignoring ASCII case, unknown ones are kept in an
//!   `Other(String)` variant and written back unchanged, ids may be
//!   JSON strings or numbers, optional server fields (`sha256`, `size`,
//!   `_links`, `metadata`, …) are `Option` or default to empty.
//! - Encoding is strict: what a current hawkBit (≥ 0.7) expects. Feedback
//!   carries `timestamp` and never the legacy `id`; the legacy `time` field
//!   is sent only on request ([`model::ActionFeedback::with_legacy_time`]).
//! - Public enums that may grow are `#[non_exhaustive]`, the open string
//!   enums included (a value decoded as `Other` today may become a named
//!   variant in a minor release). Result structs such as
//!   [`agent::InstallOutcome`] are `#[non_exhaustive]` with constructors.
//!   The model structs are plain data with public fields, built literally
//!   or with their `new` constructors; adding a field to one is a breaking
//!   change and comes only with a major version.
//!
//! # API conventions
//!
//! - Configuration takes `&mut self` setters that return `&mut Self`, each
//!   documenting its default, and is validated when it is used
//!   ([`ClientBuilder`] then [`ClientBuilder::build`], [`agent::Agent`],
//!   [`download::Download`]).
//! - Values are built by consuming `with_*` methods
//!   ([`model::ActionFeedback`], [`model::ConfigData`],
//!   [`agent::InstallOutcome`], [`model::PollingBounds`]).
//! - Traits the user implements ([`agent::Installer`]) are native async
//!   traits: plain `async fn`, no extra crate.
//!
//! # Dependency types in the public API
//!
//! Three, each a deliberate pass-through; a major version of one of these
//! crates is a major version of this one. No other dependency's type
//! (reqwest, hyper, bytes, futures) appears.
//!
//! | type | where | why |
//! |---|---|---|
//! | `rustls::ClientConfig` | [`ClientBuilder::rustls_config`] | a caller-built TLS configuration (hardware keys, custom verifiers, pinning) |
//! | `url::Url` | [`Controller::root_url`], [`Controller::resolve`] | resolved request URLs, for logging and for callers that send their own requests |
//! | `tokio::io::AsyncWrite` | [`download::Download::to_writer`] | stream an artifact into any writer of the caller's runtime |
//!
//! # Cancel safety
//!
//! Dropping a download future leaves at most a hidden `.<name>.part` file and
//! its `.etag` validator, from which the next [`download::Download::to_file`]
//! resumes. A file under the artifact's own name is always complete and
//! verified.

#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "client")]
pub mod agent;
#[cfg(feature = "client")]
pub mod backoff;
#[cfg(feature = "client")]
pub mod client;
#[cfg(feature = "client")]
pub mod download;
#[cfg(feature = "client")]
pub mod error;
pub mod model;

#[cfg(feature = "client")]
pub use backoff::Backoff;
#[cfg(feature = "client")]
pub use client::{
    Auth, AuthScope, Client, ClientBuilder, Controller, HistoryRequest, PollResponse,
};
#[cfg(feature = "client")]
pub use error::{Error, ErrorKind, Result, RetryClass};

// The README's examples are compiled and run as doc tests.
#[cfg(all(doctest, feature = "client"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
