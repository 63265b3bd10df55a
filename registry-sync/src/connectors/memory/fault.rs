//! Faults the in-memory registry can inject.

use crate::error::{Error, ErrorKind};
use std::collections::VecDeque;
use std::time::Duration;

/// A failure the in-memory registry can be told to produce.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// HTTP 429, with an optional retry-after hint.
    Throttle(Option<Duration>),
    /// HTTP 5xx.
    Unavailable,
    /// A timeout.
    Timeout,
}

impl Fault {
    pub(super) fn error(self) -> Error {
        match self {
            Self::Throttle(after) => Error::throttled(after),
            Self::Unavailable => Error::new(ErrorKind::Unavailable),
            Self::Timeout => Error::new(ErrorKind::Timeout),
        }
    }
}

#[derive(Debug, Default)]
pub(super) struct Faults {
    pub(super) next: VecDeque<Fault>,
    pub(super) every: Option<(u64, Fault)>,
    pub(super) bulk_item_every: Option<u64>,
    pub(super) offline: bool,
}
