//! Connection settings of the MQTT binding.

use std::time::Duration;

/// How to reach the broker. Defaults follow Kanto's clients where they
/// matter (keep-alive 20 s, clean session, QoS 1) and set TCP_NODELAY,
/// which Kanto's clients do not.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MqttSettings {
    /// Broker host. Default `127.0.0.1`.
    pub host: String,
    /// Broker port. Default 1883.
    pub port: u16,
    /// Client id; default: generated, unique per connection object.
    pub client_id: Option<String>,
    /// Keep-alive. Default 20 s.
    pub keep_alive: Duration,
    /// Disable Nagle's algorithm on our socket. Default true.
    pub tcp_nodelay: bool,
    /// First reconnect delay, doubled after each failure. Default 100 ms.
    pub reconnect_min: Duration,
    /// Longest reconnect delay. Default 5 s.
    pub reconnect_max: Duration,
    /// User name and password, if the broker wants them.
    pub credentials: Option<(String, String)>,
    /// Largest packet accepted or sent. Default 64 MiB.
    pub max_packet_size: usize,
}

impl Default for MqttSettings {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".to_owned(),
            port: 1883,
            client_id: None,
            keep_alive: Duration::from_secs(20),
            tcp_nodelay: true,
            reconnect_min: Duration::from_millis(100),
            reconnect_max: Duration::from_secs(5),
            credentials: None,
            max_packet_size: 64 << 20,
        }
    }
}

impl MqttSettings {
    /// Settings for a broker on `host:port`, other values default.
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        Self {
            host: host.into(),
            port,
            ..Self::default()
        }
    }
}

impl std::fmt::Debug for MqttSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The password never goes into logs.
        f.debug_struct("MqttSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("client_id", &self.client_id)
            .field("keep_alive", &self.keep_alive)
            .field("tcp_nodelay", &self.tcp_nodelay)
            .field("reconnect_min", &self.reconnect_min)
            .field("reconnect_max", &self.reconnect_max)
            .field("user", &self.credentials.as_ref().map(|(u, _)| u))
            .field("max_packet_size", &self.max_packet_size)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_password() {
        let mut s = MqttSettings::new("h", 1);
        s.credentials = Some(("user".into(), "hunter2".into()));
        let text = format!("{s:?}");
        assert!(text.contains("user") && !text.contains("hunter2"), "{text}");
    }
}
