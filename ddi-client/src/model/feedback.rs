//! Action feedback (`POST …/deploymentBase/{id}/feedback` and
//! `POST …/cancelAction/{id}/feedback`).

use serde::{Deserialize, Serialize};

use super::id::lenient_i64;
use super::open_enum::open_enum;

open_enum! {
    /// `status.execution`: where the device is with the action.
    pub enum Execution {
        /// The action is over (see [`Finished`] for the outcome). On a cancel
        /// action, `closed` + success accepts the cancellation.
        Closed = "closed",
        /// Working on it.
        Proceeding = "proceeding",
        /// Cancelled by the device (do not use on cancel actions).
        Canceled = "canceled",
        /// Scheduled for later.
        Scheduled = "scheduled",
        /// Rejected (on a cancel action: the cancellation is refused).
        Rejected = "rejected",
        /// Resumed.
        Resumed = "resumed",
        /// Downloaded (final for download-only actions).
        Downloaded = "downloaded",
        /// Downloading.
        Download = "download",
    }
}

open_enum! {
    /// `status.result.finished`: the outcome.
    pub enum Finished {
        /// Succeeded.
        Success = "success",
        /// Failed.
        Failure = "failure",
        /// Not finished yet (counts as success with `closed`).
        None = "none",
    }
}

/// Longest `details` entry the server stores as one message; longer ones are
/// split server-side and use up the per-status message quota.
pub const MAX_DETAIL_BYTES: usize = 512;
/// Most `details` entries one status may carry (`maxMessagesPerActionStatus`,
/// one kept free for the message a `code` adds).
pub const MAX_DETAILS: usize = 49;

/// A feedback body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionFeedback {
    /// When the event happened on the device, in milliseconds since the
    /// Unix epoch (hawkBit ≥ 0.7.0; the server uses its own time if absent).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_i64::option"
    )]
    pub timestamp: Option<i64>,
    /// Legacy `time` (`yyyyMMdd'T'HHmmss`, UTC), required by servers before
    /// 0.3.0M8. Sent only when set; see [`ActionFeedback::with_legacy_time`].
    #[serde(rename = "time", default, skip_serializing_if = "Option::is_none")]
    pub legacy_time: Option<String>,
    /// The status.
    pub status: Status,
}

/// `status` of a feedback body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// Where the device is.
    pub execution: Execution,
    /// The outcome and progress.
    pub result: StatusResult,
    /// A device-specific status code (hawkBit stores the last one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<i32>,
    /// Human-readable messages.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
}

/// `status.result`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusResult {
    /// The outcome.
    pub finished: Finished,
    /// Progress, `cnt` of `of`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<Progress>,
}

/// `status.result.progress`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// Achieved amount.
    pub cnt: u32,
    /// Total amount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub of: Option<u32>,
}

impl ActionFeedback {
    /// A feedback with no timestamp, code or details.
    pub fn new(execution: Execution, finished: Finished) -> Self {
        Self {
            timestamp: None,
            legacy_time: None,
            status: Status {
                execution,
                result: StatusResult {
                    finished,
                    progress: None,
                },
                code: None,
                details: Vec::new(),
            },
        }
    }

    /// Sets the device event time (ms since the Unix epoch).
    pub fn with_timestamp(mut self, epoch_ms: i64) -> Self {
        self.timestamp = Some(epoch_ms);
        self
    }

    /// Sets `timestamp` to now.
    pub fn timestamped_now(self) -> Self {
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        self.with_timestamp(ms)
    }

    /// Also sends the legacy `time` field derived from `timestamp`, for
    /// servers older than hawkBit 0.3.0M8. Does nothing without a timestamp
    /// or for one outside years 0–9999.
    pub fn with_legacy_time(mut self) -> Self {
        self.legacy_time = self.timestamp.and_then(legacy_time_from_ms);
        self
    }

    /// Sets the progress.
    pub fn with_progress(mut self, cnt: u32, of: u32) -> Self {
        self.status.result.progress = Some(Progress { cnt, of: Some(of) });
        self
    }

    /// Sets the device status code.
    pub fn with_code(mut self, code: i32) -> Self {
        self.status.code = Some(code);
        self
    }

    /// Adds a message, sanitised for the server: `<` and `>` (which hawkBit
    /// rejects with 400) become `(` and `)`, long messages are cut into
    /// pieces of at most [`MAX_DETAIL_BYTES`], and no more than
    /// [`MAX_DETAILS`] messages are kept.
    pub fn with_detail(mut self, detail: impl AsRef<str>) -> Self {
        push_detail(&mut self.status.details, detail.as_ref());
        self
    }
}

fn push_detail(details: &mut Vec<String>, detail: &str) {
    let clean: String = detail
        .chars()
        .map(|c| match c {
            '<' => '(',
            '>' => ')',
            c => c,
        })
        .collect();
    let mut rest = clean.as_str();
    while details.len() < MAX_DETAILS {
        if rest.len() <= MAX_DETAIL_BYTES {
            details.push(rest.to_owned());
            return;
        }
        let mut cut = MAX_DETAIL_BYTES;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let (head, tail) = rest.split_at(cut);
        details.push(head.to_owned());
        rest = tail;
    }
}

/// `yyyyMMdd'T'HHmmss` in UTC for a Unix time in milliseconds, `None` for
/// an instant outside years 0–9999 (the field has four year digits).
pub(crate) fn legacy_time_from_ms(ms: i64) -> Option<String> {
    const LEGACY: &[time::format_description::FormatItem<'_>] =
        time::macros::format_description!("[year][month][day]T[hour][minute][second]");
    let instant = time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000)).ok()?;
    if !(0..=9999).contains(&instant.year()) {
        return None;
    }
    instant.format(LEGACY).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_time_matches_known_instant() {
        // 2021-08-03T13:31:41.890Z
        assert_eq!(
            legacy_time_from_ms(1_627_997_501_890).as_deref(),
            Some("20210803T133141")
        );
        assert_eq!(legacy_time_from_ms(0).as_deref(), Some("19700101T000000"));
        assert_eq!(legacy_time_from_ms(-1).as_deref(), Some("19691231T235959"));
        // beyond four year digits there is no legacy spelling
        assert_eq!(legacy_time_from_ms(i64::MAX), None);
        assert_eq!(legacy_time_from_ms(-62_167_219_200_001), None);
    }

    #[test]
    fn details_are_sanitised_split_and_capped() {
        let fb = ActionFeedback::new(Execution::Proceeding, Finished::None)
            .with_detail("<new> version")
            .with_detail("é".repeat(600));
        assert_eq!(fb.status.details[0], "(new) version");
        assert!(
            fb.status
                .details
                .iter()
                .all(|d| d.len() <= MAX_DETAIL_BYTES)
        );
        assert_eq!(fb.status.details[1..].concat(), "é".repeat(600));
        let many = (0..100).fold(
            ActionFeedback::new(Execution::Closed, Finished::Success),
            |f, i| f.with_detail(i.to_string()),
        );
        assert_eq!(many.status.details.len(), MAX_DETAILS);
    }

    #[test]
    fn strict_encoding_has_no_legacy_fields_unless_asked() {
        let fb = ActionFeedback::new(Execution::Closed, Finished::Success).with_timestamp(1000);
        let v = serde_json::to_value(&fb).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"timestamp": 1000, "status": {"execution": "closed", "result": {"finished": "success"}}})
        );
        let v = serde_json::to_value(fb.with_legacy_time()).unwrap();
        assert_eq!(v["time"], "19700101T000001");
    }
}
