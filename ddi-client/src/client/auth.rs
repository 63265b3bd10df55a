//! Credentials and where they may be sent.

use core::fmt;

/// How the device authenticates.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Auth {
    /// No `Authorization` header (anonymous servers, or mTLS where a reverse
    /// proxy maps the client certificate's CN to the controller id).
    None,
    /// `Authorization: TargetToken <token>`: one device's own token.
    TargetToken(String),
    /// `Authorization: GatewayToken <token>`: one tenant-wide token that may
    /// act as any controller.
    GatewayToken(String),
}

impl Auth {
    /// The header value, if any. hawkBit matches the scheme case-sensitively
    /// with exactly one space.
    pub(crate) fn header(&self) -> Option<String> {
        match self {
            Self::None => None,
            Self::TargetToken(t) => Some(format!("TargetToken {t}")),
            Self::GatewayToken(t) => Some(format!("GatewayToken {t}")),
        }
    }
}

// Tokens never appear in debug output or logs.
impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::None => "None",
            Self::TargetToken(_) => "TargetToken(<redacted>)",
            Self::GatewayToken(_) => "GatewayToken(<redacted>)",
        })
    }
}

/// Which requests carry the `Authorization` header.
///
/// Links are followed verbatim, and the server (or its operator) may point
/// them anywhere: artifact links often go to a CDN or blob store, which must
/// not see the device token (and may reject requests that carry one). If
/// the server writes its *API* links with another host name than the one
/// the client was configured with, configure that name instead, or list it
/// with [`AuthScope::AlsoOrigins`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum AuthScope {
    /// Only the configured server's origin (scheme, host, port). CDN and blob
    /// storage links get no credentials. The default.
    #[default]
    ServerOrigin,
    /// The server's origin plus these origins (`https://cdn.example.com`).
    AlsoOrigins(Vec<url::Origin>),
    /// Every host (only for deployments where every link is trusted).
    AnyHost,
    /// API requests to the server's origin only; artifact downloads never
    /// carry credentials, not even from the server's own host (external
    /// storage behind the server's host name). Note: hawkBit ≥ 0.8.0, and
    /// goosebit with device auth, need credentials on their download links.
    NotOnDownloads,
}
