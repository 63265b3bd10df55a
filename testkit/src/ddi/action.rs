//! Actions: the server-side state machine of one assignment to one controller.

use std::fmt;
use std::time::{Duration, SystemTime};

use super::catalog::DistributionId;

/// Messages the server writes itself start with this; `actionHistory` hides them.
pub const SERVER_MESSAGE_PREFIX: &str = "Update Server: ";

/// Identifies an action (`deploymentBase/{id}` and the documents' `id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ActionId(pub u64);

impl fmt::Display for ActionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// hawkBit's action type, which decides `download`/`update` handling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionType {
    /// `attempt`/`attempt`.
    Soft,
    /// `forced`/`forced`.
    Forced,
    /// `forced`/`skip`; `downloaded` feedback closes it.
    DownloadOnly,
    /// Soft until `force_at`, forced afterwards.
    TimeForced {
        /// When the action turns forced.
        force_at: SystemTime,
    },
}

impl ActionType {
    fn is_forced(self, now: SystemTime) -> bool {
        match self {
            Self::Forced => true,
            Self::TimeForced { force_at } => now >= force_at,
            Self::Soft | Self::DownloadOnly => false,
        }
    }
}

/// hawkBit's `Action.Status` (also `actionHistory.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActionStatus {
    /// `FINISHED`.
    Finished,
    /// `ERROR`.
    Error,
    /// `WARNING`.
    Warning,
    /// `RUNNING`.
    Running,
    /// `CANCELED`.
    Canceled,
    /// `CANCELING`.
    Canceling,
    /// `RETRIEVED`.
    Retrieved,
    /// `DOWNLOAD`.
    Download,
    /// `SCHEDULED`.
    Scheduled,
    /// `CANCEL_REJECTED`.
    CancelRejected,
    /// `DOWNLOADED`.
    Downloaded,
    /// `WAIT_FOR_CONFIRMATION`.
    WaitForConfirmation,
}

impl ActionStatus {
    /// The upper-case name hawkBit uses on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Finished => "FINISHED",
            Self::Error => "ERROR",
            Self::Warning => "WARNING",
            Self::Running => "RUNNING",
            Self::Canceled => "CANCELED",
            Self::Canceling => "CANCELING",
            Self::Retrieved => "RETRIEVED",
            Self::Download => "DOWNLOAD",
            Self::Scheduled => "SCHEDULED",
            Self::CancelRejected => "CANCEL_REJECTED",
            Self::Downloaded => "DOWNLOADED",
            Self::WaitForConfirmation => "WAIT_FOR_CONFIRMATION",
        }
    }
}

impl fmt::Display for ActionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A maintenance schedule reduced to what a device can observe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaintenanceWindow {
    /// A window the test opens and closes by hand
    /// ([`crate::ddi::DdiServer::set_maintenance_window`]); never lapses.
    Manual {
        /// Whether the window is open now.
        open: bool,
    },
    /// One window `[start, start + duration)`; after it the schedule has
    /// lapsed and the next poll cancels the action, as hawkBit does.
    Scheduled {
        /// Opening time.
        start: SystemTime,
        /// How long it stays open.
        duration: Duration,
    },
}

impl MaintenanceWindow {
    pub(crate) fn is_open(&self, now: SystemTime) -> bool {
        match *self {
            Self::Manual { open } => open,
            Self::Scheduled { start, duration } => now >= start && now < start + duration,
        }
    }

    pub(crate) fn has_lapsed(&self, now: SystemTime) -> bool {
        match *self {
            Self::Manual { .. } => false,
            Self::Scheduled { start, duration } => now >= start + duration,
        }
    }

    /// Time until the window opens, if it is still ahead.
    pub(crate) fn until_open(&self, now: SystemTime) -> Option<Duration> {
        match *self {
            Self::Manual { .. } => None,
            Self::Scheduled { start, .. } => {
                start.duration_since(now).ok().filter(|d| !d.is_zero())
            }
        }
    }
}

/// Which endpoint a status entry came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntrySource {
    /// Written by the server itself (assignment, retrieval, cancel request, ...).
    Server,
    /// `POST deploymentBase/{id}/feedback`.
    DeploymentFeedback,
    /// `POST cancelAction/{id}/feedback`.
    CancelFeedback,
    /// `POST confirmationBase/{id}/feedback`.
    ConfirmationFeedback,
}

/// One entry of an action's status history, as hawkBit stores it.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusEntry {
    /// The status this entry records.
    pub status: ActionStatus,
    /// Messages: the device's `details`, the server's own message when they are
    /// empty, and `Device reported status code: N` for a `code`.
    pub messages: Vec<String>,
    /// Where it came from.
    pub source: EntrySource,
    /// The device's `status.execution` (or `confirmation`) value, verbatim.
    pub execution: Option<String>,
    /// The device's `status.result.finished`, verbatim.
    pub finished: Option<String>,
    /// The device's `status.result.progress` as `(cnt, of)`.
    pub progress: Option<(i64, Option<i64>)>,
    /// The device's `code`.
    pub code: Option<i64>,
    /// The device's `timestamp` (epoch ms).
    pub timestamp: Option<i64>,
    /// The request body, as received.
    pub body: Option<serde_json::Value>,
    /// When the server recorded it.
    pub received_at: SystemTime,
}

impl StatusEntry {
    pub(crate) fn server(status: ActionStatus, message: &str) -> Self {
        Self {
            status,
            messages: vec![format!("{SERVER_MESSAGE_PREFIX}{message}")],
            source: EntrySource::Server,
            execution: None,
            finished: None,
            progress: None,
            code: None,
            timestamp: None,
            body: None,
            received_at: SystemTime::now(),
        }
    }
}

/// An action, as the server holds it.
#[derive(Debug, Clone)]
pub struct Action {
    /// Its id.
    pub id: ActionId,
    /// Tenant of the controller.
    pub tenant: String,
    /// The controller it is assigned to.
    pub controller: String,
    /// What it installs.
    pub distribution: DistributionId,
    /// Soft, forced, download-only or time-forced.
    pub action_type: ActionType,
    /// Current status.
    pub status: ActionStatus,
    /// Whether it is still open (hawkBit's `active`).
    pub active: bool,
    /// The maintenance schedule, if any.
    pub maintenance: Option<MaintenanceWindow>,
    /// Every status entry, oldest first.
    pub history: Vec<StatusEntry>,
    pub(crate) revision: u32,
}

impl Action {
    /// Whether it is `CANCELING` or `CANCELED`.
    pub fn is_canceling_or_canceled(&self) -> bool {
        matches!(
            self.status,
            ActionStatus::Canceling | ActionStatus::Canceled
        )
    }

    /// Whether it waits for the device's confirmation.
    pub fn is_waiting_confirmation(&self) -> bool {
        self.status == ActionStatus::WaitForConfirmation
    }

    /// The device-sent entries only (feedback of any kind), oldest first.
    pub fn feedback(&self) -> impl Iterator<Item = &StatusEntry> {
        self.history
            .iter()
            .filter(|e| e.source != EntrySource::Server)
    }

    /// The last device-sent entry.
    pub fn last_feedback(&self) -> Option<&StatusEntry> {
        self.feedback().last()
    }

    pub(crate) fn push(&mut self, entry: StatusEntry) {
        self.history.push(entry);
        self.revision = self.revision.wrapping_add(1);
    }

    pub(crate) fn set_status(&mut self, status: ActionStatus) {
        self.status = status;
        self.revision = self.revision.wrapping_add(1);
    }

    /// `download` handling, as `DdiRootController#calculateDownloadType`.
    pub(crate) fn download_type(&self, now: SystemTime) -> &'static str {
        if self.action_type == ActionType::DownloadOnly || self.action_type.is_forced(now) {
            "forced"
        } else {
            "attempt"
        }
    }

    /// `update` handling, as `DdiRootController#calculateUpdateType`.
    pub(crate) fn update_type(&self, now: SystemTime) -> &'static str {
        if self.action_type == ActionType::DownloadOnly {
            return "skip";
        }
        match &self.maintenance {
            Some(w) if !w.is_open(now) => "skip",
            _ => self.download_type(now),
        }
    }

    /// `maintenanceWindow`, absent without a schedule.
    pub(crate) fn maintenance_status(&self, now: SystemTime) -> Option<&'static str> {
        self.maintenance.as_ref().map(|w| {
            if w.is_open(now) {
                "available"
            } else {
                "unavailable"
            }
        })
    }

    /// The opaque `c=` value of this action's links: it changes whenever the
    /// action does, which is what the real one is for.
    pub(crate) fn cache_buster(&self) -> i32 {
        let mixed =
            (self.id.0 ^ (u64::from(self.revision) << 32)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (mixed >> 32) as u32 as i32
    }

    /// `actionHistory` messages: device messages only, newest first, capped.
    pub(crate) fn history_messages(&self, requested: i64) -> Vec<String> {
        const MAX: usize = 100;
        let limit = match requested {
            0 => return Vec::new(),
            n if n < 0 => MAX,
            n => usize::try_from(n).unwrap_or(MAX).min(MAX),
        };
        self.history
            .iter()
            .rev()
            .flat_map(|e| e.messages.iter().rev())
            .filter(|m| !m.starts_with(SERVER_MESSAGE_PREFIX))
            .take(limit)
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(action_type: ActionType) -> Action {
        Action {
            id: ActionId(1),
            tenant: "DEFAULT".into(),
            controller: "c".into(),
            distribution: DistributionId(1),
            action_type,
            status: ActionStatus::Running,
            active: true,
            maintenance: None,
            history: Vec::new(),
            revision: 0,
        }
    }

    #[test]
    fn handling_types_follow_hawkbit() {
        let now = SystemTime::now();
        let soft = action(ActionType::Soft);
        assert_eq!(
            (soft.download_type(now), soft.update_type(now)),
            ("attempt", "attempt")
        );
        let dl = action(ActionType::DownloadOnly);
        assert_eq!(
            (dl.download_type(now), dl.update_type(now)),
            ("forced", "skip")
        );
        let mut forced = action(ActionType::Forced);
        forced.maintenance = Some(MaintenanceWindow::Manual { open: false });
        assert_eq!(
            (forced.download_type(now), forced.update_type(now)),
            ("forced", "skip")
        );
        assert_eq!(forced.maintenance_status(now), Some("unavailable"));
        let later = action(ActionType::TimeForced {
            force_at: now + Duration::from_secs(60),
        });
        assert_eq!(later.update_type(now), "attempt");
        assert_eq!(later.update_type(now + Duration::from_secs(61)), "forced");
    }

    #[test]
    fn history_hides_server_messages_and_is_newest_first() {
        let mut a = action(ActionType::Soft);
        a.push(StatusEntry::server(ActionStatus::Running, "assigned"));
        let mut e = StatusEntry::server(ActionStatus::Running, "x");
        e.messages = vec!["one".into(), "two".into()];
        a.push(e);
        assert_eq!(a.history_messages(-1), vec!["two", "one"]);
        assert_eq!(a.history_messages(1), vec!["two"]);
        assert!(a.history_messages(0).is_empty());
    }

    #[test]
    fn cache_buster_changes_with_the_action() {
        let mut a = action(ActionType::Soft);
        let before = a.cache_buster();
        a.set_status(ActionStatus::Canceling);
        assert_ne!(before, a.cache_buster());
    }
}
