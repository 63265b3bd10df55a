//! A subscription to the engine's outcomes.

use super::Outcome;
use futures_util::Stream;
use std::fmt;
use tokio::sync::broadcast::{self, error::RecvError, error::TryRecvError};

/// Every [`Outcome`] of an [`Engine`](super::Engine) from the moment of
/// [`Engine::outcomes`](super::Engine::outcomes) on.
///
/// Each subscriber has its own buffer of
/// [`EngineConfig::outcome_buffer`](super::EngineConfig::outcome_buffer)
/// outcomes; a subscriber that falls further behind loses the oldest and
/// reads a [`Missed`] with their number in their place. The engine never
/// waits for a subscriber, and its [`Counters`](super::Counters) are exact
/// whatever the subscribers read.
pub struct Outcomes {
    rx: broadcast::Receiver<Outcome>,
}

/// Outcomes a slow [`Outcomes`] subscriber lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Missed {
    count: u64,
}

impl Missed {
    /// How many outcomes were lost at this point.
    pub fn count(&self) -> u64 {
        self.count
    }
}

impl fmt::Display for Missed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "missed {} outcomes", self.count)
    }
}

impl std::error::Error for Missed {}

impl fmt::Debug for Outcomes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outcomes")
            .field("queued", &self.rx.len())
            .finish()
    }
}

impl Outcomes {
    pub(super) fn new(rx: broadcast::Receiver<Outcome>) -> Self {
        Self { rx }
    }

    /// The next outcome, waiting for it; `None` once the engine (every
    /// clone of it) is gone and everything queued has been read.
    ///
    /// Cancel-safe: an outcome is never lost by dropping the future.
    pub async fn recv(&mut self) -> Option<Result<Outcome, Missed>> {
        match self.rx.recv().await {
            Ok(o) => Some(Ok(o)),
            Err(RecvError::Lagged(count)) => Some(Err(Missed { count })),
            Err(RecvError::Closed) => None,
        }
    }

    /// The next outcome if one is queued, without waiting.
    pub fn try_recv(&mut self) -> Option<Result<Outcome, Missed>> {
        match self.rx.try_recv() {
            Ok(o) => Some(Ok(o)),
            Err(TryRecvError::Lagged(count)) => Some(Err(Missed { count })),
            Err(TryRecvError::Empty | TryRecvError::Closed) => None,
        }
    }

    /// The subscription as a [`Stream`], ending when the engine is gone.
    pub fn into_stream(self) -> impl Stream<Item = Result<Outcome, Missed>> + Send + 'static {
        futures_util::stream::unfold(self, |mut s| async move {
            let item = s.recv().await?;
            Some((item, s))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    fn run(run: u64) -> Outcome {
        Outcome::RunCompleted { run }
    }

    #[tokio::test]
    async fn a_slow_reader_learns_how_many_it_missed() {
        let (tx, rx) = broadcast::channel(2);
        let mut outcomes = Outcomes::new(rx);
        for n in 0..5 {
            tx.send(run(n)).unwrap();
        }
        assert_eq!(outcomes.try_recv(), Some(Err(Missed { count: 3 })));
        assert_eq!(outcomes.recv().await, Some(Ok(run(3))));
        assert_eq!(outcomes.try_recv(), Some(Ok(run(4))));
        assert_eq!(outcomes.try_recv(), None);
        tx.send(run(5)).unwrap();
        drop(tx);
        let rest: Vec<_> = outcomes.into_stream().collect().await;
        assert_eq!(rest, [Ok(run(5))]);
    }
}
