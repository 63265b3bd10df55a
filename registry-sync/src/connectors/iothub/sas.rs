//! SAS tokens for the service API: a pure signer with an explicit `now`,
//! and a cache that renews the token a margin before it expires.

use crate::error::{Error, ErrorKind, Result};
use crate::model::Secret;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::sync::Mutex;
use std::time::Duration;

/// Percent-encodes as the SDKs do for `sr`, `sig` and `skn`.
fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The `Authorization` header value for `host`, signed with the policy's
/// base64 `key`, expiring at unix time `expiry`; `None` if the key is not
/// base64. `sig = base64(HMAC-SHA256(decoded key, encoded sr + "\n" + expiry))`.
pub fn sas_token(host: &str, policy: &str, key: &Secret, expiry: u64) -> Option<Secret> {
    let sr = encode(&host.to_ascii_lowercase());
    let raw = STANDARD.decode(key.expose()).ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&raw).ok()?;
    mac.update(format!("{sr}\n{expiry}").as_bytes());
    let sig = STANDARD.encode(mac.finalize().into_bytes());
    Some(Secret::new(format!(
        "SharedAccessSignature sr={sr}&sig={}&se={expiry}&skn={}",
        encode(&sig),
        encode(policy)
    )))
}

/// Token lifetime and how early it is renewed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenPolicy {
    ttl: Duration,
    margin: Duration,
}

impl Default for TokenPolicy {
    fn default() -> Self {
        Self::new()
    }
}

impl TokenPolicy {
    /// One hour, renewed five minutes before expiry.
    pub fn new() -> Self {
        Self {
            ttl: Duration::from_secs(3600),
            margin: Duration::from_secs(300),
        }
    }

    /// Lifetime of a new token (default 1 hour; at least 1 s).
    pub fn ttl(&mut self, ttl: Duration) -> &mut Self {
        self.ttl = ttl;
        self
    }

    /// A token is replaced once less than this remains (default 5 minutes;
    /// below the lifetime).
    pub fn margin(&mut self, margin: Duration) -> &mut Self {
        self.margin = margin;
        self
    }

    pub(super) fn validate(&self) -> Result<()> {
        if self.ttl < Duration::from_secs(1) || self.margin >= self.ttl {
            return Err(Error::new(ErrorKind::InvalidConfig).with_context(
                "iot hub token lifetime must be at least 1 s and longer than its renewal margin",
            ));
        }
        Ok(())
    }
}

/// The current token and its expiry; renews on demand.
#[derive(Debug, Default)]
pub(crate) struct TokenCache {
    current: Mutex<Option<(Secret, u64)>>,
    issued: std::sync::atomic::AtomicU64,
}

impl TokenCache {
    /// The token to send at unix time `now`, signing a new one when the
    /// cached one is missing or within `policy.margin` of its expiry.
    pub(crate) fn token(
        &self,
        now: u64,
        policy: TokenPolicy,
        sign: impl FnOnce(u64) -> Option<Secret>,
    ) -> Option<Secret> {
        let mut slot = self
            .current
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((t, expiry)) = &*slot
            && now.saturating_add(policy.margin.as_secs()) < *expiry
        {
            return Some(t.clone());
        }
        let expiry = now.saturating_add(policy.ttl.as_secs().max(1));
        let t = sign(expiry)?;
        *slot = Some((t.clone(), expiry));
        self.issued
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Some(t)
    }

    /// How many tokens were signed so far.
    pub(crate) fn issued(&self) -> u64 {
        self.issued.load(std::sync::atomic::Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_documented_algorithm() {
        // Independent check: the example from the IoT Hub security docs'
        // algorithm, computed here step by step.
        let key = Secret::new(STANDARD.encode(b"0123456789abcdef0123456789abcdef"));
        let t = sas_token("Hub.azure-devices.net", "iothubowner", &key, 1_700_000_000).unwrap();
        let text = t.expose();
        assert!(text.starts_with("SharedAccessSignature sr=hub.azure-devices.net&sig="));
        assert!(text.ends_with("&se=1700000000&skn=iothubowner"));
        let mut mac = Hmac::<Sha256>::new_from_slice(b"0123456789abcdef0123456789abcdef").unwrap();
        mac.update(b"hub.azure-devices.net\n1700000000");
        let sig = encode(&STANDARD.encode(mac.finalize().into_bytes()));
        assert!(text.contains(&format!("&sig={sig}&")));
        assert!(sas_token("h", "p", &Secret::new("%%%"), 1).is_none());
    }

    #[test]
    fn cache_renews_inside_the_margin() {
        let cache = TokenCache::default();
        let mut policy = TokenPolicy::new();
        policy
            .ttl(Duration::from_secs(100))
            .margin(Duration::from_secs(10));
        assert!(policy.validate().is_ok());
        assert!(
            TokenPolicy::new()
                .margin(Duration::from_secs(3600))
                .validate()
                .is_err()
        );
        let sign = |e: u64| Some(Secret::new(format!("t{e}")));
        assert_eq!(cache.token(1000, policy, sign).unwrap().expose(), "t1100");
        assert_eq!(cache.token(1089, policy, sign).unwrap().expose(), "t1100");
        assert_eq!(cache.token(1090, policy, sign).unwrap().expose(), "t1190");
        assert_eq!(cache.issued(), 2);
    }
}
