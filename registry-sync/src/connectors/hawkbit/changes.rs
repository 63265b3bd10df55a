//! [`HawkbitChangeFeed`]: hawkBit's target changes found by polling
//! `lastModifiedAt`, as an [`EventSource`].
//!
//! hawkBit pushes nothing to REST clients, but every target carries
//! `lastModifiedAt` (ms since the epoch) and the Management API can filter
//! and sort on it. One poll is `GET /targets?q=lastModifiedAt=ge=T` sorted by
//! `lastModifiedAt` then `controllerId`, read page by page with the
//! timestamp of the last page as the next page's bound (keyset paging, so a
//! target modified while a poll pages does not shift another one out of
//! view). `T` trails the newest timestamp seen by an overlap window, because
//! a transaction stamps its rows before it commits: a change can show up
//! after newer ones. Changes seen once inside the window are remembered by
//! `(lastModifiedAt, controllerId)` and not reported again.

use super::mgmt::MgmtClient;
use super::model::{PagedList, Target};
use super::registry::HawkbitRegistry;
use crate::error::{Error, ErrorKind, Result};
use crate::model::DeviceId;
use crate::model::{ChangeEvent, ChangeKind, EventOrder};
use crate::registry::EventSource;
use async_trait::async_trait;
use reqwest::Method;
use std::collections::{BTreeSet, VecDeque};
use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, UNIX_EPOCH};
use tokio::time::Instant;

/// Largest page the Management API serves.
const MAX_PAGE: usize = 500;

/// Target changes of one hawkBit tenant, found by polling (see the
/// [module docs](super#change-feed)).
///
/// Reports creations ([`ChangeKind::Created`], when `createdAt` equals
/// `lastModifiedAt`) and changes of a target's own fields, metadata and tags
/// ([`ChangeKind::Updated`]). It cannot see deletions (a deleted target is
/// simply gone) nor, as far as is known, attributes that devices write over
/// DDI; keep the engine's periodic full sync for those.
///
/// The feed honours the connector's FIQL filter
/// ([`HawkbitConfig::filter`](super::HawkbitConfig::filter)), so a
/// scoped sync polls only its own targets. Each poll re-reads the targets
/// changed within the overlap window (one request per 500 of them) and
/// remembers them, so a burst of changes costs requests until it leaves the
/// window. A poll that fails is returned as the error of that `next` call
/// and repeated after the interval. `next` is cancel-safe: a poll cut short
/// changes nothing and is repeated on the next call.
pub struct HawkbitChangeFeed {
    mgmt: MgmtClient,
    filter: Option<String>,
    source: String,
    interval: Duration,
    overlap_ms: i64,
    page_size: usize,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// The newest `lastModifiedAt` seen.
    cursor: i64,
    /// `(lastModifiedAt, controllerId)` reported within the overlap window.
    seen: BTreeSet<(i64, String)>,
    queue: VecDeque<ChangeEvent>,
    next_poll: Option<Instant>,
}

impl fmt::Debug for HawkbitChangeFeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HawkbitChangeFeed")
            .field("source", &self.source)
            .field("filter", &self.filter)
            .field("interval", &self.interval)
            .field("overlap_ms", &self.overlap_ms)
            .field("cursor", &self.cursor())
            .finish_non_exhaustive()
    }
}

/// Builds a [`HawkbitChangeFeed`]; every setter documents its default, and
/// [`ChangeFeedBuilder::start`] checks them.
///
/// ```no_run
/// # use registry_sync::connectors::hawkbit::{HawkbitChangeFeed, HawkbitRegistry};
/// # use std::time::Duration;
/// # async fn run(tenant: &HawkbitRegistry) -> registry_sync::Result<()> {
/// let feed = HawkbitChangeFeed::builder(tenant)
///     .interval(Duration::from_secs(5))
///     .start()
///     .await?;
/// # let _ = feed;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct ChangeFeedBuilder {
    mgmt: MgmtClient,
    filter: Option<String>,
    source: String,
    interval: Duration,
    overlap: Duration,
    page_size: usize,
    cursor: Option<i64>,
}

impl fmt::Debug for ChangeFeedBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChangeFeedBuilder")
            .field("source", &self.source)
            .field("filter", &self.filter)
            .field("interval", &self.interval)
            .field("overlap", &self.overlap)
            .field("page_size", &self.page_size)
            .field("cursor", &self.cursor)
            .finish_non_exhaustive()
    }
}

impl ChangeFeedBuilder {
    /// Time between polls (default 10 s; at least 1 ms).
    pub fn interval(&mut self, interval: Duration) -> &mut Self {
        self.interval = interval;
        self
    }

    /// How far each poll reaches back behind the newest change seen (default
    /// 60 s): longer than the longest write transaction of the server.
    pub fn overlap(&mut self, overlap: Duration) -> &mut Self {
        self.overlap = overlap;
        self
    }

    /// Targets per request (default 500, the Management API's largest page;
    /// 1 to 500).
    pub fn page_size(&mut self, n: usize) -> &mut Self {
        self.page_size = n;
        self
    }

    /// Reports every change from `cursor - overlap` on, for example a
    /// [`HawkbitChangeFeed::cursor`] saved before a restart; changes already
    /// handled may be reported again, which the engine treats as a no-op.
    /// Default: none, the feed starts at the tenant's newest change.
    pub fn cursor(&mut self, cursor: i64) -> &mut Self {
        self.cursor = Some(cursor);
        self
    }

    /// The feed. Without a [`Self::cursor`], it reads the tenant's newest
    /// `lastModifiedAt` (one request, plus the targets inside the overlap
    /// window, which it remembers rather than reports), so the server's
    /// clock is the only one used, and reports what changes after this call.
    ///
    /// Start it before [`Engine::run`](crate::Engine::run): the run's first
    /// full sync covers what came before.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidConfig`] for an interval under 1 ms or a page
    /// size outside 1 to 500; the Management API's errors, classified like
    /// the connector's, when the newest change cannot be read.
    pub async fn start(&self) -> Result<HawkbitChangeFeed> {
        if self.interval < Duration::from_millis(1) || !(1..=MAX_PAGE).contains(&self.page_size) {
            return Err(Error::new(ErrorKind::InvalidConfig).with_context(
                "hawkbit change feed interval must be at least 1 ms and its page size 1 to 500",
            ));
        }
        let feed = HawkbitChangeFeed {
            mgmt: self.mgmt.clone(),
            filter: self.filter.clone(),
            source: self.source.clone(),
            interval: self.interval,
            overlap_ms: i64::try_from(self.overlap.as_millis()).unwrap_or(i64::MAX),
            page_size: self.page_size,
            state: Mutex::new(State {
                cursor: self.cursor.unwrap_or(0),
                ..State::default()
            }),
        };
        if self.cursor.is_none() {
            feed.prime().await?;
        }
        Ok(feed)
    }
}

impl HawkbitChangeFeed {
    /// A builder of a feed of `registry`'s changes, within its filter.
    pub fn builder(registry: &HawkbitRegistry) -> ChangeFeedBuilder {
        let (mgmt, filter, source) = registry.feed_parts();
        ChangeFeedBuilder {
            mgmt,
            filter,
            source,
            interval: Duration::from_secs(10),
            overlap: Duration::from_secs(60),
            page_size: MAX_PAGE,
            cursor: None,
        }
    }

    /// Sets the cursor at the tenant's newest change, remembering (without
    /// reporting) what lies inside the overlap window.
    async fn prime(&self) -> Result<()> {
        let newest: PagedList<Target> = self
            .mgmt
            .send(
                Method::GET,
                &["targets"],
                &pairs(&self.query(None, 0, 1, "lastModifiedAt:DESC,controllerId:DESC")),
                None,
            )
            .await?
            .json()?;
        let cursor = match newest.content.first() {
            Some(t) => stamp(t)?,
            None => 0,
        };
        let primed = self
            .poll(cursor)
            .await?
            .into_iter()
            .map(|(ts, t)| (ts, t.controller_id, None))
            .collect();
        let mut state = self.lock();
        state.cursor = cursor;
        state.commit(primed, self.overlap_ms, false);
        Ok(())
    }

    /// The newest `lastModifiedAt` seen, to save and hand to
    /// [`ChangeFeedBuilder::cursor`] after a restart.
    pub fn cursor(&self) -> i64 {
        self.lock().cursor
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn query(
        &self,
        since: Option<i64>,
        offset: usize,
        limit: usize,
        sort: &str,
    ) -> Vec<(&str, String)> {
        let mut q = vec![
            ("offset", offset.to_string()),
            ("limit", limit.to_string()),
            ("sort", sort.to_owned()),
        ];
        if let Some(fiql) = since_filter(self.filter.as_deref(), since) {
            q.push(("q", fiql));
        }
        q
    }

    /// Every target with `lastModifiedAt ≥ cursor - overlap`, in order, with
    /// that stamp (what was seen already is dropped when the poll is
    /// committed).
    async fn poll(&self, cursor: i64) -> Result<Vec<(i64, Target)>> {
        let mut from = cursor.saturating_sub(self.overlap_ms).max(0);
        // targets stamped exactly `from` already read by this poll
        let mut skip = 0;
        let mut found = Vec::new();
        loop {
            let query = self.query(
                Some(from),
                skip,
                self.page_size,
                "lastModifiedAt:ASC,controllerId:ASC",
            );
            let page: PagedList<Target> = self
                .mgmt
                .send(Method::GET, &["targets"], &pairs(&query), None)
                .await?
                .json()?;
            let full = page.content.len() >= self.page_size;
            let mut last = from;
            let mut at_last = skip;
            for t in page.content {
                let ts = stamp(&t)?;
                if ts < from {
                    return Err(Error::new(ErrorKind::Decode).with_context(format!(
                        "hawkbit listed target {} modified at {ts} for lastModifiedAt >= {from}",
                        t.controller_id
                    )));
                }
                if ts == last {
                    at_last += 1;
                } else {
                    last = ts;
                    at_last = 1;
                }
                found.push((ts, t));
            }
            if !full {
                return Ok(found);
            }
            from = last;
            skip = at_last;
        }
    }

    fn event(&self, ts: i64, t: &Target) -> ChangeEvent {
        let kind = if t.created_at == Some(ts) {
            ChangeKind::Created
        } else {
            ChangeKind::Updated
        };
        let mut e = ChangeEvent::new(
            format!("{}:{}@{ts}", self.source, t.controller_id),
            DeviceId::new(t.controller_id.as_str()),
            kind,
        )
        .with_order(order_at_millis(ts));
        e.source = Some(self.source.clone());
        e
    }
}

impl State {
    /// Takes a poll's findings in: advances the cursor, forgets what fell out
    /// of the window, and queues events (when `report`) for what is new.
    fn commit(
        &mut self,
        found: Vec<(i64, String, Option<ChangeEvent>)>,
        overlap_ms: i64,
        report: bool,
    ) {
        for (ts, id, event) in found {
            if self.seen.insert((ts, id)) && report {
                self.queue.extend(event);
            }
            self.cursor = self.cursor.max(ts);
        }
        let keep_from = self.cursor.saturating_sub(overlap_ms);
        self.seen = self.seen.split_off(&(keep_from, String::new()));
    }
}

#[async_trait]
impl EventSource for HawkbitChangeFeed {
    async fn next(&self) -> Result<Option<ChangeEvent>> {
        loop {
            let (cursor, wait) = {
                let mut state = self.lock();
                if let Some(e) = state.queue.pop_front() {
                    return Ok(Some(e));
                }
                (state.cursor, state.next_poll)
            };
            if let Some(at) = wait {
                tokio::time::sleep_until(at).await;
            }
            let polled = self.poll(cursor).await;
            let mut state = self.lock();
            state.next_poll = Some(Instant::now() + self.interval);
            let found = polled?
                .into_iter()
                .map(|(ts, t)| {
                    let event = self.event(ts, &t);
                    (ts, t.controller_id, Some(event))
                })
                .collect();
            state.commit(found, self.overlap_ms, true);
        }
    }
}

/// The order of a `lastModifiedAt` stamp (ms since the epoch).
fn order_at_millis(ts: i64) -> EventOrder {
    let offset = Duration::from_millis(ts.unsigned_abs());
    let at = if ts >= 0 {
        UNIX_EPOCH.checked_add(offset)
    } else {
        UNIX_EPOCH.checked_sub(offset)
    };
    at.map_or_else(EventOrder::new, |t| EventOrder::new().with_time(t))
}

fn pairs<'a>(query: &'a [(&'a str, String)]) -> Vec<(&'a str, &'a str)> {
    query.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// A target's `lastModifiedAt`; hawkBit always sends it.
fn stamp(t: &Target) -> Result<i64> {
    t.last_modified_at.ok_or_else(|| {
        Error::new(ErrorKind::Decode).with_context(format!(
            "hawkbit target {} has no lastModifiedAt",
            t.controller_id
        ))
    })
}

/// The FIQL of a poll: the connector's filter and `lastModifiedAt=ge=since`.
/// `;` binds tighter than `,`, so a filter with a top-level `,` goes in
/// parentheses.
fn since_filter(filter: Option<&str>, since: Option<i64>) -> Option<String> {
    let filter = filter.map(str::trim).filter(|f| !f.is_empty());
    match (filter, since) {
        (None, None) => None,
        (Some(f), None) => Some(f.to_owned()),
        (None, Some(t)) => Some(format!("lastModifiedAt=ge={t}")),
        (Some(f), Some(t)) if has_top_level_or(f) => Some(format!("({f});lastModifiedAt=ge={t}")),
        (Some(f), Some(t)) => Some(format!("{f};lastModifiedAt=ge={t}")),
    }
}

/// Whether `fiql` has a `,` outside quotes and parentheses.
fn has_top_level_or(fiql: &str) -> bool {
    let mut quote = None;
    let mut escaped = false;
    let mut depth = 0usize;
    for c in fiql.chars() {
        match (quote, c) {
            (Some(_), _) if escaped => escaped = false,
            (Some(_), '\\') => escaped = true,
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => depth = depth.saturating_sub(1),
            (None, ',') if depth == 0 => return true,
            (None, _) => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_since_bound_joins_the_filter() {
        assert_eq!(since_filter(None, None), None);
        assert_eq!(
            since_filter(None, Some(5)).as_deref(),
            Some("lastModifiedAt=ge=5")
        );
        assert_eq!(
            since_filter(Some("metadata.managedBy==\"a,b\""), Some(5)).as_deref(),
            Some("metadata.managedBy==\"a,b\";lastModifiedAt=ge=5")
        );
        assert_eq!(
            since_filter(Some("name==a,name==b"), Some(5)).as_deref(),
            Some("(name==a,name==b);lastModifiedAt=ge=5")
        );
        assert_eq!(
            since_filter(Some("(name==a,name==b);tag==x"), Some(5)).as_deref(),
            Some("(name==a,name==b);tag==x;lastModifiedAt=ge=5")
        );
        assert_eq!(since_filter(Some("  "), None), None);
    }

    #[test]
    fn commit_reports_each_change_once_and_forgets_old_ones() {
        let mut s = State::default();
        let ev = |id: &str| Some(ChangeEvent::new(id, id, ChangeKind::Updated));
        s.commit(
            vec![(100, "a".into(), ev("a1")), (150, "b".into(), ev("b1"))],
            60,
            true,
        );
        assert_eq!(s.cursor, 150);
        assert_eq!(s.queue.len(), 2);
        // a repeat inside the window is dropped; a newer stamp of `a` is not
        s.commit(
            vec![(150, "b".into(), ev("b2")), (200, "a".into(), ev("a2"))],
            60,
            true,
        );
        let ids: Vec<String> = s.queue.iter().map(|e| e.id.clone()).collect();
        assert_eq!(ids, ["a1", "b1", "a2"]);
        // window 140..=200: (100, a) is forgotten
        assert!(!s.seen.contains(&(100, "a".to_owned())));
        assert!(s.seen.contains(&(150, "b".to_owned())));
        // priming remembers without reporting
        s.commit(vec![(210, "c".into(), ev("c"))], 60, false);
        assert_eq!(s.queue.len(), 3);
        assert_eq!(s.cursor, 210);
    }
}
