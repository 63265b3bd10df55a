//! Scripted misbehaviour: a queue of faults, each aimed at a route (or any)
//! and optionally one controller, firing a set number of times.

use std::sync::Mutex;
use std::time::Duration;

use super::route::RouteKind;

/// One way for the server to misbehave on a request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Answer this status with an empty body (401, 404, 410, 500, 503, ...).
    Status(u16),
    /// Answer this status with a hawkBit `ExceptionInfo` body.
    StatusWithError {
        /// HTTP status.
        status: u16,
        /// `errorCode`, e.g. `hawkbit.server.error.repo.entityNotFound`.
        error_code: String,
        /// `message`.
        message: String,
    },
    /// The DoS filter's 429: empty body, no `Retry-After` (retry shortly).
    RateLimited,
    /// A quota 429 with `errorCode` `hawkbit.server.error.quota.tooManyEntries`
    /// (do not retry intermediate feedback).
    QuotaExceeded,
    /// Wait this long before handling the request normally.
    Delay(Duration),
    /// Handle normally but cut the body after this many bytes and drop the
    /// connection (the declared `Content-Length` stays the full one).
    Truncate {
        /// Bytes sent before the cut.
        after: u64,
    },
    /// Handle normally but send the body at this rate.
    Slow {
        /// Bytes per second (at least 1).
        bytes_per_second: u64,
    },
    /// On a 206, announce a `Content-Range` starting at `claimed_start` while
    /// sending the bytes that were asked for.
    LyingContentRange {
        /// The start the header claims.
        claimed_start: u64,
    },
    /// Serve artifact bytes with one byte flipped, so no announced hash matches.
    WrongHash,
    /// Answer a range request with the whole artifact and `200`, as a server
    /// (or proxy) without range support does.
    IgnoreRange,
    /// `302` to the same artifact on the CDN listener.
    RedirectToCdn,
    /// `302` to this absolute URL.
    Redirect(String),
    /// `302` back to the very same URL, forever.
    RedirectLoop,
    /// `200` with a syntactically valid JSON document of about this many bytes
    /// (a controller base padded with an unknown field).
    HugeJson {
        /// Approximate body size.
        bytes: u64,
    },
    /// `200` with this body and `Content-Type: application/hal+json`.
    Body(String),
}

/// Which requests a fault applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultRule {
    /// The fault.
    pub fault: Fault,
    /// Only this route (`None` = every route, CDN included).
    pub route: Option<RouteKind>,
    /// Only this controller id (`None` = every controller).
    pub controller: Option<String>,
    /// How many more times it fires (`None` = until cleared).
    pub remaining: Option<u32>,
}

impl FaultRule {
    /// `fault` once on `route`.
    pub fn once(route: RouteKind, fault: Fault) -> Self {
        Self::times(route, fault, 1)
    }

    /// `fault` on the next `n` requests to `route`.
    pub fn times(route: RouteKind, fault: Fault, n: u32) -> Self {
        Self {
            fault,
            route: Some(route),
            controller: None,
            remaining: Some(n),
        }
    }

    /// `fault` on every request to `route` until cleared.
    pub fn always(route: RouteKind, fault: Fault) -> Self {
        Self {
            fault,
            route: Some(route),
            controller: None,
            remaining: None,
        }
    }

    /// `fault` on every request to any route until cleared.
    pub fn everywhere(fault: Fault) -> Self {
        Self {
            fault,
            route: None,
            controller: None,
            remaining: None,
        }
    }

    /// Restricts the rule to one controller.
    pub fn for_controller(mut self, controller: impl Into<String>) -> Self {
        self.controller = Some(controller.into());
        self
    }

    fn matches(&self, route: RouteKind, controller: Option<&str>) -> bool {
        self.route.is_none_or(|r| r == route)
            && self
                .controller
                .as_deref()
                .is_none_or(|c| Some(c) == controller)
            && self.remaining != Some(0)
    }
}

/// The fault queue of one server; rules are tried in the order they were added.
#[derive(Debug, Default)]
pub(crate) struct FaultQueue {
    rules: Mutex<Vec<FaultRule>>,
    armed: std::sync::atomic::AtomicBool,
}

impl FaultQueue {
    pub(crate) fn push(&self, rule: FaultRule) {
        self.lock().push(rule);
        self.armed.store(true, std::sync::atomic::Ordering::Release);
    }

    pub(crate) fn clear(&self) {
        self.lock().clear();
        self.armed
            .store(false, std::sync::atomic::Ordering::Release);
    }

    pub(crate) fn pending(&self) -> Vec<FaultRule> {
        self.lock()
            .iter()
            .filter(|r| r.remaining != Some(0))
            .cloned()
            .collect()
    }

    /// The faults that fire for this request (a `Delay` may come with another),
    /// consuming one use of each.
    pub(crate) fn take(&self, route: RouteKind, controller: Option<&str>) -> Vec<Fault> {
        // the scale benchmark never arms faults: skip the lock entirely
        if !self.armed.load(std::sync::atomic::Ordering::Acquire) {
            return Vec::new();
        }
        let mut rules = self.lock();
        let mut fired = Vec::new();
        let mut has_terminal = false;
        for rule in rules.iter_mut() {
            if !rule.matches(route, controller) {
                continue;
            }
            let is_delay = matches!(rule.fault, Fault::Delay(_));
            if !is_delay && has_terminal {
                continue;
            }
            has_terminal |= !is_delay;
            if let Some(n) = rule.remaining.as_mut() {
                *n -= 1;
            }
            fired.push(rule.fault.clone());
        }
        rules.retain(|r| r.remaining != Some(0));
        fired
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<FaultRule>> {
        self.rules
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_fire_in_order_and_run_out() {
        let q = FaultQueue::default();
        q.push(FaultRule::times(RouteKind::Root, Fault::Status(503), 2));
        q.push(FaultRule::once(RouteKind::Root, Fault::RateLimited));
        q.push(
            FaultRule::always(RouteKind::ArtifactDownload, Fault::WrongHash).for_controller("a"),
        );
        assert_eq!(q.take(RouteKind::Root, Some("x")), vec![Fault::Status(503)]);
        assert_eq!(q.take(RouteKind::Root, Some("x")), vec![Fault::Status(503)]);
        assert_eq!(q.take(RouteKind::Root, Some("x")), vec![Fault::RateLimited]);
        assert!(q.take(RouteKind::Root, Some("x")).is_empty());
        assert!(q.take(RouteKind::ArtifactDownload, Some("b")).is_empty());
        assert_eq!(
            q.take(RouteKind::ArtifactDownload, Some("a")),
            vec![Fault::WrongHash]
        );
        assert_eq!(
            q.take(RouteKind::ArtifactDownload, Some("a")),
            vec![Fault::WrongHash]
        );
    }

    #[test]
    fn a_delay_combines_with_one_other_fault() {
        let q = FaultQueue::default();
        q.push(FaultRule::once(
            RouteKind::Root,
            Fault::Delay(Duration::from_millis(1)),
        ));
        q.push(FaultRule::once(RouteKind::Root, Fault::Status(500)));
        q.push(FaultRule::once(RouteKind::Root, Fault::Status(502)));
        assert_eq!(
            q.take(RouteKind::Root, None),
            vec![Fault::Delay(Duration::from_millis(1)), Fault::Status(500)]
        );
        assert_eq!(q.take(RouteKind::Root, None), vec![Fault::Status(502)]);
    }
}
