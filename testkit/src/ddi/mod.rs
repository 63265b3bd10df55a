//! A stateful, in-process hawkBit DDI server for tests, examples and benches.
//!
//! [`DdiServer`] answers all 16 operations of hawkBit's Direct Device
//! Integration API on `127.0.0.1` (its own thread and runtime, so it suits
//! sync and async tests alike), with the real server's state machine and
//! status-code semantics as described in `shared/reference/ddi.md`:
//!
//! - tenants with target-token, gateway-token or anonymous access, and
//!   controllers auto-registered on their first poll or pre-registered;
//! - actions soft, forced, time-forced and download-only (`download`/`update`
//!   as `skip|attempt|forced`), maintenance windows, the confirmation flow
//!   with auto-confirm, operator cancels, `installedBase`, `actionHistory`,
//!   `configData` (merge/replace/remove) and every feedback kept per action;
//! - artifact downloads with `Range`, multipart ranges, `If-Range`, `If-Match`
//!   (416/412 as `FileStreamingUtil` gives them) and the `.MD5SUM` endpoint;
//! - `ETag`/`If-None-Match` → 304 on JSON answers (Spring's shallow ETag),
//!   opaque `c=` on action links, hawkBit's `ExceptionInfo` error bodies;
//! - `application/hal+json` (default), `application/json` or
//!   `application/cbor` answers, JSON or CBOR request bodies, 406/415 for
//!   anything else;
//! - hawkBit's **Management API** for targets on the same listener and
//!   store (`/rest/v1/targets` with paging, `sort` and a FIQL subset for `q`,
//!   attributes, metadata, target tags and their assignment; basic auth per
//!   tenant set with [`DdiServerBuilder::mgmt_user`]): targets created there
//!   are controllers whose `securityToken` is their target token, and
//!   attributes written through `configData` show in
//!   `GET /rest/v1/targets/{id}/attributes`;
//! - a second listener standing in for a CDN, which records whether it got
//!   an `Authorization` header;
//! - optional HTTPS with client certificates ([`TlsConfig`], a built-in
//!   [`test_pki`]), the certificate's CN standing for the controller id as
//!   behind hawkBit's TLS-terminating proxy;
//! - [fault injection](FaultRule): statuses, 429 with and without body,
//!   truncated and slow bodies, lying `Content-Range`, ignored `Range`,
//!   corrupted bytes, redirects (to the CDN, elsewhere, in a loop) and huge
//!   JSON, each aimed at a route and optionally one controller;
//! - a scale mode for load tests: with
//!   [`DdiServerBuilder::request_log`]`(false)` a poll costs a map lookup and
//!   a small serialisation under one lock, and a controller is a small struct
//!   (10,000 controllers each polling and revalidating with `If-None-Match`,
//!   20,000 requests, take about a second with the client in the same debug
//!   build), and [`ArtifactSpec::generated`] serves multi-GiB artifacts
//!   from a 128 KiB pattern without holding them in memory.
//!
//! # hawkBit behaviours kept on purpose
//!
//! Taken from `DdiRootController` and `FileStreamingUtil`, surprising or not:
//! a full download carries `Content-Range` on its `200`; `Range: bytes=0-`
//! (the whole file) is a `200`, not a `206`; the multipart body has no blank
//! line between a part's `Content-Range` and its bytes; range requests are
//! neither access-checked nor logged, full downloads and `.MD5SUM` are both;
//! `deploymentBase` of a closed action still answers `200`; `canceled` sent
//! as deployment feedback sets `CANCELED` but leaves the action open; a
//! cancel rejected (or failed) by the device puts the action back to
//! `RUNNING`; a download-only action closes on `downloaded`, so later
//! feedback gets `410` (the reference notes say hawkBit accepts one more
//! final status; its controller code answers `410` to inactive actions);
//! `configData` asks again after a successful update.
//!
//! It emits hawkBit's JSON (or CBOR, when asked) itself and shares no code
//! with `ddi-client`, so it can check that client independently. Not simulated:
//! the DoS filter (use [`Fault::RateLimited`]), per-group
//! polling overrides, recurring maintenance schedules; in the Management
//! API everything but targets, metadata and target tags (distribution sets,
//! actions, rollouts, target types), `ipAddress`/`installedAt`/`targetType`
//! in the target document, and FIQL beyond `==`/`!=` with `;` and `,`.
//!
//! # Quick start
//!
//! ```
//! use testkit::ddi::{ArtifactSpec, Assignment, DdiServer, ModuleSpec, ActionStatus};
//!
//! let server = DdiServer::start();
//! server.register_controller("dev-1", Some("secret-token"));
//! let deployment = server.deploy(
//!     &["dev-1"],
//!     ModuleSpec::new("firmware", "1.0.0").artifact(ArtifactSpec::new("fw.bin", &b"firmware image"[..])),
//!     &Assignment::default(),
//! );
//!
//! let http = reqwest::blocking::Client::new();
//! let poll: serde_json::Value = http
//!     .get(server.controller_url("dev-1"))
//!     .header("Authorization", "TargetToken secret-token")
//!     .send()?
//!     .json()?;
//! let href = poll["_links"]["deploymentBase"]["href"].as_str().unwrap();
//! assert!(href.contains(&format!("/deploymentBase/{}?c=", deployment.actions[0])));
//!
//! let feedback = serde_json::json!({"status": {"execution": "closed", "result": {"finished": "success"}}});
//! let answer = http
//!     .post(format!("{}/deploymentBase/{}/feedback", server.controller_url("dev-1"), deployment.actions[0]))
//!     .header("Authorization", "TargetToken secret-token")
//!     .json(&feedback)
//!     .send()?;
//! assert_eq!(answer.status(), 200);
//! assert_eq!(server.action(deployment.actions[0]).unwrap().status, ActionStatus::Finished);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The Management API
//!
//! ```
//! use testkit::ddi::{DdiServer, TenantConfig};
//!
//! let server = DdiServer::builder()
//!     .tenant("DEFAULT", TenantConfig::with_gateway_token("gw"))
//!     .mgmt_user("DEFAULT", "admin", "admin-password")
//!     .start();
//! let http = reqwest::blocking::Client::new();
//! let created: serde_json::Value = http
//!     .post(format!("{}/targets", server.mgmt_url()))
//!     .basic_auth("admin", Some("admin-password"))
//!     .json(&serde_json::json!([{"controllerId": "dev-1", "securityToken": "tok-1"}]))
//!     .send()?
//!     .json()?;
//! assert_eq!(created[0]["securityToken"], "tok-1");
//! // the new target is a DDI controller with that token
//! let poll = http.get(server.controller_url("dev-1")).header("Authorization", "TargetToken tok-1").send()?;
//! assert_eq!(poll.status(), 200);
//! // a device's configData shows as the target's attributes
//! http.put(format!("{}/configData", server.controller_url("dev-1")))
//!     .header("Authorization", "GatewayToken gw")
//!     .json(&serde_json::json!({"data": {"fw": "1.2"}}))
//!     .send()?;
//! let attributes: serde_json::Value = http
//!     .get(format!("{}/targets/dev-1/attributes", server.mgmt_url()))
//!     .basic_auth("admin", Some("admin-password"))
//!     .send()?
//!     .json()?;
//! assert_eq!(attributes["fw"], "1.2");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Faults and the CDN origin
//!
//! ```
//! use testkit::ddi::{
//!     ArtifactLinks, ArtifactSpec, Assignment, DdiServer, Fault, FaultRule, LinkOrigin, ModuleSpec,
//!     RouteKind, TenantConfig,
//! };
//!
//! let server = DdiServer::builder()
//!     .tenant("DEFAULT", TenantConfig::with_gateway_token("gw"))
//!     .artifact_links(ArtifactLinks::all_four(LinkOrigin::Cdn))
//!     .start();
//! let deployment = server.deploy(
//!     &["dev-1", "dev-2"],
//!     ModuleSpec::new("firmware", "2.0").artifact(ArtifactSpec::generated("fw.img", 1 << 20, 7)),
//!     &Assignment::default(),
//! );
//! // the next poll gets a rate-limit 429 (empty body), the one after a 503
//! server.inject(FaultRule::once(RouteKind::Root, Fault::RateLimited));
//! server.inject(FaultRule::once(RouteKind::Root, Fault::Status(503)));
//! // the first CDN download is cut after 1000 bytes
//! server.inject(FaultRule::once(RouteKind::CdnDownload, Fault::Truncate { after: 1000 }));
//!
//! let http = reqwest::blocking::Client::new();
//! let poll = |id: &str| http.get(server.controller_url(id)).header("Authorization", "GatewayToken gw").send();
//! assert_eq!(poll("dev-1")?.status(), 429);
//! assert_eq!(poll("dev-1")?.status(), 503);
//! assert_eq!(poll("dev-2")?.status(), 200);
//! let cdn = server.artifact_url("dev-1", deployment.module, "fw.img", LinkOrigin::Cdn);
//! assert!(http.get(&cdn).send()?.bytes().is_err(), "truncated");
//! assert_eq!(http.get(&cdn).send()?.bytes()?.len(), 1 << 20);
//! // the CDN saw no credentials
//! assert!(server.cdn_requests().iter().all(|r| r.authorization.is_none()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod action;
mod catalog;
pub(crate) mod cbor;
mod cdn;
mod config;
mod documents;
mod download;
mod endpoints;
mod errors;
mod fault_responses;
mod faults;
mod feedback;
mod http;
mod http_date;
mod mgmt;
mod render;
mod requests;
mod route;
mod server;
mod store;
mod tls;

pub use action::{
    Action, ActionId, ActionStatus, ActionType, EntrySource, MaintenanceWindow,
    SERVER_MESSAGE_PREFIX, StatusEntry,
};
pub use catalog::{
    Artifact, ArtifactData, ArtifactHashes, ArtifactSpec, Distribution, DistributionId, ModuleId,
    ModuleSpec, SoftwareModule,
};
/// The simulator's CBOR ↔ JSON conversion, for test clients that speak CBOR.
pub use cbor::{decode as cbor_to_json, encode as json_to_cbor};
pub use config::{ArtifactLinks, LinkOrigin, TenantConfig, format_sleep};
pub use faults::{Fault, FaultRule};
pub use requests::RequestRecord;
pub use route::RouteKind;
pub use server::{DEFAULT_TENANT, DdiServer, DdiServerBuilder, Deployment};
pub use store::{Assignment, AutoConfirm, Controller};
pub use tls::{TlsConfig, test_pki};
