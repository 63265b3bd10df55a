//! Connector settings.

use super::connection::ConnectionString;
use super::sas::TokenPolicy;
use crate::error::{Error, ErrorKind, Result};
use crate::model::Secret;
use std::time::Duration;

/// Settings of an [`IotHubRegistry`](super::IotHubRegistry). Every setter
/// documents its default; [`IotHubRegistry::new`](super::IotHubRegistry::new)
/// checks them. `Debug` never shows the key or the container SAS URLs.
#[derive(Clone, Debug)]
pub struct IotHubConfig {
    pub(super) connection: ConnectionString,
    pub(super) base_url: Option<String>,
    pub(super) request_timeout: Duration,
    pub(super) connect_timeout: Duration,
    pub(super) token: TokenPolicy,
    pub(super) filter: Option<String>,
    pub(super) read_keys: bool,
    pub(super) containers: Option<(Secret, Secret)>,
}

impl IotHubConfig {
    /// Settings for the hub of `connection`.
    pub fn new(connection: ConnectionString) -> Self {
        Self {
            connection,
            base_url: None,
            request_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            token: TokenPolicy::new(),
            filter: None,
            read_keys: false,
            containers: None,
        }
    }

    /// Where requests go instead of `https://<HostName>` (default none), e.g.
    /// `http://127.0.0.1:PORT` for a simulator; tokens still name `HostName`.
    /// An absolute `http` or `https` URL.
    pub fn base_url(&mut self, url: impl Into<String>) -> &mut Self {
        self.base_url = Some(url.into().trim_end_matches('/').to_owned());
        self
    }

    /// Timeout of one whole request (default 30 s; not zero); an expired one is an
    /// [`ErrorKind::Timeout`](crate::ErrorKind::Timeout).
    pub fn request_timeout(&mut self, t: Duration) -> &mut Self {
        self.request_timeout = t;
        self
    }

    /// Timeout of a TCP/TLS connect (default 10 s; not zero).
    pub fn connect_timeout(&mut self, t: Duration) -> &mut Self {
        self.connect_timeout = t;
        self
    }

    /// SAS token lifetime and renewal margin (default 1 h, renewed 5 min early).
    pub fn token_policy(&mut self, p: &TokenPolicy) -> &mut Self {
        self.token = *p;
        self
    }

    /// A `WHERE` clause for listings (default none: every device), e.g.
    /// `tags.managedBy = 'sync'`; the simulator supports equalities joined by `AND`.
    pub fn list_filter(&mut self, clause: impl Into<String>) -> &mut Self {
        self.filter = Some(clause.into());
        self
    }

    /// Whether records carry `credentials` from the identity's SAS keys
    /// (default false). IoT Hub's query returns twins without keys, so with
    /// this on a listing also reads every listed identity (`GET
    /// /devices/{id}`, eight at a time, charged to the identity-registry
    /// budget). Turn it on when the master's records carry keys and the
    /// planner compares credentials; otherwise every sync would see the
    /// keys differ and rewrite every device.
    pub fn read_keys(&mut self, yes: bool) -> &mut Self {
        self.read_keys = yes;
        self
    }

    /// Blob container SAS URLs for import jobs: where the connector uploads
    /// the input blob and where the hub writes `importErrors.log` (they may
    /// be the same). Without them (the default) import jobs are not offered.
    pub fn job_containers(&mut self, input: Secret, output: Secret) -> &mut Self {
        self.containers = Some((input, output));
        self
    }

    /// Refuses settings no request could be made with.
    pub(super) fn validate(&self) -> Result<()> {
        let invalid =
            |what: &str| Error::new(ErrorKind::InvalidConfig).with_context(what.to_owned());
        if let Some(base) = &self.base_url {
            let url =
                url::Url::parse(base).map_err(|e| invalid("iot hub base url").with_source(e))?;
            if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
                return Err(invalid("iot hub base url must be an http(s) url"));
            }
        }
        if self.request_timeout.is_zero() || self.connect_timeout.is_zero() {
            return Err(invalid("iot hub timeouts must not be zero"));
        }
        self.token.validate()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> IotHubConfig {
        let cs = "HostName=h.azure-devices.net;SharedAccessKeyName=p;SharedAccessKey=YQ==";
        IotHubConfig::new(ConnectionString::parse(cs).unwrap())
    }

    #[test]
    fn settings_are_checked_when_used() {
        assert!(config().validate().is_ok());
        assert!(
            config()
                .base_url("http://127.0.0.1:8080/")
                .validate()
                .is_ok()
        );
        for bad in ["not a url", "ftp://h", "mailto:x@y"] {
            let e = config().base_url(bad).validate().unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{bad}");
        }
        assert!(config().request_timeout(Duration::ZERO).validate().is_err());
    }
}
