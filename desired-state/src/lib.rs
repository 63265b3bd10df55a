//! `desired-state`: Eclipse Kanto's desired-state specification and Update
//! Agent API, with both roles: the **update manager** that orchestrates
//! several update domains, and the **domain update agent**. Byte-compatible
//! with Kanto's Go components (`kanto-update-manager`, container-management's
//! containers agent) and with Eclipse Leda's self-update agent.
//!
//! # What is in here
//!
//! | module | what it holds | I/O |
//! | --- | --- | --- |
//! | [`model`] | serde types of every message: desired state, commands, feedback, current state, owner consent, the Ditto `UpdateManager` feature ([`model::ditto`]) and Kanto's `SoftwareUpdatable` feature ([`model::software_updatable`]) | none |
//! | [`topic`] | topic names derived from a domain name exactly as Kanto does | none |
//! | [`manager`] | the update manager as a sans-IO state machine (explicit `now`, outputs to drain), plain-mode routing and the things-mode [`manager::ThingsBridge`] | none |
//! | [`agent`] | the [`agent::DomainAgent`] trait, the sans-IO [`agent::AgentCore`] and the transport-neutral [`agent::AgentRuntime`] | none |
//! | `mqtt` | manager and agent services on rumqttc + tokio and a buffering `mqtt::MqttClient` (`mqtt::harness`, a ready-made fleet for benchmarks, with feature `test-support`) | MQTT |
//!
//! # Quick start: decode a desired state and run the manager one step
//!
//! ```
//! use desired_state::manager::{AgentMessage, CloudMessage, Manager, ManagerConfig, ManagerOutput};
//! use desired_state::model::{DesiredState, Envelope, Status};
//!
//! let bytes = br#"{"activityId":"a-1","timestamp":1700000000000,"payload":{
//!     "domains":[{"id":"containers","components":[
//!         {"id":"influxdb","version":"2.7.1",
//!          "config":[{"key":"image","value":"docker.io/library/influxdb:2.7.1"}]}]}]}}"#;
//! let desired = Envelope::<DesiredState>::from_slice(bytes)?;
//! let component = &desired.payload.as_ref().unwrap().domains[0].components[0];
//! assert_eq!(component.config.get("image"), Some("docker.io/library/influxdb:2.7.1"));
//!
//! // The core never reads a clock: `now` is milliseconds since the epoch.
//! let mut manager = Manager::new(ManagerConfig::with_agents(["containers"]));
//! let now = 1_700_000_000_000;
//! manager.handle_desired_state(now, desired);
//! let outputs: Vec<ManagerOutput> = manager.drain_outputs().collect();
//! // The cloud hears IDENTIFYING, the containers agent gets its part.
//! assert!(matches!(&outputs[0], ManagerOutput::ToCloud(m) if m.status() == Some(&Status::Identifying)));
//! assert!(matches!(&outputs[1],
//!     ManagerOutput::ToAgent { domain, message: AgentMessage::DesiredState(_) } if domain == "containers"));
//! // Each output knows its plain-mode topic and bytes.
//! let p = outputs[1].to_publication("device").unwrap();
//! assert_eq!(p.topic, "containersupdate/desiredstate");
//! // Nothing answered: the phase timeout (10 min by default) is the next deadline.
//! assert_eq!(manager.poll_timeout(), Some(now + 600_000));
//! # Ok::<(), desired_state::model::DecodeError>(())
//! ```
//!
//! On MQTT the same takes two lines per role (needs a broker and a tokio runtime):
//!
//! ```no_run
//! # #[cfg(feature = "mqtt")]
//! # async fn demo() {
//! use desired_state::agent::NoopAgent;
//! use desired_state::manager::ManagerConfig;
//! use desired_state::mqtt::{AgentHandle, CloudMode, ManagerHandle, MqttSettings};
//!
//! let settings = MqttSettings::new("127.0.0.1", 1883);
//! let manager = ManagerHandle::spawn(&settings, ManagerConfig::with_agents(["containers"]), CloudMode::Plain);
//! let agent = AgentHandle::spawn(&settings, "containers", NoopAgent::new("containers"));
//! # let _ = (manager, agent);
//! # }
//! ```
//!
//! # Feature flags
//!
//! | feature | default | what it adds |
//! | --- | --- | --- |
//! | `mqtt` | yes | the `mqtt` module: rumqttc 0.25 (without its default TLS) and tokio |
//! | `test-support` | no | `mqtt::harness`: a manager and five no-op agents driven like a cloud would, for benchmarks and demos; outside the semver promise |
//! | `mqtt-tls` | no | MQTT over TLS (rustls with the ring provider, CA roots and an optional client certificate): a `tls` field on `mqtt::MqttSettings`, `mqtt::TlsSettings::client_config` to check it, and TLS schemes in `mqtt::MqttSettings::from_broker_url`; tested against Mosquitto's TLS listener with client certificates required |
//!
//! Without `mqtt` the crate is the models and the sans-IO cores only.
//!
//! # Wire rules and stability
//!
//! - **Encoding is Kanto's**: fields in Go struct order, `omitempty` fields
//!   (empty strings and lists, zero numbers, `false`) left out, envelopes
//!   always with `activityId`, `timestamp` and `payload` (`null` when empty).
//!   Captured Kanto output re-encodes byte for byte; the test suite checks it.
//! - **Decoding is lenient**: unknown keys are ignored, `null` equals a
//!   missing key, statuses and commands match exactly or else ignoring ASCII
//!   case, and unknown ones are kept in `Other(String)` variants (Leda's
//!   `COMPLETE`, `UPDATED`) and re-encoded unchanged.
//!   As in Go's `encoding/json`, struct keys match exactly or else ignoring
//!   case (`ActivityID` fills `activityId`); map keys are kept as sent.
//! - **Topics**: `<domain without '-'>` plus `update` unless it already ends
//!   with `update` ([`topic::prefix`]); QoS 1 everywhere, only current state
//!   is retained.
//! - **Behaviour** follows Kanto's update manager (one activity at a time,
//!   phases in lock-step across domains, a failed domain cleaned up at once
//!   while the others continue, per-phase timeouts, owner consent with
//!   rollback, rate-limited RUNNING, the ACTIVATION→UPDATE action rewrite
//!   for the cloud). Deliberate differences, each a fix for a Kanto pitfall:
//!   refused or misaddressed input yields a [`manager::ManagerWarning`] or an
//!   `IDENTIFICATION_FAILED` with the reason instead of silence; a pending
//!   current-state request never blocks a desired state and any later report
//!   answers it; cross-domain rollback is available as an option
//!   ([`manager::ManagerConfig::rollback_on_failure`]); after a reconnect the
//!   manager re-sends what agents may have missed and agents repeat their
//!   last feedback, so a broker restart loses no activity.
//! - **Stability**: every public enum and config struct is `#[non_exhaustive]`;
//!   wire encodings only change to match Kanto more closely, and such a change
//!   is called out in the changelog. Message texts of errors and warnings are
//!   for people, not for matching.
//!
//! # API conventions
//!
//! - Configuration is plain data, as Kanto's configuration files are:
//!   `#[non_exhaustive]` structs with public fields, each documenting its
//!   default, made by a constructor that takes the required values
//!   ([`manager::ManagerConfig::with_agents`], `mqtt::MqttSettings::new`),
//!   then changed field by field.
//! - Values are refined by consuming methods ([`model::Feedback`]'s
//!   `with_*`, [`publication::Publication::coalescing`]).
//! - Traits the user implements ([`agent::DomainAgent`]) are native async
//!   traits: plain `async fn`, no extra crate.
//!
//! # Dependency types in the public API
//!
//! None of rumqttc's or tokio's types appear: the MQTT binding takes our
//! [`publication::Publication`] and settings, and hands out topics and
//! payloads as `String` and `Vec<u8>`. With `mqtt-tls`,
//! `mqtt::TlsSettings::client_config` returns a `rustls::ClientConfig`, a
//! deliberate pass-through for callers that check or reuse it.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod agent;
pub mod manager;
pub mod model;
#[cfg(feature = "mqtt")]
pub mod mqtt;
pub mod publication;
pub mod topic;

// The README's examples are compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
