//! Shared access signatures as IoT Hub checks them: `sr`, `sig`, `se`,
//! `skn`, with the signature an HMAC-SHA256 over `url-encoded sr + "\n" + se`
//! keyed by the base64-decoded policy key.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Why a `SharedAccessSignature` header was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SasRejection {
    /// No header, or not a `SharedAccessSignature`.
    Missing,
    /// A field is missing or unreadable.
    Malformed(&'static str),
    /// `sr` names another hub.
    WrongResource,
    /// `skn` names no policy of this hub.
    UnknownPolicy,
    /// `se` is in the past.
    Expired,
    /// The signature does not match.
    BadSignature,
}

impl SasRejection {
    pub(crate) fn message(&self) -> &'static str {
        match self {
            Self::Missing => "missing SharedAccessSignature authorization header",
            Self::Malformed(_) => "malformed SharedAccessSignature",
            Self::WrongResource => "SharedAccessSignature resource does not match the hub",
            Self::UnknownPolicy => "unknown shared access policy",
            Self::Expired => "SharedAccessSignature is expired",
            Self::BadSignature => "SharedAccessSignature signature is invalid",
        }
    }
}

/// The signature of `encoded_resource + "\n" + expiry` with `key_b64`, or
/// `None` if the key is not base64.
pub(crate) fn signature(key_b64: &str, encoded_resource: &str, expiry: u64) -> Option<String> {
    let key = STANDARD.decode(key_b64).ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(format!("{encoded_resource}\n{expiry}").as_bytes());
    Some(STANDARD.encode(mac.finalize().into_bytes()))
}

/// Percent-encodes like `quote_plus`, as the SDKs do for `sr` and `sig`.
pub(crate) fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// A complete header value (for tests that talk to the simulator directly).
pub(crate) fn token(host: &str, policy: &str, key_b64: &str, expiry: u64) -> Option<String> {
    let sr = encode(&host.to_ascii_lowercase());
    let sig = signature(key_b64, &sr, expiry)?;
    Some(format!(
        "SharedAccessSignature sr={sr}&sig={}&se={expiry}&skn={}",
        encode(&sig),
        encode(policy)
    ))
}

/// Checks `header` against `host` and the `(name, key)` policies at unix time `now`.
pub(crate) fn verify(
    header: Option<&str>,
    host: &str,
    policies: &[(String, String)],
    now: u64,
) -> Result<(), SasRejection> {
    let rest = header
        .and_then(|h| h.trim().strip_prefix("SharedAccessSignature "))
        .ok_or(SasRejection::Missing)?;
    let (mut sr, mut sig, mut se, mut skn) = (None, None, None, None);
    for (k, v) in url::form_urlencoded::parse(rest.trim().as_bytes()) {
        match &*k {
            "sr" => sr = Some(v.into_owned()),
            "sig" => sig = Some(v.into_owned()),
            "se" => se = Some(v.into_owned()),
            "skn" => skn = Some(v.into_owned()),
            _ => {}
        }
    }
    let sr = sr.ok_or(SasRejection::Malformed("sr"))?;
    let sig = sig.ok_or(SasRejection::Malformed("sig"))?;
    let se: u64 = se
        .and_then(|s| s.parse().ok())
        .ok_or(SasRejection::Malformed("se"))?;
    let skn = skn.ok_or(SasRejection::Malformed("skn"))?;
    // The resource may name the hub or a path below it.
    let resource = sr.to_ascii_lowercase();
    let host = host.to_ascii_lowercase();
    if resource != host && !resource.starts_with(&format!("{host}/")) {
        return Err(SasRejection::WrongResource);
    }
    let key = policies
        .iter()
        .find(|(name, _)| *name == skn)
        .map(|(_, key)| key)
        .ok_or(SasRejection::UnknownPolicy)?;
    if se <= now {
        return Err(SasRejection::Expired);
    }
    let want = signature(key, &encode(&sr), se).ok_or(SasRejection::BadSignature)?;
    if want == sig {
        Ok(())
    } else {
        Err(SasRejection::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seS0xMjM0NTY=";

    fn policies() -> Vec<(String, String)> {
        vec![("iothubowner".into(), KEY.into())]
    }

    #[test]
    fn a_fresh_token_passes() {
        let t = token("Hub.azure-devices.net", "iothubowner", KEY, 2000).unwrap();
        assert_eq!(
            verify(Some(&t), "hub.azure-devices.net", &policies(), 1000),
            Ok(())
        );
    }

    #[test]
    fn every_defect_is_named() {
        let ok = token("hub.azure-devices.net", "iothubowner", KEY, 2000).unwrap();
        let h = "hub.azure-devices.net";
        assert_eq!(
            verify(Some(&ok), h, &policies(), 2000),
            Err(SasRejection::Expired)
        );
        assert_eq!(verify(None, h, &policies(), 0), Err(SasRejection::Missing));
        let other = token("other.azure-devices.net", "iothubowner", KEY, 2000).unwrap();
        assert_eq!(
            verify(Some(&other), h, &policies(), 0),
            Err(SasRejection::WrongResource)
        );
        let nobody = token(h, "registryRead", KEY, 2000).unwrap();
        assert_eq!(
            verify(Some(&nobody), h, &policies(), 0),
            Err(SasRejection::UnknownPolicy)
        );
        let forged = token(h, "iothubowner", "b3RoZXIta2V5", 2000).unwrap();
        assert_eq!(
            verify(Some(&forged), h, &policies(), 0),
            Err(SasRejection::BadSignature)
        );
        let stretched = ok.replace("se=2000", "se=3000");
        assert_eq!(
            verify(Some(&stretched), h, &policies(), 0),
            Err(SasRejection::BadSignature)
        );
        assert_eq!(
            verify(Some("SharedAccessSignature sr=x"), h, &policies(), 0),
            Err(SasRejection::Malformed("sig"))
        );
    }

    proptest::proptest! {
        #[test]
        fn any_header_is_answered_without_panic(h in "\\PC{0,120}") {
            let _ = verify(Some(&h), "hub.azure-devices.net", &policies(), 0);
            let prefixed = format!("SharedAccessSignature {h}");
            proptest::prop_assert!(verify(Some(&prefixed), "hub.azure-devices.net", &policies(), 0).is_err());
        }
    }
}
