//! HTTP answers and IoT Hub error codes to [`ErrorKind`]s.

use crate::error::{Error, ErrorKind};
use std::time::Duration;

/// The `ErrorCode` of an error answer: the `iothub-errorcode` header, else
/// the `ErrorCode:<code>;` prefix of the body's `Message`.
pub(crate) fn error_code(header: Option<&str>, body: &[u8]) -> Option<String> {
    if let Some(h) = header.filter(|h| !h.is_empty()) {
        return Some(h.to_owned());
    }
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let message = v.get("Message").and_then(serde_json::Value::as_str)?;
    let rest = message.strip_prefix("ErrorCode:")?;
    Some(rest.split(';').next().unwrap_or(rest).trim().to_owned())
}

/// The kind of a failed answer: 429 → throttled, 5xx → unavailable, 404 →
/// not found, 409 `DeviceAlreadyExists` → already exists, 412 →
/// precondition failed, 401/403 → unauthorized, other 4xx → rejected.
pub(crate) fn kind_of_status(status: u16, code: Option<&str>) -> ErrorKind {
    match status {
        429 => ErrorKind::Throttled,
        500..=599 => ErrorKind::Unavailable,
        404 => ErrorKind::NotFound,
        409 if code.is_some_and(|c| c == "DeviceAlreadyExists" || c.starts_with("409001")) => {
            ErrorKind::AlreadyExists
        }
        412 => ErrorKind::PreconditionFailed,
        401 | 403 => ErrorKind::Unauthorized,
        408 => ErrorKind::Timeout,
        _ => ErrorKind::Rejected,
    }
}

/// The error of a failed answer, with the route as context (never a secret).
pub(crate) fn answer_error(
    status: u16,
    code_header: Option<&str>,
    retry_after: Option<&str>,
    body: &[u8],
    context: &str,
) -> Error {
    let code = error_code(code_header, body);
    let kind = kind_of_status(status, code.as_deref());
    let base = if kind == ErrorKind::Throttled {
        let after = retry_after
            .and_then(|r| r.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        Error::throttled(after)
    } else {
        Error::new(kind)
    };
    let code = code.unwrap_or_else(|| "-".into());
    base.with_context(format!("{context}: http {status} {code}"))
}

/// The kind of a per-device `errorCode` of a bulk result or import log:
/// names (`DeviceNotFound`) or the six-digit numbers IoT Hub also uses
/// (`404001`), classified like a single call's status.
pub(crate) fn kind_of_item(code: &str) -> ErrorKind {
    match code {
        "DeviceNotFound" | "ModuleNotFound" => ErrorKind::NotFound,
        "DeviceAlreadyExists" | "ModuleAlreadyExistsOnDevice" => ErrorKind::AlreadyExists,
        "PreconditionFailed" | "DeviceMessageLockLost" => ErrorKind::PreconditionFailed,
        "ThrottlingException" | "ThrottleBacklogLimitExceeded" => ErrorKind::Throttled,
        "ServerError" | "ServiceUnavailable" | "InternalServerError" => ErrorKind::Unavailable,
        "IotHubUnauthorizedAccess" | "IotHubUnauthorized" => ErrorKind::Unauthorized,
        numeric if numeric.len() == 6 && numeric.bytes().all(|b| b.is_ascii_digit()) => {
            let status: u16 = numeric.get(..3).and_then(|s| s.parse().ok()).unwrap_or(400);
            let code = (status == 409 && numeric == "409001").then_some(numeric);
            kind_of_status(status, code)
        }
        _ => ErrorKind::Rejected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_contract() {
        let cases = [
            (429, None, ErrorKind::Throttled),
            (503, None, ErrorKind::Unavailable),
            (404, Some("DeviceNotFound"), ErrorKind::NotFound),
            (409, Some("DeviceAlreadyExists"), ErrorKind::AlreadyExists),
            (409, Some("JobQuotaExceeded"), ErrorKind::Rejected),
            (412, None, ErrorKind::PreconditionFailed),
            (401, None, ErrorKind::Unauthorized),
            (403, None, ErrorKind::Unauthorized),
            (400, Some("ArgumentInvalid"), ErrorKind::Rejected),
        ];
        for (status, code, kind) in cases {
            assert_eq!(kind_of_status(status, code), kind, "{status}");
        }
    }

    #[test]
    fn codes_come_from_header_or_body() {
        let body = br#"{"Message":"ErrorCode:DeviceAlreadyExists;A device with ID 'x' is already registered.","ExceptionMessage":"t"}"#;
        assert_eq!(
            error_code(None, body).as_deref(),
            Some("DeviceAlreadyExists")
        );
        assert_eq!(
            error_code(Some("PreconditionFailed"), b"").as_deref(),
            Some("PreconditionFailed")
        );
        assert_eq!(error_code(None, b"<html>"), None);
        let e = answer_error(409, None, None, body, "PUT /devices/x");
        assert!(e.is_already_exists());
        let t = answer_error(429, None, Some("7"), b"", "query");
        assert_eq!(t.retry_after(), Some(Duration::from_secs(7)));
    }

    #[test]
    fn item_codes() {
        assert_eq!(kind_of_item("DeviceNotFound"), ErrorKind::NotFound);
        assert_eq!(kind_of_item("404001"), ErrorKind::NotFound);
        assert_eq!(kind_of_item("409001"), ErrorKind::AlreadyExists);
        assert_eq!(kind_of_item("412002"), ErrorKind::PreconditionFailed);
        assert_eq!(kind_of_item("429001"), ErrorKind::Throttled);
        assert_eq!(kind_of_item("500001"), ErrorKind::Unavailable);
        assert_eq!(kind_of_item("ServerError"), ErrorKind::Unavailable);
        assert_eq!(kind_of_item("ArgumentInvalid"), ErrorKind::Rejected);
        assert_eq!(kind_of_item("wat"), ErrorKind::Rejected);
    }

    proptest::proptest! {
        #[test]
        fn any_error_answer_is_classified(status in 400u16..600, body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64), code in "\\PC{0,12}") {
            let e = answer_error(status, Some(&code), Some(&code), &body, "ctx");
            proptest::prop_assert_eq!(e.is_retryable(), status == 429 || status >= 500 || status == 408);
            let _ = kind_of_item(&code);
            let _ = error_code(None, &body);
        }
    }
}
