//! IoT Hub service connection strings
//! (`HostName=..;SharedAccessKeyName=..;SharedAccessKey=..`).

use crate::model::Secret;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use std::fmt;
use std::str::FromStr;

/// Why a connection string was refused. Never contains the key.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectionStringError {
    /// A required field is absent or empty.
    #[error("connection string has no {0}")]
    Missing(&'static str),
    /// A segment is not `name=value`.
    #[error("connection string segment {index} is not name=value")]
    Malformed {
        /// 0-based position of the segment.
        index: usize,
    },
    /// A field appears twice.
    #[error("connection string names {0} twice")]
    Duplicate(&'static str),
    /// `SharedAccessKey` is not base64.
    #[error("connection string key is not base64")]
    KeyNotBase64,
    /// `HostName` is not a plain host name.
    #[error("connection string host name is invalid")]
    BadHost,
}

/// A parsed service connection string. `Debug` and `Display` never show the key.
#[derive(Clone, PartialEq, Eq)]
pub struct ConnectionString {
    host: String,
    policy: String,
    key: Secret,
}

impl ConnectionString {
    /// Parses `HostName=..;SharedAccessKeyName=..;SharedAccessKey=..` (any
    /// order, other fields ignored, whitespace around segments trimmed).
    pub fn parse(text: &str) -> Result<Self, ConnectionStringError> {
        let (mut host, mut policy, mut key) = (None, None, None);
        for (index, segment) in text.split(';').enumerate() {
            let segment = segment.trim();
            if segment.is_empty() {
                continue;
            }
            // Keys end in `=`, so only the first `=` separates name and value.
            let (name, value) = segment
                .split_once('=')
                .ok_or(ConnectionStringError::Malformed { index })?;
            let (slot, field) = match name.trim() {
                "HostName" => (&mut host, "HostName"),
                "SharedAccessKeyName" => (&mut policy, "SharedAccessKeyName"),
                "SharedAccessKey" => (&mut key, "SharedAccessKey"),
                _ => continue,
            };
            if slot.is_some() {
                return Err(ConnectionStringError::Duplicate(field));
            }
            *slot = Some(value.trim().to_owned());
        }
        let host = host
            .filter(|h| !h.is_empty())
            .ok_or(ConnectionStringError::Missing("HostName"))?;
        if !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        {
            return Err(ConnectionStringError::BadHost);
        }
        let policy = policy
            .filter(|p| !p.is_empty())
            .ok_or(ConnectionStringError::Missing("SharedAccessKeyName"))?;
        let key = key
            .filter(|k| !k.is_empty())
            .ok_or(ConnectionStringError::Missing("SharedAccessKey"))?;
        if STANDARD.decode(&key).is_err() {
            return Err(ConnectionStringError::KeyNotBase64);
        }
        Ok(Self {
            host,
            policy,
            key: Secret::new(key),
        })
    }

    /// `HostName`.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// `SharedAccessKeyName`.
    pub fn policy(&self) -> &str {
        &self.policy
    }

    /// The hub name: the host up to its first dot.
    pub fn hub_name(&self) -> &str {
        self.host.split('.').next().unwrap_or(&self.host)
    }

    pub(crate) fn key(&self) -> &Secret {
        &self.key
    }
}

impl FromStr for ConnectionString {
    type Err = ConnectionStringError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Debug for ConnectionString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionString")
            .field("host", &self.host)
            .field("policy", &self.policy)
            .field("key", &"<redacted>")
            .finish()
    }
}

impl fmt::Display for ConnectionString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "HostName={};SharedAccessKeyName={};SharedAccessKey=<redacted>",
            self.host, self.policy
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const KEY: &str = "c2VjcmV0LWtleS1mb3ItdGVzdHM=";

    #[test]
    fn parses_and_redacts() {
        let text = format!(
            " SharedAccessKey={KEY}; HostName=hub1.azure-devices.net;SharedAccessKeyName=iothubowner;"
        );
        let c = ConnectionString::parse(&text).unwrap();
        assert_eq!(
            (c.host(), c.policy(), c.hub_name()),
            ("hub1.azure-devices.net", "iothubowner", "hub1")
        );
        assert_eq!(c.key().expose(), KEY);
        for shown in [format!("{c:?}"), c.to_string()] {
            assert!(!shown.contains("c2VjcmV0"), "{shown}");
        }
    }

    #[test]
    fn clear_errors() {
        let p = ConnectionString::parse;
        assert_eq!(
            p("SharedAccessKeyName=a;SharedAccessKey=YQ=="),
            Err(ConnectionStringError::Missing("HostName"))
        );
        assert_eq!(
            p("HostName=h;SharedAccessKey=YQ=="),
            Err(ConnectionStringError::Missing("SharedAccessKeyName"))
        );
        assert_eq!(
            p("HostName=h;SharedAccessKeyName=a"),
            Err(ConnectionStringError::Missing("SharedAccessKey"))
        );
        assert_eq!(
            p("HostName=h;junk"),
            Err(ConnectionStringError::Malformed { index: 1 })
        );
        assert_eq!(
            p("HostName=h;HostName=i"),
            Err(ConnectionStringError::Duplicate("HostName"))
        );
        assert_eq!(
            p("HostName=h;SharedAccessKeyName=a;SharedAccessKey=not base64!"),
            Err(ConnectionStringError::KeyNotBase64)
        );
        assert_eq!(
            p("HostName=h/x;SharedAccessKeyName=a;SharedAccessKey=YQ=="),
            Err(ConnectionStringError::BadHost)
        );
        let e = p("HostName=h;SharedAccessKeyName=a;SharedAccessKey=not base64!").unwrap_err();
        assert!(!e.to_string().contains("not base64!"));
    }

    proptest! {
        #[test]
        fn never_panics(text in ".{0,80}") {
            let _ = ConnectionString::parse(&text);
        }

        #[test]
        fn round_trips_its_fields(host in "[a-z0-9-]{1,20}\\.azure-devices\\.net", policy in "[A-Za-z]{1,12}", key in proptest::collection::vec(any::<u8>(), 1..48)) {
            let key = STANDARD.encode(key);
            let c = ConnectionString::parse(&format!("HostName={host};SharedAccessKeyName={policy};SharedAccessKey={key}")).unwrap();
            prop_assert_eq!((c.host(), c.policy(), c.key().expose()), (host.as_str(), policy.as_str(), key.as_str()));
        }
    }
}
