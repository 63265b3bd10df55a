//! Entity tags.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An opaque entity tag used for optimistic concurrency (`If-Match`).
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Etag(Box<str>);

impl Etag {
    /// Wraps an etag exactly as the registry returned it.
    pub fn new(tag: impl Into<Box<str>>) -> Self {
        Self(tag.into())
    }

    /// The etag text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Etag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}
