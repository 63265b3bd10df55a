//! Reading device request bodies the way hawkBit's Jackson DTOs and bean
//! validation do, and turning feedback into status entries.

use std::time::SystemTime;

use serde_json::Value;

use super::action::{ActionStatus, EntrySource, SERVER_MESSAGE_PREFIX, StatusEntry};
use super::errors::ApiError;

/// hawkBit splits longer `details` entries into several messages.
const MAX_MESSAGE_LEN: usize = 512;

const EXECUTIONS: [&str; 8] = [
    "closed",
    "proceeding",
    "canceled",
    "scheduled",
    "rejected",
    "resumed",
    "downloaded",
    "download",
];

/// A validated `DdiActionFeedback`.
#[derive(Debug, Clone)]
pub(crate) struct ParsedFeedback {
    execution: String,
    finished: String,
    progress: Option<(i64, Option<i64>)>,
    code: Option<i64>,
    details: Vec<String>,
    timestamp: Option<i64>,
    body: Value,
}

fn parse_json(body: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(body).map_err(ApiError::body_not_readable)
}

fn opt_int(v: &Value, field: &str) -> Result<Option<i64>, ApiError> {
    match v.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| ApiError::body_not_readable(format!("`{field}` is not an integer"))),
        Some(_) => Err(ApiError::body_not_readable(format!(
            "`{field}` is not a number"
        ))),
    }
}

fn details(v: &Value) -> Result<Vec<String>, ApiError> {
    let list = match v.get("details") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(list)) => list,
        Some(_) => return Err(ApiError::body_not_readable("`details` is not a list")),
    };
    let mut out = Vec::new();
    for item in list {
        let s = item
            .as_str()
            .ok_or_else(|| ApiError::body_not_readable("`details` holds a non-string"))?;
        if has_markup(s) {
            return Err(ApiError::constraint_violation(
                "details: must not contain markup",
            ));
        }
        out.push(s.to_owned());
    }
    Ok(out)
}

/// jsoup's `Safelist.none()` check rejects anything that parses as a tag.
fn has_markup(s: &str) -> bool {
    s.as_bytes().windows(2).any(|w| {
        w.first() == Some(&b'<')
            && w.get(1)
                .is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, b'/' | b'!' | b'?'))
    })
}

/// Splits messages longer than 512 characters, as hawkBit stores them.
fn split_long(messages: Vec<String>) -> Vec<String> {
    let mut out = Vec::with_capacity(messages.len());
    for m in messages {
        if m.chars().count() <= MAX_MESSAGE_LEN {
            out.push(m);
            continue;
        }
        let chars: Vec<char> = m.chars().collect();
        out.extend(
            chars
                .chunks(MAX_MESSAGE_LEN)
                .map(|c| c.iter().collect::<String>()),
        );
    }
    out
}

/// Reads `DdiActionFeedback`.
pub(crate) fn parse_action_feedback(body: &[u8]) -> Result<ParsedFeedback, ApiError> {
    let v = parse_json(body)?;
    if !v.is_object() {
        return Err(ApiError::body_not_readable("not an object"));
    }
    let timestamp = opt_int(&v, "timestamp")?;
    let status = match v.get("status") {
        Some(s @ Value::Object(_)) => s,
        None | Some(Value::Null) => {
            return Err(ApiError::constraint_violation("status: must not be null"));
        }
        Some(_) => return Err(ApiError::body_not_readable("`status` is not an object")),
    };
    let execution = match status.get("execution") {
        Some(Value::String(e)) if EXECUTIONS.contains(&e.as_str()) => e.clone(),
        None | Some(Value::Null) => {
            return Err(ApiError::constraint_violation(
                "status.execution: must not be null",
            ));
        }
        Some(other) => {
            return Err(ApiError::body_not_readable(format!(
                "`{other}` is not a valid execution status"
            )));
        }
    };
    let result = match status.get("result") {
        Some(r @ Value::Object(_)) => r,
        None | Some(Value::Null) => {
            return Err(ApiError::constraint_violation(
                "status.result: must not be null",
            ));
        }
        Some(_) => return Err(ApiError::body_not_readable("`result` is not an object")),
    };
    let finished = match result.get("finished") {
        Some(Value::String(f)) if matches!(f.as_str(), "success" | "failure" | "none") => f.clone(),
        None | Some(Value::Null) => {
            return Err(ApiError::constraint_violation(
                "status.result.finished: must not be null",
            ));
        }
        Some(other) => {
            return Err(ApiError::body_not_readable(format!(
                "`{other}` is not a valid final result"
            )));
        }
    };
    let progress = match result.get("progress") {
        None | Some(Value::Null) => None,
        Some(p @ Value::Object(_)) => {
            let cnt = opt_int(p, "cnt")?.ok_or_else(|| {
                ApiError::constraint_violation("status.result.progress.cnt: must not be null")
            })?;
            Some((cnt, opt_int(p, "of")?))
        }
        Some(_) => return Err(ApiError::body_not_readable("`progress` is not an object")),
    };
    Ok(ParsedFeedback {
        execution,
        finished,
        progress,
        code: opt_int(status, "code")?,
        details: details(status)?,
        timestamp,
        body: v,
    })
}

fn entry(
    fb: ParsedFeedback,
    source: EntrySource,
    status: ActionStatus,
    messages: Vec<String>,
) -> StatusEntry {
    StatusEntry {
        status,
        messages,
        source,
        execution: Some(fb.execution),
        finished: Some(fb.finished),
        progress: fb.progress,
        code: fb.code,
        timestamp: fb.timestamp,
        body: Some(fb.body),
        received_at: SystemTime::now(),
    }
}

fn server_message(text: &str) -> String {
    format!("{SERVER_MESSAGE_PREFIX}{text}.")
}

/// `DdiRootController#generateUpdateStatus`.
pub(crate) fn deployment_entry(fb: ParsedFeedback) -> StatusEntry {
    let mut messages = split_long(fb.details.clone());
    if let Some(code) = fb.code {
        messages.push(format!("Device reported status code: {code}"));
    }
    let failure = fb.finished == "failure";
    let (status, fallback) = match fb.execution.as_str() {
        "canceled" => (
            ActionStatus::Canceled,
            "Target confirmed cancellation.".to_owned(),
        ),
        "rejected" => (ActionStatus::Warning, "Target REJECTED update".to_owned()),
        "closed" if failure => (
            ActionStatus::Error,
            "Target reported CLOSED with ERROR!".to_owned(),
        ),
        "closed" => (
            ActionStatus::Finished,
            "Target reported CLOSED with OK!".to_owned(),
        ),
        "download" => (
            ActionStatus::Download,
            "Target confirmed download start".to_owned(),
        ),
        "downloaded" => (
            ActionStatus::Downloaded,
            "Target confirmed download finished".to_owned(),
        ),
        other => (ActionStatus::Running, format!("Target reported {other}")),
    };
    if messages.is_empty() {
        messages.push(server_message(&fallback));
    }
    entry(fb, EntrySource::DeploymentFeedback, status, messages)
}

/// `DdiRootController#generateActionCancelStatus`.
pub(crate) fn cancel_entry(fb: ParsedFeedback) -> StatusEntry {
    let mut messages = Vec::new();
    let status = match fb.execution.as_str() {
        "canceled" => {
            messages.push(format!(
                "{SERVER_MESSAGE_PREFIX}Target reported cancel for a cancel which is not supported by the server."
            ));
            ActionStatus::Warning
        }
        "rejected" => {
            messages.push(format!(
                "{SERVER_MESSAGE_PREFIX}Target rejected the cancellation request."
            ));
            ActionStatus::CancelRejected
        }
        "closed" if fb.finished == "failure" => {
            if fb.details.is_empty() {
                messages.push(server_message(
                    "Target was not able to complete cancellation",
                ));
            }
            ActionStatus::Error
        }
        "closed" => {
            if fb.details.is_empty() {
                messages.push(server_message("Cancellation confirmed"));
            }
            ActionStatus::Canceled
        }
        _ => ActionStatus::Running,
    };
    messages.extend(split_long(fb.details.clone()));
    if let Some(code) = fb.code {
        messages.push(format!("Device reported status code: {code}"));
    }
    entry(fb, EntrySource::CancelFeedback, status, messages)
}

/// Reads `DdiConfirmationFeedback` into a status entry; `bool` = confirmed.
pub(crate) fn parse_confirmation(body: &[u8]) -> Result<(StatusEntry, bool), ApiError> {
    let v = parse_json(body)?;
    let confirmed = match v.get("confirmation") {
        Some(Value::String(c)) if c == "confirmed" => true,
        Some(Value::String(c)) if c == "denied" => false,
        None | Some(Value::Null) => {
            return Err(ApiError::constraint_violation(
                "confirmation: must not be null",
            ));
        }
        Some(other) => {
            return Err(ApiError::body_not_readable(format!(
                "`{other}` is not a valid confirmation"
            )));
        }
    };
    let code = opt_int(&v, "code")?;
    let mut messages = split_long(details(&v)?);
    if let Some(code) = code {
        messages.push(format!("Device reported status code: {code}"));
    }
    if messages.is_empty() {
        messages.push(server_message(if confirmed {
            "Target confirmed the action"
        } else {
            "Target denied the action"
        }));
    }
    let entry = StatusEntry {
        status: if confirmed {
            ActionStatus::Running
        } else {
            ActionStatus::WaitForConfirmation
        },
        messages,
        source: EntrySource::ConfirmationFeedback,
        execution: v
            .get("confirmation")
            .and_then(Value::as_str)
            .map(str::to_owned),
        finished: None,
        progress: None,
        code,
        timestamp: None,
        body: Some(v),
        received_at: SystemTime::now(),
    };
    Ok((entry, confirmed))
}

/// `DdiConfigData.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConfigMode {
    Merge,
    Replace,
    Remove,
}

/// Reads and validates `DdiConfigData`.
/// `configData` entries; `None` values delete in merge mode.
pub(crate) type Attributes = Vec<(String, Option<String>)>;

/// `(initiator, remark)` of an auto-confirm activation.
pub(crate) type Activation = (Option<String>, Option<String>);

pub(crate) fn parse_config_data(body: &[u8]) -> Result<(ConfigMode, Attributes), ApiError> {
    let v = parse_json(body)?;
    let mode = match v.get("mode") {
        None | Some(Value::Null) => ConfigMode::Merge,
        Some(Value::String(m)) if m == "merge" => ConfigMode::Merge,
        Some(Value::String(m)) if m == "replace" => ConfigMode::Replace,
        Some(Value::String(m)) if m == "remove" => ConfigMode::Remove,
        Some(other) => {
            return Err(ApiError::body_not_readable(format!(
                "`{other}` is not a valid mode"
            )));
        }
    };
    let data = match v.get("data") {
        Some(Value::Object(map)) => map,
        None | Some(Value::Null) => {
            return Err(ApiError::constraint_violation("data: must not be null"));
        }
        Some(_) => return Err(ApiError::body_not_readable("`data` is not an object")),
    };
    let mut out = Vec::with_capacity(data.len());
    for (k, value) in data {
        let value = match value {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            _ => {
                return Err(ApiError::body_not_readable(
                    "attribute values must be strings",
                ));
            }
        };
        let valid = |s: &str| s.chars().count() <= 128 && s.chars().all(allowed_attribute_char);
        if !valid(k) || !value.as_deref().is_none_or(valid) {
            return Err(ApiError::invalid_attributes());
        }
        out.push((k.clone(), value));
    }
    Ok((mode, out))
}

/// `[a-zA-Z0-9_\-!@#$%^&*()+=\[\]{}|;:'",.<>/\\?\s]`
fn allowed_attribute_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || c.is_ascii_whitespace()
        || "_-!@#$%^&*()+=[]{}|;:'\",.<>/\\?".contains(c)
}

/// Reads `DdiAssignedVersion`: `(name, version)`.
pub(crate) fn parse_assigned_version(body: &[u8]) -> Result<(String, String), ApiError> {
    let v = parse_json(body)?;
    let field = |f: &str| match v.get(f) {
        Some(Value::String(s)) => Ok(s.clone()),
        None | Some(Value::Null) => Err(ApiError::constraint_violation(format!(
            "{f}: must not be null"
        ))),
        Some(_) => Err(ApiError::body_not_readable(format!(
            "`{f}` is not a string"
        ))),
    };
    Ok((field("name")?, field("version")?))
}

/// Reads the optional `DdiActivateAutoConfirmation`: `(initiator, remark)`.
pub(crate) fn parse_activation(body: &[u8]) -> Result<Option<Activation>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let v = parse_json(body)?;
    let field = |f: &str| v.get(f).and_then(Value::as_str).map(str::to_owned);
    Ok(Some((field("initiator"), field("remark"))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feedback_maps_like_hawkbit() {
        let fb = parse_action_feedback(
            br#"{"status":{"execution":"closed","result":{"finished":"failure"},"code":7}}"#,
        )
        .unwrap();
        let e = deployment_entry(fb);
        assert_eq!(e.status, ActionStatus::Error);
        assert_eq!(e.messages, vec!["Device reported status code: 7"]);
        let fb = parse_action_feedback(
            br#"{"status":{"execution":"proceeding","result":{"finished":"none"}}}"#,
        )
        .unwrap();
        assert_eq!(
            deployment_entry(fb).messages,
            vec!["Update Server: Target reported proceeding."]
        );
    }

    #[test]
    fn invalid_feedback_is_rejected() {
        for body in [
            &br#"{"status":{"execution":"exploded","result":{"finished":"none"}}}"#[..],
            br#"{"status":{"execution":"closed"}}"#,
            br#"{"status":{"execution":"closed","result":{"finished":"none"},"details":["<new>"]}}"#,
            br#"{"status":{"execution":"closed","result":{"finished":"none","progress":{"of":3}}}}"#,
            b"not json",
        ] {
            let err = parse_action_feedback(body).unwrap_err();
            assert_eq!(err.status.as_u16(), 400, "{}", String::from_utf8_lossy(body));
        }
        assert!(parse_action_feedback(br#"{"status":{"execution":"closed","result":{"finished":"none"},"details":["a < b"]}}"#).is_ok());
    }

    #[test]
    fn long_details_are_split() {
        let long = "x".repeat(1100);
        assert_eq!(
            split_long(vec![long])
                .iter()
                .map(String::len)
                .collect::<Vec<_>>(),
            vec![512, 512, 76]
        );
    }

    #[test]
    fn config_data_rejects_non_ascii_and_long_values() {
        assert!(parse_config_data("{\"data\":{\"k\":\"ü\"}}".as_bytes()).is_err());
        let long = format!("{{\"data\":{{\"k\":\"{}\"}}}}", "v".repeat(129));
        assert!(parse_config_data(long.as_bytes()).is_err());
        let (mode, data) = parse_config_data(br#"{"mode":"remove","data":{"a":"b"}}"#).unwrap();
        assert_eq!(mode, ConfigMode::Remove);
        assert_eq!(data, vec![("a".to_owned(), Some("b".to_owned()))]);
    }
}
