//! A message to publish, independent of the MQTT client.

/// Topic, payload and retain flag of one outgoing message (always QoS 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publication {
    /// The topic.
    pub topic: String,
    /// The JSON bytes.
    pub payload: Vec<u8>,
    /// Only current-state messages are retained.
    pub retain: bool,
}

impl Publication {
    /// A non-retained publication.
    pub fn new(topic: impl Into<String>, payload: Vec<u8>) -> Self {
        Self {
            topic: topic.into(),
            payload,
            retain: false,
        }
    }

    /// A retained publication.
    pub fn retained(topic: impl Into<String>, payload: Vec<u8>) -> Self {
        Self {
            topic: topic.into(),
            payload,
            retain: true,
        }
    }
}
