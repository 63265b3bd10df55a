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
    /// TLS (feature `mqtt-tls`): CA certificate and optional client
    /// certificate and key, all PEM. Default none (plain TCP).
    #[cfg(feature = "mqtt-tls")]
    pub tls: Option<TlsSettings>,
}

/// TLS material, PEM-encoded (feature `mqtt-tls`).
#[cfg(feature = "mqtt-tls")]
#[derive(Clone, PartialEq, Eq)]
pub struct TlsSettings {
    /// CA certificate(s) the broker certificate must chain to.
    pub ca_pem: Vec<u8>,
    /// Client certificate and private key, for brokers that want them.
    pub client_auth: Option<(Vec<u8>, Vec<u8>)>,
}

#[cfg(feature = "mqtt-tls")]
impl TlsSettings {
    /// The rustls client configuration these settings describe: the CA
    /// certificates as the only roots, the client certificate if given,
    /// the ring crypto provider. The MQTT connections build it themselves;
    /// call it to check the settings before starting a runtime.
    pub fn client_config(&self) -> Result<rustls::ClientConfig, SettingsError> {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let bad =
            |what: &str, e: &dyn std::fmt::Display| SettingsError::Tls(format!("{what}: {e}"));
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(&self.ca_pem) {
            let cert = cert.map_err(|e| bad("ca certificate pem", &e))?;
            roots.add(cert).map_err(|e| bad("ca certificate", &e))?;
        }
        if roots.is_empty() {
            return Err(SettingsError::Tls("no ca certificate".to_owned()));
        }
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| bad("protocol versions", &e))?
            .with_root_certificates(roots);
        match &self.client_auth {
            None => Ok(builder.with_no_client_auth()),
            Some((cert, key)) => {
                let chain = CertificateDer::pem_slice_iter(cert)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| bad("client certificate pem", &e))?;
                if chain.is_empty() {
                    return Err(SettingsError::Tls("no client certificate".to_owned()));
                }
                // The key's parse error is not shown: it could quote key bytes.
                let key = PrivateKeyDer::from_pem_slice(key)
                    .map_err(|_| SettingsError::Tls("client key pem".to_owned()))?;
                builder
                    .with_client_auth_cert(chain, key)
                    .map_err(|e| bad("client certificate and key", &e))
            }
        }
    }
}

#[cfg(feature = "mqtt-tls")]
impl std::fmt::Debug for TlsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Key material never goes into logs.
        f.debug_struct("TlsSettings")
            .field("ca_pem_bytes", &self.ca_pem.len())
            .field("client_auth", &self.client_auth.is_some())
            .finish()
    }
}

/// A broker URL that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsError {
    /// Not `scheme://host[:port]`.
    #[error("broker url {0:?} is not scheme://host[:port]")]
    Malformed(String),
    /// A scheme this binding does not speak.
    #[error("broker url scheme {0:?} is not supported")]
    UnsupportedScheme(String),
    /// A TLS scheme without the `mqtt-tls` feature.
    #[error("broker url needs TLS, which needs the mqtt-tls feature")]
    TlsUnavailable,
    /// TLS material that cannot be used (bad PEM, no certificate, a key
    /// that does not fit the certificate). The text names the part, never
    /// the key material.
    #[error("unusable tls settings: {0}")]
    Tls(String),
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
            #[cfg(feature = "mqtt-tls")]
            tls: None,
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

    /// Settings from a broker URL as Kanto's config files write it:
    /// `tcp://localhost:1883` (also `mqtt://`); the TLS schemes `ssl`, `tls`,
    /// `mqtts`, `mqtt+ssl` and `tcps` (port 8883 by default) need the
    /// `mqtt-tls` feature, and then the `tls` field must be filled in.
    pub fn from_broker_url(url: &str) -> Result<Self, SettingsError> {
        let malformed = || SettingsError::Malformed(url.to_owned());
        let (scheme, rest) = url.split_once("://").ok_or_else(malformed)?;
        let tls = match scheme.to_ascii_lowercase().as_str() {
            "tcp" | "mqtt" => false,
            "ssl" | "tls" | "mqtts" | "mqtt+ssl" | "tcps" => true,
            other => return Err(SettingsError::UnsupportedScheme(other.to_owned())),
        };
        if tls && !cfg!(feature = "mqtt-tls") {
            return Err(SettingsError::TlsUnavailable);
        }
        let authority = rest.split('/').next().unwrap_or(rest);
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (h, p.parse::<u16>().map_err(|_| malformed())?),
            None => (authority, if tls { 8883 } else { 1883 }),
        };
        if host.is_empty() {
            return Err(malformed());
        }
        Ok(Self::new(
            host.trim_start_matches('[').trim_end_matches(']'),
            port,
        ))
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
    fn broker_urls_as_kanto_writes_them() {
        let s = MqttSettings::from_broker_url("tcp://localhost:1883").unwrap();
        assert_eq!((s.host.as_str(), s.port), ("localhost", 1883));
        assert_eq!(
            MqttSettings::from_broker_url("mqtt://10.0.0.1")
                .unwrap()
                .port,
            1883
        );
        assert!(matches!(
            MqttSettings::from_broker_url("www"),
            Err(SettingsError::Malformed(_))
        ));
        assert!(matches!(
            MqttSettings::from_broker_url("ws://h:1"),
            Err(SettingsError::UnsupportedScheme(_))
        ));
        assert!(matches!(
            MqttSettings::from_broker_url("tcp://:1"),
            Err(SettingsError::Malformed(_))
        ));
        let tls = MqttSettings::from_broker_url("ssl://broker");
        if cfg!(feature = "mqtt-tls") {
            assert_eq!(tls.unwrap().port, 8883);
        } else {
            assert_eq!(tls, Err(SettingsError::TlsUnavailable));
        }
    }

    #[test]
    fn debug_hides_the_password() {
        let mut s = MqttSettings::new("h", 1);
        s.credentials = Some(("user".into(), "hunter2".into()));
        let text = format!("{s:?}");
        assert!(text.contains("user") && !text.contains("hunter2"), "{text}");
    }
}
