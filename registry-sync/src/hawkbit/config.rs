//! Connector settings: where the server is, who we are, and how devices map
//! onto targets.

use crate::device::Secret;
use crate::error::{Error, ErrorKind, Result};
use crate::policy::Scope;
use std::fmt;
use std::time::Duration;

/// The metadata key holding a soft-deleted target's reason (default).
pub const DEFAULT_REASON_KEY: &str = "registrySync.disabledReason";
/// The target tag marking soft-deleted targets (default).
pub const DEFAULT_DISABLED_TAG: &str = "disabled";

/// Settings of a [`HawkbitRegistry`](super::HawkbitRegistry).
///
/// `Debug` never shows the password or the gateway token.
#[derive(Clone)]
pub struct HawkbitConfig {
    pub(super) base_url: url::Url,
    pub(super) ddi_url: Option<url::Url>,
    pub(super) tenant: String,
    pub(super) user: String,
    pub(super) password: Secret,
    pub(super) gateway_token: Option<Secret>,
    pub(super) timeout: Duration,
    pub(super) connect_timeout: Duration,
    pub(super) filter: Option<String>,
    pub(super) disabled_tag: String,
    pub(super) reason_key: String,
    pub(super) max_bulk: usize,
    pub(super) read_tokens: bool,
    pub(super) name_tag: Option<String>,
    pub(super) description_tag: Option<String>,
    pub(super) lookups_in_flight: usize,
    pub(super) follow_up_attempts: u32,
}

impl fmt::Debug for HawkbitConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HawkbitConfig")
            .field("base_url", &self.base_url.as_str())
            .field("ddi_url", &self.ddi_url.as_ref().map(url::Url::as_str))
            .field("tenant", &self.tenant)
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .field(
                "gateway_token",
                &self.gateway_token.as_ref().map(|_| "<redacted>"),
            )
            .field("timeout", &self.timeout)
            .field("filter", &self.filter)
            .field("disabled_tag", &self.disabled_tag)
            .field("reason_key", &self.reason_key)
            .field("max_bulk", &self.max_bulk)
            .field("read_tokens", &self.read_tokens)
            .field("name_tag", &self.name_tag)
            .field("description_tag", &self.description_tag)
            .finish_non_exhaustive()
    }
}

impl HawkbitConfig {
    /// A connector for `tenant` on the server at `base_url` (the root the
    /// Management API lives under as `/rest/v1`), with basic-auth `user` and
    /// `password` (`user` as the server expects it: `TENANT\user` on a
    /// multi-tenant server; `tenant` names the DDI tenant). Defaults: 30 s
    /// request timeout, 10 s connect timeout, no filter, soft delete with tag
    /// [`DEFAULT_DISABLED_TAG`] and metadata key [`DEFAULT_REASON_KEY`], bulk
    /// creates of 100, tokens read.
    ///
    /// # Errors
    /// [`ErrorKind::Rejected`] when `base_url` is not an absolute http(s) URL.
    pub fn new(
        base_url: &str,
        tenant: impl Into<String>,
        user: impl Into<String>,
        password: Secret,
    ) -> Result<Self> {
        let base_url = parse_base(base_url)?;
        Ok(Self {
            base_url,
            ddi_url: None,
            tenant: tenant.into(),
            user: user.into(),
            password,
            gateway_token: None,
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            filter: None,
            disabled_tag: DEFAULT_DISABLED_TAG.to_owned(),
            reason_key: DEFAULT_REASON_KEY.to_owned(),
            max_bulk: 100,
            read_tokens: true,
            name_tag: None,
            description_tag: None,
            lookups_in_flight: 8,
            follow_up_attempts: 4,
        })
    }

    /// The tenant's gateway token, used to write target attributes through
    /// DDI `configData` (hawkBit's only way to write them). Without it, an
    /// attribute change is refused with [`ErrorKind::Unsupported`].
    #[must_use]
    pub fn with_gateway_token(mut self, token: Secret) -> Self {
        self.gateway_token = Some(token);
        self
    }

    /// Where DDI is served when not at `base_url` (a separate DDI host).
    ///
    /// # Errors
    /// [`ErrorKind::Rejected`] when `url` is not an absolute http(s) URL.
    pub fn with_ddi_url(mut self, url: &str) -> Result<Self> {
        self.ddi_url = Some(parse_base(url)?);
        Ok(self)
    }

    /// Per-request timeout (default 30 s) and connect timeout (default 10 s).
    #[must_use]
    pub fn with_timeouts(mut self, request: Duration, connect: Duration) -> Self {
        self.timeout = request;
        self.connect_timeout = connect;
        self
    }

    /// Lists only targets matching this FIQL query (`q`), e.g. from
    /// [`Self::scope_filter`].
    #[must_use]
    pub fn with_filter(mut self, fiql: impl Into<String>) -> Self {
        self.filter = Some(fiql.into());
        self
    }

    /// Soft delete marks: the target tag and the metadata key for the reason.
    #[must_use]
    pub fn with_soft_delete_marks(
        mut self,
        tag: impl Into<String>,
        reason_key: impl Into<String>,
    ) -> Self {
        self.disabled_tag = tag.into();
        self.reason_key = reason_key.into();
        self
    }

    /// Creates per bulk call (default 100; at least 1).
    #[must_use]
    pub fn with_max_bulk(mut self, n: usize) -> Self {
        self.max_bulk = n.max(1);
        self
    }

    /// Whether listed records carry the `securityToken` as credentials
    /// (default on; needs `READ_TARGET_SECURITY_TOKEN`). Switch it off when
    /// the master has no credentials, or hawkBit's generated tokens would
    /// show as a difference on every sync.
    #[must_use]
    pub fn with_read_tokens(mut self, yes: bool) -> Self {
        self.read_tokens = yes;
        self
    }

    /// The record tag holding the target's `name` (1–128 characters): written
    /// on create and update, read back as that tag when it differs from the
    /// `controllerId`. Without it, created targets are named after their id
    /// and names are left alone afterwards.
    #[must_use]
    pub fn with_name_tag(mut self, key: impl Into<String>) -> Self {
        self.name_tag = Some(key.into());
        self
    }

    /// The record tag holding the target's `description` (≤ 512
    /// characters; absent tag = empty description). Without it,
    /// descriptions are left alone.
    #[must_use]
    pub fn with_description_tag(mut self, key: impl Into<String>) -> Self {
        self.description_tag = Some(key.into());
        self
    }

    /// Per-target lookups (metadata, tags, attributes) in flight while
    /// listing (default 8).
    #[must_use]
    pub fn with_lookups_in_flight(mut self, n: usize) -> Self {
        self.lookups_in_flight = n.max(1);
        self
    }

    /// The FIQL filter that lists only what `scope` can own: targets whose
    /// metadata carries the ownership tag, or whose id has the prefix.
    ///
    /// With a tag scope, a master device whose id a foreign target already
    /// uses is then invisible and its create fails (`AlreadyExists`), rather
    /// than being skipped as foreign-owned; with an id prefix nothing changes.
    pub fn scope_filter(scope: &Scope) -> Option<String> {
        match scope {
            Scope::Tag { key, value } => Some(format!("metadata.{key}=={}", quote(value))),
            Scope::IdPrefix(p) => Some(format!("controllerId=={}", quote(&format!("{p}*")))),
        }
    }
}

/// A FIQL value in double quotes with `\` escapes.
fn quote(v: &str) -> String {
    let mut out = String::with_capacity(v.len() + 2);
    out.push('"');
    for c in v.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

fn parse_base(s: &str) -> Result<url::Url> {
    let mut u = url::Url::parse(s).map_err(|e| {
        Error::new(ErrorKind::Rejected)
            .with_context("hawkbit base url")
            .with_source(e)
    })?;
    if !matches!(u.scheme(), "http" | "https") || u.cannot_be_a_base() {
        return Err(Error::new(ErrorKind::Rejected).with_context("hawkbit base url"));
    }
    if !u.path().ends_with('/') {
        let p = format!("{}/", u.path());
        u.set_path(&p);
    }
    Ok(u)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_secrets() {
        let c = HawkbitConfig::new("http://h:8080", "T", "admin", Secret::new("pw-123"))
            .unwrap()
            .with_gateway_token(Secret::new("gw-456"));
        let text = format!("{c:?}");
        assert!(
            !text.contains("pw-123") && !text.contains("gw-456"),
            "{text}"
        );
        assert!(text.contains("admin"));
    }

    #[test]
    fn scope_filters_quote_values() {
        assert_eq!(
            HawkbitConfig::scope_filter(&Scope::tag("managedBy", "hub \"eu\"")).unwrap(),
            "metadata.managedBy==\"hub \\\"eu\\\"\""
        );
        assert_eq!(
            HawkbitConfig::scope_filter(&Scope::id_prefix("hub1-")).unwrap(),
            "controllerId==\"hub1-*\""
        );
    }

    #[test]
    fn base_urls_are_checked() {
        assert!(HawkbitConfig::new("ftp://x", "T", "u", Secret::new("p")).is_err());
        assert!(HawkbitConfig::new("not a url", "T", "u", Secret::new("p")).is_err());
        let c = HawkbitConfig::new("http://h/prefix", "T", "u", Secret::new("p")).unwrap();
        assert_eq!(c.base_url.as_str(), "http://h/prefix/");
    }
}
