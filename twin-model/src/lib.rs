//! `twin-model`: exact models of the device documents of Azure IoT Hub
//! (twins, identities, Edge manifests, configurations, Event Grid events,
//! import/export jobs, queries), AWS IoT Device Shadows and Eclipse Ditto
//! things, their limits, their patch algebra, and faithful mappings to
//! Eclipse hawkBit targets, software modules, deployments and target
//! filters. Everything is synchronous and does no I/O: bytes and values
//! in, models, patches and reports out.
//!
//! # Quick start
//!
//! ```
//! use twin_model::condition::Condition;
//! use twin_model::iothub::twin::Twin;
//! use twin_model::mapping::attributes::{twin_to_attributes, AttributeOptions};
//! use twin_model::patch::twin::apply_twin_patch;
//! use twin_model::iothub::twin::TwinPatch;
//! use twin_model::timestamp::Timestamp;
//!
//! // Decode leniently and check IoT Hub's limits in one step.
//! let body = br#"{
//!   "deviceId": "pump-7", "etag": "AAAAAAAAAAE=", "deviceEtag": "null",
//!   "status": "Enabled", "statusUpdateTime": "0001-01-01T00:00:00",
//!   "tags": {"env": "prod", "site": {"building": 4}},
//!   "properties": {
//!     "desired": {"$metadata": {"$lastUpdated": "2018-01-02T19:17:44.4383997Z"}, "$version": 1},
//!     "reported": {"fw": {"version": "2.1"}, "$version": 3}
//!   }
//! }"#;
//! let mut twin = Twin::from_json_validated(body)?;
//! assert!(twin.status_update_time.as_ref().is_some_and(|t| t.is_never()));
//!
//! // Select it with an IoT Hub target condition (compiled once).
//! let cond = Condition::parse("tags.env = 'prod' AND properties.reported.fw.version >= '2.0'")?;
//! assert!(cond.compile().matches(&twin));
//!
//! // Project tags and reported properties onto hawkBit attributes.
//! let attrs = twin_to_attributes(twin.tags.as_ref(), twin.reported(), &AttributeOptions::default());
//! assert_eq!(attrs.attributes["tags.site.building"], "4");
//! assert_eq!(attrs.attributes["reported.fw.version"], "2.1");
//!
//! // Apply a desired patch the way IoT Hub does ($version, $metadata).
//! let patch: TwinPatch = serde_json::from_str(r#"{"properties":{"desired":{"interval":30}}}"#)?;
//! apply_twin_patch(&mut twin, &patch, &Timestamp::parse("2024-05-01T12:00:00.0000000Z"))?;
//! assert_eq!(twin.properties.as_ref().and_then(|p| p.desired.as_ref()).and_then(|d| d.version), Some(2));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Modules
//!
//! | module | holds |
//! | --- | --- |
//! | [`iothub`] | twins and module twins, identities (all authentication kinds), Edge manifests (schema 1.0/1.1) and `$edgeAgent`/`$edgeHub` reported state, ADM configurations, Event Grid / CloudEvents lifecycle and connection events, import/export lines (JSONL) and jobs, query pages, id rules |
//! | [`aws`] | shadow update requests, stored documents, delta, documents and error messages, named shadows, topics |
//! | [`ditto`] | a minimal Ditto thing/feature and protocol envelope |
//! | [`hawkbit`] | the hawkBit side of the mappings: Management API targets, tags, metadata and software modules, controller ids, limits; the DDI documents are `ddi-client`'s models, re-exported as [`hawkbit::ddi`] |
//! | [`validate`] | limits of IoT Hub and AWS, as lists of violations with paths |
//! | [`patch`] | merge patches, minimal diffs, composition, twin metadata/versions, the AWS update cycle and delta |
//! | [`mapping`] | twin ↔ hawkBit attributes/metadata/tags, ids, Edge modules ↔ software modules, twin ↔ shadow, Ditto → shadow, deployments ↔ desired patch, progress ↔ DDI feedback |
//! | [`condition`] | the `targetCondition` language: parser, compiled evaluator, configuration priority, RSQL translation |
//!
//! # Feature flags
//!
//! | feature | default | effect |
//! | --- | --- | --- |
//! | *(none)* | | the crate has no optional features; it needs `std` (serde_json maps) |
//!
//! Dependencies are pure data crates: serde, serde_json, thiserror, base64,
//! `time`, and `ddi-client` without its default features (its DDI models
//! only: no HTTP, no async runtime).
//!
//! # Wire and stability rules
//!
//! * **Lenient decode**: unknown members are ignored; string enums match
//!   exactly, else ignoring ASCII case, and keep unknown values in an
//!   `Other(String)` variant; timestamps keep their raw text (seven fraction digits, a
//!   missing `Z`, `0001-01-01T00:00:00` = never, even impossible dates);
//!   ETags are opaque (the string `"null"` included).
//! * **Strict encode**: members are written with the service's spelling
//!   (`eTag`/`twinETag` in import/export lines, `etag` elsewhere), enums in
//!   their canonical case, timestamps verbatim, absent optional members
//!   omitted (except where the service writes `null`, such as
//!   `x509Thumbprint` members and export `authentication`).
//! * **Bad input** yields typed errors, never a panic: decoding is bounded
//!   by serde_json's recursion limit (128), and every walker over JSON
//!   trees is iterative or depth-bounded, so 100 000-deep input costs
//!   linear time and constant stack.
//! * **Secrets** (symmetric keys, registry passwords, SAS URIs, hawkBit
//!   security tokens) are [`iothub::secret::Secret`]s: serialized verbatim,
//!   redacted in `Debug`, never in error messages.
//! * **Stability**: every public enum and error is `#[non_exhaustive]`;
//!   documented mapping layouts (attribute keys, metadata keys, the
//!   `hawkbitDeployment` property) are wire contracts and change only with
//!   a major version.
//!
//! # Dependency types in the public API
//!
//! `serde_json::Value` and `Map` (the documents are JSON trees) and
//! `ddi-client`'s DDI models ([`hawkbit::ddi`]), which the deployment
//! mapping takes and returns so that DDI documents are declared once. A
//! major version of either is a major version of this crate.
//!
//! # For benchmarks
//!
//! * decode + validate a twin: [`iothub::twin::Twin::from_json_validated`]
//!   (or [`iothub::twin::Twin::from_json`] then
//!   [`validate::twin::validate_twin`]);
//! * compile a condition once with [`condition::Condition::parse`] and
//!   [`condition::Condition::compile`], then evaluate many twins with
//!   [`condition::CompiledCondition::matches`] or, on all cores,
//!   [`condition::CompiledCondition::count_matches`].
//!
//! The workspace's `benches` crate measures both (`twin_condition`: 1,000,000
//! twins against a hand-written `serde_json::Value` walk; the `twin_decode`
//! criterion bench: a 32 KB twin against a plain `serde_json::Value` parse);
//! the figures are in the workspace's `BENCHMARKS.md`.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod aws;
pub mod condition;
pub mod decode;
pub mod ditto;
pub mod etag;
pub mod hawkbit;
pub mod iothub;
pub mod mapping;
mod open_enum;
pub mod patch;
pub mod timestamp;
pub mod validate;

pub use decode::DecodeError;

/// A short name of a JSON value's kind, for error messages.
pub(crate) fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

// The README's examples are compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
