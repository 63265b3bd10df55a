//! Connector settings.

use super::connection::ConnectionString;
use super::sas::TokenPolicy;
use crate::device::Secret;
use std::time::Duration;

/// Settings of an [`IotHubRegistry`](super::IotHubRegistry). Every setter
/// documents its default. `Debug` never shows the key or the container SAS URLs.
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
            token: TokenPolicy::default(),
            filter: None,
            read_keys: false,
            containers: None,
        }
    }

    /// Where requests go instead of `https://<HostName>` (default none), e.g.
    /// `http://127.0.0.1:PORT` for a simulator; tokens still name `HostName`.
    #[must_use]
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into().trim_end_matches('/').to_owned());
        self
    }

    /// Timeout of one whole request (default 30 s); an expired one is an
    /// [`ErrorKind::Timeout`](crate::ErrorKind::Timeout).
    #[must_use]
    pub fn request_timeout(mut self, t: Duration) -> Self {
        self.request_timeout = t;
        self
    }

    /// Timeout of a TCP/TLS connect (default 10 s).
    #[must_use]
    pub fn connect_timeout(mut self, t: Duration) -> Self {
        self.connect_timeout = t;
        self
    }

    /// SAS token lifetime and renewal margin (default 1 h, renewed 5 min early).
    #[must_use]
    pub fn token_policy(mut self, p: TokenPolicy) -> Self {
        self.token = p;
        self
    }

    /// A `WHERE` clause for listings (default none: every device), e.g.
    /// `tags.managedBy = 'sync'`; the simulator supports equalities joined by `AND`.
    #[must_use]
    pub fn list_filter(mut self, clause: impl Into<String>) -> Self {
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
    #[must_use]
    pub fn read_keys(mut self, yes: bool) -> Self {
        self.read_keys = yes;
        self
    }

    /// Blob container SAS URLs for import jobs: where the connector uploads
    /// the input blob and where the hub writes `importErrors.log` (they may
    /// be the same). Without them (the default) import jobs are not offered.
    #[must_use]
    pub fn job_containers(mut self, input: Secret, output: Secret) -> Self {
        self.containers = Some((input, output));
        self
    }
}
