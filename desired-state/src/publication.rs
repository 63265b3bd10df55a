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
    /// Messages on the same topic with the same key supersede each other:
    /// while one waits to be sent, a newer one replaces it in place. Set on
    /// progress feedback, whose every message carries the full action list.
    pub coalesce_key: Option<String>,
}

impl Publication {
    /// A non-retained publication.
    pub fn new(topic: impl Into<String>, payload: Vec<u8>) -> Self {
        Self {
            topic: topic.into(),
            payload,
            retain: false,
            coalesce_key: None,
        }
    }

    /// A retained publication.
    pub fn retained(topic: impl Into<String>, payload: Vec<u8>) -> Self {
        Self {
            topic: topic.into(),
            payload,
            retain: true,
            coalesce_key: None,
        }
    }

    /// Lets a newer publication with the same topic and `key` replace this
    /// one while it has not been sent yet.
    #[must_use]
    pub fn coalescing(mut self, key: impl Into<String>) -> Self {
        self.coalesce_key = Some(key.into());
        self
    }
}
