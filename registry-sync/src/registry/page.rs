//! One page of a listing and its continuation token.

use crate::model::DeviceRecord;

/// An opaque continuation token for [`ExternalRegistry::list`](super::ExternalRegistry::list).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PageToken(Box<str>);

impl PageToken {
    /// Wraps a registry's continuation token.
    pub fn new(token: impl Into<Box<str>>) -> Self {
        Self(token.into())
    }

    /// The token text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One page of a listing.
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Page {
    /// The devices of this page.
    pub devices: Vec<DeviceRecord>,
    /// Where the next page starts, `None` on the last page.
    pub next: Option<PageToken>,
}

impl Page {
    /// A page.
    pub fn new(devices: Vec<DeviceRecord>, next: Option<PageToken>) -> Self {
        Self { devices, next }
    }
}
