//! Ditto protocol messages of the `UpdateManager` feature (things mode).
//!
//! In things mode Kanto's update manager talks to the cloud through Ditto
//! envelopes on the local broker: it publishes on `e` and receives on
//! `command///req/<request-id>/<subject>`, answering on
//! `command///res/<request-id>/<status>`.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::command::{OwnerConsent, OwnerConsentFeedback};
use super::desired_state::DesiredState;
use super::envelope::decode;
use super::error::DecodeError;
use super::feedback::Feedback;
use super::inventory::Inventory;
use super::nullable::{is_empty_str, is_zero, null_default};

/// The feature's definition as Kanto registers it.
pub const UPDATE_MANAGER_DEFINITION: &str = "com.bosch.iot.suite.edge.update:UpdateManager:1.0.0";
/// The feature id.
pub const UPDATE_MANAGER_FEATURE: &str = "UpdateManager";

/// Ditto headers; Go's client marshals them from a map, so keys come out sorted.
pub type DittoHeaders = BTreeMap<String, serde_json::Value>;

/// A Ditto protocol envelope with a typed `value`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DittoMessage<V = serde_json::Value> {
    /// `<namespace>/<name>/things/<channel>/<criterion>/<action-or-subject>`.
    #[serde(default, deserialize_with = "null_default")]
    pub topic: String,
    /// Headers such as `correlation-id`, `response-required`, `content-type`.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub headers: DittoHeaders,
    /// The resource path, e.g. `/features/UpdateManager/inbox/messages/apply`.
    #[serde(default, deserialize_with = "null_default")]
    pub path: String,
    /// The message value.
    #[serde(
        default = "none",
        skip_serializing_if = "Option::is_none",
        bound(deserialize = "V: Deserialize<'de>")
    )]
    pub value: Option<V>,
    /// The HTTP-like status of a response.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "is_zero"
    )]
    pub status: u16,
}

fn none<T>() -> Option<T> {
    None
}

impl<V: Serialize> DittoMessage<V> {
    /// Encodes as compact JSON.
    pub fn to_vec(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

impl<V: DeserializeOwned> DittoMessage<V> {
    /// Decodes a Ditto envelope.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, DecodeError> {
        decode(bytes, "ditto")
    }
}

impl<V> DittoMessage<V> {
    /// The `correlation-id` header.
    pub fn correlation_id(&self) -> Option<&str> {
        self.headers.get("correlation-id").and_then(|v| v.as_str())
    }

    /// The `response-required` header (a bool, or the string `"true"`).
    pub fn response_required(&self) -> bool {
        match self.headers.get("response-required") {
            Some(serde_json::Value::Bool(b)) => *b,
            Some(serde_json::Value::String(s)) => s.eq_ignore_ascii_case("true"),
            _ => false,
        }
    }

    /// The last segment of `path` (the message subject for live messages).
    pub fn subject(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or("")
    }
}

/// A thing's identity, `namespace:name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ThingId {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
}

impl ThingId {
    /// Parses `namespace:name` (the `deviceId` of `edge/thing/response`).
    pub fn parse(device_id: &str) -> Option<Self> {
        let (ns, name) = device_id.split_once(':')?;
        Some(Self {
            namespace: ns.to_owned(),
            name: name.to_owned(),
        })
    }

    /// `ns/name/things/live/messages/<subject>`.
    pub fn live_message_topic(&self, subject: &str) -> String {
        format!(
            "{}/{}/things/live/messages/{subject}",
            self.namespace, self.name
        )
    }

    /// `ns/name/things/twin/commands/modify`.
    pub fn twin_modify_topic(&self) -> String {
        format!(
            "{}/{}/things/twin/commands/modify",
            self.namespace, self.name
        )
    }
}

/// The payload of `edge/thing/response`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EdgeThing {
    /// `namespace:name`.
    #[serde(rename = "deviceId", default, deserialize_with = "null_default")]
    pub device_id: String,
    /// Tenant.
    #[serde(
        rename = "tenantId",
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "is_empty_str"
    )]
    pub tenant_id: String,
    /// Policy.
    #[serde(
        rename = "policyId",
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "is_empty_str"
    )]
    pub policy_id: String,
}

/// Value of inbox `apply`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplyValue {
    /// Activity id.
    #[serde(rename = "activityId", default, deserialize_with = "null_default")]
    pub activity_id: String,
    /// Milliseconds since the epoch.
    #[serde(default, deserialize_with = "null_default")]
    pub timestamp: i64,
    /// The desired state; a missing one is answered with 400.
    #[serde(
        rename = "desiredState",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub desired_state: Option<DesiredState>,
}

/// Value of inbox `refresh`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshValue {
    /// Activity id.
    #[serde(rename = "activityId", default, deserialize_with = "null_default")]
    pub activity_id: String,
    /// Milliseconds since the epoch.
    #[serde(default, deserialize_with = "null_default")]
    pub timestamp: i64,
}

/// Value of outbox `feedback`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedbackValue {
    /// Activity id.
    #[serde(rename = "activityId", default, deserialize_with = "null_default")]
    pub activity_id: String,
    /// Milliseconds since the epoch.
    #[serde(default, deserialize_with = "null_default")]
    pub timestamp: i64,
    /// The feedback.
    #[serde(
        rename = "desiredStateFeedback",
        default,
        deserialize_with = "null_default"
    )]
    pub desired_state_feedback: Feedback,
}

/// Value of outbox `consent` (the request to the owner).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentValue {
    /// Activity id.
    #[serde(rename = "activityId", default, deserialize_with = "null_default")]
    pub activity_id: String,
    /// Milliseconds since the epoch.
    #[serde(default, deserialize_with = "null_default")]
    pub timestamp: i64,
    /// The command awaiting consent.
    #[serde(rename = "ownerConsent", default, deserialize_with = "null_default")]
    pub owner_consent: OwnerConsent,
}

/// Value of inbox `consent` (the owner's answer).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentFeedbackValue {
    /// Activity id.
    #[serde(rename = "activityId", default, deserialize_with = "null_default")]
    pub activity_id: String,
    /// Milliseconds since the epoch.
    #[serde(default, deserialize_with = "null_default")]
    pub timestamp: i64,
    /// The answer.
    #[serde(
        rename = "ownerConsentFeedback",
        default,
        deserialize_with = "null_default"
    )]
    pub owner_consent_feedback: OwnerConsentFeedback,
}

/// The feature properties, how the current state is reported in things mode.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentStateProperties {
    /// Activity id.
    #[serde(rename = "activityId", default, deserialize_with = "null_default")]
    pub activity_id: String,
    /// Milliseconds since the epoch.
    #[serde(default, deserialize_with = "null_default")]
    pub timestamp: i64,
    /// The manager's domain (`device`).
    #[serde(default, deserialize_with = "null_default")]
    pub domain: String,
    /// The merged inventory.
    #[serde(default, deserialize_with = "null_default")]
    pub inventory: Inventory,
}

/// The feature registration value: definition and `domain` property.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureRegistration {
    /// Feature definitions.
    #[serde(default, deserialize_with = "null_default")]
    pub definition: Vec<String>,
    /// Properties.
    #[serde(default, deserialize_with = "null_default")]
    pub properties: RegistrationProperties,
}

/// Properties written at registration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationProperties {
    /// The manager's domain.
    #[serde(default, deserialize_with = "null_default")]
    pub domain: String,
}

/// The value of an error response.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorValue {
    /// Error code, e.g. `messages:parameter.invalid`.
    #[serde(default, deserialize_with = "null_default")]
    pub error: String,
    /// HTTP-like status.
    #[serde(default, deserialize_with = "null_default")]
    pub status: u16,
    /// Explanation.
    #[serde(default, deserialize_with = "null_default")]
    pub message: String,
}

fn path(direction: &str, subject: &str) -> String {
    format!("/features/{UPDATE_MANAGER_FEATURE}/{direction}/messages/{subject}")
}

fn headers(entries: &[(&str, serde_json::Value)]) -> DittoHeaders {
    entries
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

/// Builders for the messages Kanto's update manager sends in things mode.
impl ThingId {
    /// Twin modify registering the feature.
    pub fn register_feature(&self, domain: &str) -> DittoMessage<FeatureRegistration> {
        DittoMessage {
            topic: self.twin_modify_topic(),
            headers: headers(&[("response-required", false.into())]),
            path: format!("/features/{UPDATE_MANAGER_FEATURE}"),
            value: Some(FeatureRegistration {
                definition: vec![UPDATE_MANAGER_DEFINITION.to_owned()],
                properties: RegistrationProperties {
                    domain: domain.to_owned(),
                },
            }),
            status: 0,
        }
    }

    /// Twin modify of the feature properties with the current state.
    pub fn current_state(
        &self,
        value: CurrentStateProperties,
    ) -> DittoMessage<CurrentStateProperties> {
        DittoMessage {
            topic: self.twin_modify_topic(),
            headers: headers(&[
                ("content-type", "application/json".into()),
                ("response-required", false.into()),
            ]),
            path: format!("/features/{UPDATE_MANAGER_FEATURE}/properties"),
            value: Some(value),
            status: 0,
        }
    }

    /// Outbox `feedback` live message.
    pub fn feedback(&self, value: FeedbackValue) -> DittoMessage<FeedbackValue> {
        DittoMessage {
            topic: self.live_message_topic("feedback"),
            headers: headers(&[
                ("content-type", "application/json".into()),
                ("response-required", false.into()),
            ]),
            path: path("outbox", "feedback"),
            value: Some(value),
            status: 0,
        }
    }

    /// Outbox `consent` request, answered with the same correlation id.
    pub fn consent_request(
        &self,
        correlation_id: &str,
        value: ConsentValue,
    ) -> DittoMessage<ConsentValue> {
        DittoMessage {
            topic: self.live_message_topic("consent"),
            headers: headers(&[
                ("content-type", "application/json".into()),
                ("correlation-id", correlation_id.into()),
                ("response-required", true.into()),
            ]),
            path: path("outbox", "consent"),
            value: Some(value),
            status: 0,
        }
    }
}

impl<V> DittoMessage<V> {
    /// The response Kanto sends to an inbox message: same topic, the request's
    /// correlation id, outbox path, `status`, and an optional value.
    pub fn response<R>(&self, status: u16, value: Option<R>) -> DittoMessage<R> {
        let mut h = DittoHeaders::new();
        if value.is_some() {
            h.insert("content-type".into(), "application/json".into());
        }
        if let Some(id) = self.correlation_id() {
            h.insert("correlation-id".into(), id.into());
        }
        h.insert("response-required".into(), false.into());
        DittoMessage {
            topic: self.topic.clone(),
            headers: h,
            path: self.path.replacen("/inbox/", "/outbox/", 1),
            value,
            status,
        }
    }
}
