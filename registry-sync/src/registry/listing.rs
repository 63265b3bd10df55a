//! Reading a whole registry.

use super::{ExternalRegistry, PageToken};
use crate::error::{Error, ErrorKind, Result};
use crate::model::{DeviceRecord, Snapshot};
use futures_util::StreamExt;
use futures_util::stream::{self, BoxStream};
use std::sync::Arc;

/// Reads every device of `registry` page by page into a [`Snapshot`].
///
/// A page token seen twice, or a device listed twice, is a
/// [`ErrorKind::Decode`] error rather than an endless loop or a silent pick.
pub async fn fetch_snapshot(registry: &dyn ExternalRegistry, page_size: usize) -> Result<Snapshot> {
    let limit = page_size.clamp(1, registry.capabilities().get_max_page_size());
    let mut all = Vec::new();
    let mut cursor: Option<PageToken> = None;
    let mut seen = std::collections::HashSet::new();
    loop {
        let page = registry.list(cursor.as_ref(), limit).await?;
        all.extend(page.devices);
        match page.next {
            None => break,
            Some(next) => {
                if !seen.insert(next.clone()) {
                    return Err(Error::new(ErrorKind::Decode)
                        .with_context(format!("{}: page token repeated", registry.name())));
                }
                cursor = Some(next);
            }
        }
    }
    Snapshot::from_records(all)
}

/// Streams every device of `registry`, fetching pages lazily; an error ends
/// the stream after being yielded.
pub fn list_stream(
    registry: Arc<dyn ExternalRegistry>,
    page_size: usize,
) -> BoxStream<'static, Result<DeviceRecord>> {
    enum State {
        Start,
        Next(PageToken),
        Done,
    }
    let pages = stream::unfold(State::Start, move |state| {
        let registry = Arc::clone(&registry);
        async move {
            let cursor = match state {
                State::Done => return None,
                State::Start => None,
                State::Next(t) => Some(t),
            };
            match registry.list(cursor.as_ref(), page_size.max(1)).await {
                Ok(page) => {
                    let next = page.next.map_or(State::Done, State::Next);
                    let items: Vec<Result<DeviceRecord>> =
                        page.devices.into_iter().map(Ok).collect();
                    Some((stream::iter(items), next))
                }
                Err(e) => Some((stream::iter(vec![Err(e)]), State::Done)),
            }
        }
    });
    pages.flatten().boxed()
}
