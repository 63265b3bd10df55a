//! IoT Hub's error answers: a status, an `ErrorCode` and the JSON body the
//! service sends (`{"Message":"ErrorCode:<code>;<text>","ExceptionMessage":...}`).

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::json;

/// One error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HubError {
    pub(crate) status: u16,
    pub(crate) code: &'static str,
    pub(crate) message: String,
}

impl HubError {
    pub(crate) fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    pub(crate) fn not_found(id: &str) -> Self {
        Self::new(404, "DeviceNotFound", format!("Device {id} not registered"))
    }

    pub(crate) fn exists(id: &str) -> Self {
        Self::new(
            409,
            "DeviceAlreadyExists",
            format!("A device with ID '{id}' is already registered."),
        )
    }

    pub(crate) fn precondition(id: &str) -> Self {
        Self::new(
            412,
            "PreconditionFailed",
            format!("Precondition failed: the etag does not match the current version of {id}"),
        )
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::new(400, "ArgumentInvalid", message)
    }

    pub(crate) fn throttled() -> Self {
        Self::new(
            429,
            "ThrottlingException",
            "Throttling: the request rate of this operation class exceeds the hub's quota",
        )
    }

    /// The `errorStatus` text of a bulk or import item.
    pub(crate) fn item_status(&self) -> String {
        format!("ErrorCode:{};{}", self.code, self.message)
    }

    pub(crate) fn response(&self, tracking: u64) -> Response {
        let body = json!({
            "Message": format!("ErrorCode:{};{}", self.code, self.message),
            "ExceptionMessage": format!(
                "Tracking ID:{tracking:032x}-G:0-TimeStamp:{}",
                super::store::now_text()
            ),
        });
        let mut r = Response::new(Body::from(body.to_string()));
        *r.status_mut() =
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        r.headers_mut()
            .insert("iothub-errorcode", HeaderValue::from_static(self.code));
        r
    }
}
