//! Error answers as hawkBit gives them: an `ExceptionInfo` body where the
//! real server throws, an empty body where it returns a bare status.

use std::fmt::Display;

use axum::http::StatusCode;

use super::documents::ExceptionInfo;

const ENTITY_NOT_FOUND: &str = "org.eclipse.hawkbit.repository.exception.EntityNotFoundException";
const NOT_FOUND_CODE: &str = "hawkbit.server.error.repo.entityNotFound";

/// A non-2xx answer of a DDI endpoint.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) info: Option<ExceptionInfo>,
}

impl ApiError {
    /// A bare status with an empty body (`ResponseEntity.notFound().build()`,
    /// 401 from the security filter, 410 for closed actions, ...).
    pub(crate) fn empty(status: StatusCode) -> Self {
        Self { status, info: None }
    }

    pub(crate) fn with(
        status: StatusCode,
        exception_class: &'static str,
        error_code: &'static str,
        message: String,
    ) -> Self {
        Self {
            status,
            info: Some(ExceptionInfo {
                exception_class,
                error_code,
                message,
                info: None,
            }),
        }
    }

    /// `EntityNotFoundException(Type.class, id)`.
    pub(crate) fn entity_not_found(kind: &str, id: impl Display) -> Self {
        Self::with(
            StatusCode::NOT_FOUND,
            ENTITY_NOT_FOUND,
            NOT_FOUND_CODE,
            format!("{kind} with given identifier {{{id}}} does not exist."),
        )
    }

    /// The action exists but belongs to another target.
    pub(crate) fn not_a_valid_action(action: u64, controller: &str) -> Self {
        Self::with(
            StatusCode::NOT_FOUND,
            ENTITY_NOT_FOUND,
            NOT_FOUND_CODE,
            format!("Not a valid action ({action}) for target: {controller}"),
        )
    }

    /// The software module is neither assigned nor installed.
    pub(crate) fn module_not_assigned(module: u64, controller: &str) -> Self {
        Self::with(
            StatusCode::NOT_FOUND,
            "org.eclipse.hawkbit.repository.exception.SoftwareModuleNotAssignedToTargetException",
            NOT_FOUND_CODE,
            format!(
                "Software module with id {{{module}}} is not assigned to target {{{controller}}}."
            ),
        )
    }

    /// The body could not be read (malformed JSON, bad enum value, wrong type).
    pub(crate) fn body_not_readable(detail: impl Display) -> Self {
        Self::with(
            StatusCode::BAD_REQUEST,
            "org.springframework.http.converter.HttpMessageNotReadableException",
            "hawkbit.server.error.rest.body.notReadable",
            format!("The given request body is not well formed: {detail}"),
        )
    }

    /// Bean validation failed (missing required field, markup in details, ...).
    pub(crate) fn constraint_violation(detail: impl Display) -> Self {
        Self::with(
            StatusCode::BAD_REQUEST,
            "jakarta.validation.ConstraintViolationException",
            "hawkbit.server.error.repo.constraintViolation",
            detail.to_string(),
        )
    }

    /// configData attributes that break the key/value rules.
    pub(crate) fn invalid_attributes() -> Self {
        Self::with(
            StatusCode::BAD_REQUEST,
            "org.eclipse.hawkbit.repository.exception.InvalidTargetAttributeException",
            "hawkbit.server.error.repo.invalidTargetAttributes",
            "The given target attributes are invalid".to_owned(),
        )
    }

    /// A quota was hit (429 since hawkBit 0.10.0).
    pub(crate) fn quota(message: String) -> Self {
        Self::with(
            StatusCode::TOO_MANY_REQUESTS,
            "org.eclipse.hawkbit.repository.exception.AssignmentQuotaExceededException",
            "hawkbit.server.error.quota.tooManyEntries",
            message,
        )
    }

    /// activateAutoConfirm while it is already active.
    pub(crate) fn auto_confirm_active(controller: &str) -> Self {
        Self::with(
            StatusCode::CONFLICT,
            "org.eclipse.hawkbit.repository.exception.AutoConfirmationAlreadyActiveException",
            "hawkbit.server.error.repo.autoConfAlreadyActive",
            format!("Auto confirmation is already active for device {controller}"),
        )
    }

    /// Cancel feedback for an action that is not being cancelled.
    pub(crate) fn cancel_not_allowed(action: u64) -> Self {
        Self::with(
            StatusCode::METHOD_NOT_ALLOWED,
            "org.eclipse.hawkbit.repository.exception.CancelActionNotAllowedException",
            "hawkbit.server.error.action.notCancelable",
            format!("Action {action} is not in canceling state."),
        )
    }
}
