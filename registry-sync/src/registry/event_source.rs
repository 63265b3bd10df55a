//! The trait of registries that push changes.

use crate::error::Result;
use crate::model::ChangeEvent;
use async_trait::async_trait;
use std::fmt::Debug;

/// A registry that pushes changes (Event Grid subscription, message route, the
/// in-memory registry's feed).
///
/// `next` returns `Ok(None)` when the source is closed for good, and `Err` for
/// one bad event or batch: the engine records the error and keeps reading.
#[async_trait]
pub trait EventSource: Send + Sync + Debug + 'static {
    /// The next event.
    async fn next(&self) -> Result<Option<ChangeEvent>>;
}
