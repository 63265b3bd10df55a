//! Things mode: the manager's cloud side as Kanto's Ditto `UpdateManager`
//! feature, over the Hono MQTT-adapter topics on the local broker.
//!
//! Sans-IO like the manager: feed it raw messages, publish what it returns.

use std::collections::VecDeque;

use super::{CloudMessage, Manager, ManagerOutput, ManagerWarning};
use crate::model::ditto::{
    ApplyValue, ConsentFeedbackValue, ConsentValue, CurrentStateProperties, DittoMessage,
    EdgeThing, ErrorValue, FeedbackValue, RefreshValue, ThingId,
};
use crate::model::{DecodeError, Envelope};
use crate::publication::Publication;

/// Where the manager asks for its thing identity.
pub const EDGE_THING_REQUEST: &str = "edge/thing/request";
/// Where the identity arrives (often retained).
pub const EDGE_THING_RESPONSE: &str = "edge/thing/response";
/// The filter for Ditto commands to the device.
pub const COMMAND_FILTER: &str = "command///req/#";
/// Where Ditto events and messages from the device go.
pub const EVENT_TOPIC: &str = "e";

/// Bridges [`Manager`] cloud messages to and from the Ditto feature.
#[derive(Debug)]
pub struct ThingsBridge {
    domain: String,
    thing: Option<ThingId>,
    pending_consent: Option<String>,
    /// Cloud messages produced before the thing identity was known.
    held: VecDeque<(i64, CloudMessage)>,
    counter: u64,
}

impl ThingsBridge {
    /// A bridge for the manager's `domain` (`device`).
    pub fn new(domain: impl Into<String>) -> Self {
        Self {
            domain: domain.into(),
            thing: None,
            pending_consent: None,
            held: VecDeque::new(),
            counter: 0,
        }
    }

    /// The thing, once known.
    pub fn thing(&self) -> Option<&ThingId> {
        self.thing.as_ref()
    }

    /// Topics to subscribe to.
    pub fn subscriptions() -> [&'static str; 2] {
        [EDGE_THING_RESPONSE, COMMAND_FILTER]
    }

    /// What to publish after connecting: the identity request (empty payload).
    pub fn on_connect(&self) -> Publication {
        Publication::new(EDGE_THING_REQUEST, Vec::new())
    }

    /// Handles a message on a things-mode topic; returns what to publish.
    /// Returns `None` when the topic is not a things-mode topic.
    pub fn handle_publish(
        &mut self,
        manager: &mut Manager,
        now: i64,
        topic: &str,
        payload: &[u8],
    ) -> Option<Vec<Publication>> {
        if topic == EDGE_THING_RESPONSE {
            return Some(self.on_identity(manager, now, payload));
        }
        let rest = topic.strip_prefix("command///req/")?;
        let req_id = rest.split('/').next().unwrap_or("");
        let msg = match DittoMessage::<serde_json::Value>::from_slice(payload) {
            Ok(m) => m,
            Err(e) => {
                manager.push_warning(ManagerWarning::Undecodable {
                    what: "ditto",
                    reason: e.to_string(),
                });
                return Some(Vec::new());
            }
        };
        let value = msg.value.clone().unwrap_or(serde_json::Value::Null);
        let result: Result<(), (u16, String)> = match msg.subject() {
            "apply" => match serde_json::from_value::<ApplyValue>(value) {
                Ok(ApplyValue {
                    activity_id,
                    timestamp,
                    desired_state: Some(ds),
                }) => {
                    manager.handle_desired_state(
                        now,
                        Envelope {
                            activity_id,
                            timestamp,
                            payload: Some(ds),
                        },
                    );
                    Ok(())
                }
                Ok(_) => Err((400, "desired state is missing".to_owned())),
                Err(e) => Err((400, DecodeError::from_json("ApplyValue", &e).to_string())),
            },
            "refresh" => match serde_json::from_value::<RefreshValue>(value) {
                Ok(v) => {
                    manager.handle_current_state_get(now, &v.activity_id);
                    Ok(())
                }
                Err(e) => Err((400, DecodeError::from_json("RefreshValue", &e).to_string())),
            },
            "consent" => match (&self.pending_consent, msg.correlation_id()) {
                (None, _) => Err((400, "owner consent handler not available".to_owned())),
                (Some(expected), Some(got)) if expected == got => {
                    match serde_json::from_value::<ConsentFeedbackValue>(value) {
                        Ok(v) => {
                            self.pending_consent = None;
                            manager.handle_consent_feedback(
                                now,
                                Envelope::new(v.activity_id, v.timestamp, v.owner_consent_feedback),
                            );
                            Ok(())
                        }
                        Err(e) => Err((
                            400,
                            DecodeError::from_json("ConsentFeedbackValue", &e).to_string(),
                        )),
                    }
                }
                _ => Err((400, "correlation id mismatch".to_owned())),
            },
            other => Err((400, format!("unsupported message subject {other}"))),
        };
        if let Err((_, reason)) = &result {
            manager.push_warning(ManagerWarning::Undecodable {
                what: "ditto command",
                reason: reason.clone(),
            });
        }
        if !msg.response_required() {
            return Some(Vec::new());
        }
        let response = match result {
            Ok(()) => msg.response::<ErrorValue>(204, None),
            Err((status, message)) => msg.response(
                status,
                Some(ErrorValue {
                    error: "messages:parameter.invalid".to_owned(),
                    status,
                    message,
                }),
            ),
        };
        Some(vec![Publication::new(
            format!("command///res/{req_id}/{}", response.status),
            response.to_vec(),
        )])
    }

    fn on_identity(&mut self, manager: &mut Manager, now: i64, payload: &[u8]) -> Vec<Publication> {
        let edge: EdgeThing = match crate::model::decode(payload, "EdgeThing") {
            Ok(e) => e,
            Err(e) => {
                manager.push_warning(ManagerWarning::Undecodable {
                    what: "edge thing",
                    reason: e.to_string(),
                });
                return Vec::new();
            }
        };
        let Some(thing) = ThingId::parse(&edge.device_id) else {
            manager.push_warning(ManagerWarning::Undecodable {
                what: "edge thing",
                reason: format!("device id {:?} is not namespace:name", edge.device_id),
            });
            return Vec::new();
        };
        let mut out = vec![Publication::new(
            EVENT_TOPIC,
            thing.register_feature(&self.domain).to_vec(),
        )];
        self.thing = Some(thing);
        let held: Vec<_> = self.held.drain(..).collect();
        for (t, m) in held {
            out.extend(self.cloud_publication(t, &m));
        }
        let _ = now;
        out
    }

    /// The things-mode publication of `output` (agent messages keep their
    /// plain topics). Cloud messages wait until the thing identity is known.
    pub fn to_publication(&mut self, now: i64, output: &ManagerOutput) -> Option<Publication> {
        match output {
            ManagerOutput::ToCloud(m) => {
                if self.thing.is_none() {
                    self.held.push_back((now, m.clone()));
                    return None;
                }
                self.cloud_publication(now, m)
            }
            other => other.to_publication(&self.domain),
        }
    }

    fn cloud_publication(&mut self, now: i64, m: &CloudMessage) -> Option<Publication> {
        let thing = self.thing.as_ref()?;
        let bytes = match m {
            CloudMessage::Feedback(e) => thing
                .feedback(FeedbackValue {
                    activity_id: e.activity_id.clone(),
                    timestamp: e.timestamp,
                    desired_state_feedback: e.payload.clone().unwrap_or_default(),
                })
                .to_vec(),
            CloudMessage::CurrentState(e) => thing
                .current_state(CurrentStateProperties {
                    activity_id: e.activity_id.clone(),
                    timestamp: e.timestamp,
                    domain: self.domain.clone(),
                    inventory: e.payload.clone().unwrap_or_default(),
                })
                .to_vec(),
            CloudMessage::OwnerConsent(e) => {
                self.counter += 1;
                let id = correlation_id(now, self.counter);
                let msg = thing.consent_request(
                    &id,
                    ConsentValue {
                        activity_id: e.activity_id.clone(),
                        timestamp: e.timestamp,
                        owner_consent: e.payload.clone().unwrap_or_default(),
                    },
                );
                self.pending_consent = Some(id);
                msg.to_vec()
            }
        };
        Some(Publication::new(EVENT_TOPIC, bytes))
    }
}

/// A UUID-shaped id, unique per bridge (Kanto uses random UUIDs).
fn correlation_id(now: i64, counter: u64) -> String {
    let n = now.unsigned_abs();
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        (n >> 16) as u32,
        (n & 0xffff) as u16,
        (counter >> 12) & 0xfff,
        counter & 0xfff,
        u64::from(std::process::id()) << 16 | (counter & 0xffff)
    )
}
