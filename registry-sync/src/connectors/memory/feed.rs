//! The in-memory registry's change feed.

use crate::error::Result;
use crate::model::ChangeEvent;
use crate::registry::EventSource;
use async_trait::async_trait;
use tokio::sync::mpsc;

/// The change feed of a [`MemoryRegistry`](super::MemoryRegistry).
#[derive(Debug)]
pub struct MemoryFeed {
    rx: tokio::sync::Mutex<mpsc::UnboundedReceiver<ChangeEvent>>,
}

impl MemoryFeed {
    pub(super) fn new(rx: mpsc::UnboundedReceiver<ChangeEvent>) -> Self {
        Self {
            rx: tokio::sync::Mutex::new(rx),
        }
    }
}

#[async_trait]
impl EventSource for MemoryFeed {
    async fn next(&self) -> Result<Option<ChangeEvent>> {
        Ok(self.rx.lock().await.recv().await)
    }
}
