//! Device credentials.

use serde::{Deserialize, Serialize};
use std::fmt;
use twin_model::iothub::secret::Secret;

/// The credentials a device authenticates with: symmetric keys (IoT Hub) or a
/// security token (hawkBit, as the primary). `Debug` never shows them.
///
/// Both secrets share one allocation, which matters at a million devices.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "CredentialsRepr", into = "CredentialsRepr")]
pub struct Credentials {
    /// `primary` followed by `secondary`.
    packed: Secret,
    /// Where `primary` ends; `None` without a secondary.
    split: Option<u32>,
}

#[derive(Clone, Serialize, Deserialize)]
struct CredentialsRepr {
    primary: Secret,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    secondary: Option<Secret>,
}

impl From<CredentialsRepr> for Credentials {
    fn from(r: CredentialsRepr) -> Self {
        Self::new(r.primary, r.secondary)
    }
}

impl From<Credentials> for CredentialsRepr {
    fn from(c: Credentials) -> Self {
        Self {
            primary: Secret::new(c.expose_primary()),
            secondary: c.expose_secondary().map(Secret::new),
        }
    }
}

impl Credentials {
    /// Credentials with a primary and an optional secondary secret.
    ///
    /// A primary longer than 4 GiB is not a credential; it is cut to fit.
    pub fn new(primary: Secret, secondary: Option<Secret>) -> Self {
        match secondary {
            None => Self {
                packed: primary,
                split: None,
            },
            Some(second) => {
                let p = primary.expose();
                let cut = p.len().min(u32::MAX as usize);
                let cut = (0..=cut)
                    .rev()
                    .find(|i| p.is_char_boundary(*i))
                    .unwrap_or(0);
                let mut both = String::with_capacity(cut + second.expose().len());
                both.push_str(p.get(..cut).unwrap_or_default());
                both.push_str(second.expose());
                Self {
                    packed: Secret::new(both),
                    split: u32::try_from(cut).ok(),
                }
            }
        }
    }

    /// The primary key or token; keep it out of logs.
    pub fn expose_primary(&self) -> &str {
        let all = self.packed.expose();
        match self.split {
            None => all,
            Some(s) => all.get(..s as usize).unwrap_or_default(),
        }
    }

    /// The secondary key, where the registry has one; keep it out of logs.
    pub fn expose_secondary(&self) -> Option<&str> {
        let s = self.split?;
        self.packed.expose().get(s as usize..)
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Credentials(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_secrets_share_one_value_and_come_back_apart() {
        let c = Credentials::new(
            Secret::new("c2VjcmV0LWtleQ=="),
            Some(Secret::new("b3RoZXIta2V5")),
        );
        assert_eq!(c.expose_primary(), "c2VjcmV0LWtleQ==");
        assert_eq!(c.expose_secondary(), Some("b3RoZXIta2V5"));
        let only = Credentials::new(Secret::new("tok"), None);
        assert_eq!(
            (only.expose_primary(), only.expose_secondary()),
            ("tok", None)
        );
    }
}
