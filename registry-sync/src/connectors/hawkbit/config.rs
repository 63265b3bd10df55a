//! Connector settings: where the server is, who we are, and how devices map
//! onto targets.

use crate::error::{Error, ErrorKind, Result};
use crate::model::Secret;
use crate::plan::Scope;
use std::fmt;
use std::time::Duration;

/// The metadata key holding a soft-deleted target's reason (default).
pub const DEFAULT_REASON_KEY: &str = "registrySync.disabledReason";
/// The target tag marking soft-deleted targets (default).
pub const DEFAULT_DISABLED_TAG: &str = "disabled";

/// Settings of a [`HawkbitRegistry`](super::HawkbitRegistry). Every setter
/// documents its default; [`HawkbitRegistry::new`](super::HawkbitRegistry::new)
/// checks them.
///
/// `Debug` never shows the password or the gateway token.
#[derive(Clone)]
pub struct HawkbitConfig {
    pub(super) base_url: String,
    pub(super) ddi_url: Option<String>,
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
            .field("base_url", &self.base_url)
            .field("ddi_url", &self.ddi_url)
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

/// The checked URLs of a configuration.
pub(super) struct Urls {
    pub(super) base: url::Url,
    pub(super) ddi: url::Url,
}

impl HawkbitConfig {
    /// A connector for `tenant` on the server at `base_url` (the root the
    /// Management API lives under as `/rest/v1`, an absolute `http` or
    /// `https` URL), with basic-auth `user` and `password` (`user` as the
    /// server expects it: `TENANT\user` on a multi-tenant server; `tenant`
    /// names the DDI tenant).
    pub fn new(
        base_url: impl Into<String>,
        tenant: impl Into<String>,
        user: impl Into<String>,
        password: Secret,
    ) -> Self {
        Self {
            base_url: base_url.into(),
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
        }
    }

    /// The tenant's gateway token, used to write target attributes through
    /// DDI `configData` (hawkBit's only way to write them; default none:
    /// an attribute change is refused with [`ErrorKind::Unsupported`]).
    pub fn gateway_token(&mut self, token: Secret) -> &mut Self {
        self.gateway_token = Some(token);
        self
    }

    /// Where DDI is served when not at the base URL, a separate DDI host
    /// (default: the base URL); an absolute `http` or `https` URL.
    pub fn ddi_url(&mut self, url: impl Into<String>) -> &mut Self {
        self.ddi_url = Some(url.into());
        self
    }

    /// Per-request timeout (default 30 s; not zero).
    pub fn request_timeout(&mut self, timeout: Duration) -> &mut Self {
        self.timeout = timeout;
        self
    }

    /// Connect timeout (default 10 s; not zero).
    pub fn connect_timeout(&mut self, timeout: Duration) -> &mut Self {
        self.connect_timeout = timeout;
        self
    }

    /// Lists only targets matching this FIQL query (`q`; default none), e.g.
    /// from [`Self::scope_filter`].
    pub fn filter(&mut self, fiql: impl Into<String>) -> &mut Self {
        self.filter = Some(fiql.into());
        self
    }

    /// Soft delete marks: the target tag and the metadata key for the reason
    /// (default [`DEFAULT_DISABLED_TAG`] and [`DEFAULT_REASON_KEY`]).
    pub fn soft_delete_marks(
        &mut self,
        tag: impl Into<String>,
        reason_key: impl Into<String>,
    ) -> &mut Self {
        self.disabled_tag = tag.into();
        self.reason_key = reason_key.into();
        self
    }

    /// Creates per bulk call (default 100; at least 1).
    pub fn max_bulk(&mut self, n: usize) -> &mut Self {
        self.max_bulk = n;
        self
    }

    /// Whether listed records carry the `securityToken` as credentials
    /// (default true; needs `READ_TARGET_SECURITY_TOKEN`). Switch it off when
    /// the master has no credentials, or hawkBit's generated tokens would
    /// show as a difference on every sync.
    pub fn read_tokens(&mut self, yes: bool) -> &mut Self {
        self.read_tokens = yes;
        self
    }

    /// The record tag holding the target's `name` (1–128 characters; default
    /// none): written on create and update, read back as that tag when it
    /// differs from the `controllerId`. Without it, created targets are named
    /// after their id and names are left alone afterwards.
    pub fn name_tag(&mut self, key: impl Into<String>) -> &mut Self {
        self.name_tag = Some(key.into());
        self
    }

    /// The record tag holding the target's `description` (≤ 512 characters;
    /// absent tag = empty description; default none). Without it,
    /// descriptions are left alone.
    pub fn description_tag(&mut self, key: impl Into<String>) -> &mut Self {
        self.description_tag = Some(key.into());
        self
    }

    /// Per-target lookups (metadata, tags, attributes) in flight while
    /// listing (default 8; at least 1).
    pub fn lookups_in_flight(&mut self, n: usize) -> &mut Self {
        self.lookups_in_flight = n;
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

    /// Refuses settings the connector cannot work with; the parsed URLs.
    pub(super) fn validate(&self) -> Result<Urls> {
        let invalid =
            |what: &str| Error::new(ErrorKind::InvalidConfig).with_context(what.to_owned());
        if self.max_bulk == 0 || self.lookups_in_flight == 0 {
            return Err(invalid(
                "hawkbit bulk size and lookups in flight must be at least 1",
            ));
        }
        if self.timeout.is_zero() || self.connect_timeout.is_zero() {
            return Err(invalid("hawkbit timeouts must not be zero"));
        }
        let base = parse_base(&self.base_url, "hawkbit base url")?;
        let ddi = match &self.ddi_url {
            Some(u) => parse_base(u, "hawkbit ddi url")?,
            None => base.clone(),
        };
        Ok(Urls { base, ddi })
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

fn parse_base(s: &str, what: &'static str) -> Result<url::Url> {
    let mut u = url::Url::parse(s).map_err(|e| {
        Error::new(ErrorKind::InvalidConfig)
            .with_context(what)
            .with_source(e)
    })?;
    if !matches!(u.scheme(), "http" | "https") || u.cannot_be_a_base() {
        return Err(Error::new(ErrorKind::InvalidConfig).with_context(what));
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

    fn config(url: &str) -> HawkbitConfig {
        HawkbitConfig::new(url, "T", "admin", Secret::new("pw-123"))
    }

    #[test]
    fn debug_hides_secrets() {
        let mut c = config("http://h:8080");
        c.gateway_token(Secret::new("gw-456"));
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
    fn urls_and_sizes_are_checked_when_used() {
        for bad in ["ftp://x", "not a url"] {
            let e = config(bad).validate().err().unwrap();
            assert_eq!(e.kind(), ErrorKind::InvalidConfig);
        }
        let urls = config("http://h/prefix").validate().unwrap();
        assert_eq!(urls.base.as_str(), "http://h/prefix/");
        assert_eq!(urls.ddi.as_str(), "http://h/prefix/");
        let urls = config("http://h")
            .ddi_url("https://ddi:8443")
            .validate()
            .unwrap();
        assert_eq!(urls.ddi.as_str(), "https://ddi:8443/");
        assert!(config("http://h").ddi_url("nope").validate().is_err());
        assert!(config("http://h").max_bulk(0).validate().is_err());
    }
}
