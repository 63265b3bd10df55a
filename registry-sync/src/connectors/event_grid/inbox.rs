//! A queue between an Event Grid webhook and the engine's event loop.

use super::{EventGridMessage, decode_event_grid, validation_response};
use crate::error::{Error, Result};
use crate::model::ChangeEvent;
use crate::registry::EventSource;
use async_trait::async_trait;
use tokio::sync::{Mutex, mpsc};

/// The webhook side: hand it each request body.
#[derive(Debug, Clone)]
pub struct EventGridInbox {
    tx: mpsc::Sender<Result<ChangeEvent>>,
}

/// The engine side: an [`EventSource`] for [`crate::Engine::run`].
#[derive(Debug)]
pub struct EventGridSource {
    rx: Mutex<mpsc::Receiver<Result<ChangeEvent>>>,
}

/// A connected inbox and source holding at most `capacity` queued events
/// (at least 1); a full queue makes [`EventGridInbox::push`] wait, which
/// slows the webhook down and lets Event Grid retry later.
pub fn event_grid_inbox(capacity: usize) -> (EventGridInbox, EventGridSource) {
    let (tx, rx) = mpsc::channel(capacity.max(1));
    (
        EventGridInbox { tx },
        EventGridSource { rx: Mutex::new(rx) },
    )
}

/// What the webhook should answer.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboxReply {
    /// Events accepted: answer 200 with an empty body.
    Accepted,
    /// A subscription handshake: answer 200 with this JSON body.
    Validation(String),
}

impl EventGridInbox {
    /// Decodes `body` and queues its events. Malformed elements are queued
    /// as errors (the engine records them); a body that is not events at all
    /// is queued as an error too and returned, so the webhook can answer 400.
    /// Fails when the engine side is gone.
    pub async fn push(&self, body: &[u8]) -> Result<InboxReply> {
        let closed =
            || Error::new(crate::ErrorKind::Unavailable).with_context("event loop stopped");
        let items = match decode_event_grid(body) {
            Ok(items) => items,
            Err(e) => {
                let detail = e.context().unwrap_or_default().to_owned();
                self.tx.send(Err(e)).await.map_err(|_| closed())?;
                return Err(Error::new(crate::ErrorKind::Decode).with_context(detail));
            }
        };
        let mut reply = InboxReply::Accepted;
        for item in items {
            let queued = match item {
                Ok(EventGridMessage::Change(ev)) => Ok(*ev),
                Ok(EventGridMessage::SubscriptionValidation { code }) => {
                    reply = InboxReply::Validation(validation_response(&code));
                    continue;
                }
                Err(e) => Err(e),
            };
            self.tx.send(queued).await.map_err(|_| closed())?;
        }
        Ok(reply)
    }
}

#[async_trait]
impl EventSource for EventGridSource {
    async fn next(&self) -> Result<Option<ChangeEvent>> {
        match self.rx.lock().await.recv().await {
            None => Ok(None),
            Some(Ok(ev)) => Ok(Some(ev)),
            Some(Err(e)) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn queues_events_errors_and_answers_handshakes() {
        let (inbox, source) = event_grid_inbox(8);
        let body = br#"[{"id":"1","eventType":"Microsoft.Devices.DeviceCreated","data":{"deviceId":"a"}}, 5]"#;
        assert_eq!(inbox.push(body).await.unwrap(), InboxReply::Accepted);
        assert_eq!(source.next().await.unwrap().unwrap().device.as_str(), "a");
        assert!(source.next().await.unwrap_err().is_decode());
        let hs = br#"{"id":"v","eventType":"Microsoft.EventGrid.SubscriptionValidationEvent","data":{"validationCode":"c0de"}}"#;
        assert_eq!(
            inbox.push(hs).await.unwrap(),
            InboxReply::Validation(r#"{"validationResponse":"c0de"}"#.into())
        );
        assert!(inbox.push(b"garbage").await.unwrap_err().is_decode());
        assert!(source.next().await.unwrap_err().is_decode());
        drop(inbox);
        assert_eq!(source.next().await.unwrap(), None);
    }
}
