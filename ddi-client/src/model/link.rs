//! HAL link objects.

use serde::{Deserialize, Serialize};

/// A HAL link, `{"href": "..."}`.
///
/// Clients must follow `href` verbatim: hawkBit appends an opaque `?c=`
/// cache-buster to action links, and the host may differ from the one the
/// client was configured with. The other HAL attributes (`title`, `type`, …)
/// carry nothing the DDI uses, so they are ignored on decode and never sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Link {
    /// The target URL, absolute or relative to the document's URL.
    pub href: String,
}

impl Link {
    /// A link to `href`.
    pub fn new(href: impl Into<String>) -> Self {
        Self { href: href.into() }
    }
}
