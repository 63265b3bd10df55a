//! The Management API's `ExceptionInfo` answers, with hawkBit's real
//! `errorCode`s (`SpServerError`, typos included: `entitiyNotFound`,
//! `entitiyAlreayExists`).

use std::fmt::Display;

use axum::http::StatusCode;

use crate::ddi::errors::ApiError;

/// `SP_REPO_ENTITY_NOT_EXISTS`.
pub(crate) const NOT_FOUND: &str = "hawkbit.server.error.repo.entitiyNotFound";
/// `SP_REPO_ENTITY_ALREADY_EXISTS`.
pub(crate) const ALREADY_EXISTS: &str = "hawkbit.server.error.repo.entitiyAlreayExists";
/// `SP_QUOTA_EXCEEDED`.
pub(crate) const QUOTA: &str = "hawkbit.server.error.quota.tooManyEntries";

/// `EntityNotFoundException(kind, id)`.
pub(crate) fn not_found(kind: &str, id: impl Display) -> ApiError {
    ApiError::with(
        StatusCode::NOT_FOUND,
        "org.eclipse.hawkbit.repository.exception.EntityNotFoundException",
        NOT_FOUND,
        format!("{kind} with given identifier {{{id}}} does not exist."),
    )
}

/// `EntityAlreadyExistsException`.
pub(crate) fn already_exists(detail: impl Display) -> ApiError {
    ApiError::with(
        StatusCode::CONFLICT,
        "org.eclipse.hawkbit.repository.exception.EntityAlreadyExistsException",
        ALREADY_EXISTS,
        format!("The given entity already exists in database: {detail}"),
    )
}

/// `QuotaExceededException` (403 on the Management API).
pub(crate) fn quota(kind: &str, owner: &str, max: usize) -> ApiError {
    ApiError::with(
        StatusCode::FORBIDDEN,
        "org.eclipse.hawkbit.repository.exception.QuotaExceededException",
        QUOTA,
        format!(
            "Quota exceeded: Cannot assign 1 more {kind} entities to Target '{owner}'. The maximum is {max}."
        ),
    )
}

/// `RSQLParameterSyntaxException`.
pub(crate) fn rsql_syntax(q: &str) -> ApiError {
    ApiError::with(
        StatusCode::BAD_REQUEST,
        "org.eclipse.hawkbit.repository.exception.RSQLParameterSyntaxException",
        "hawkbit.server.error.rest.param.rsqlParamSyntax",
        format!("The given search parameter is not well formed: {q}"),
    )
}

/// `RSQLParameterUnsupportedFieldException`.
pub(crate) fn rsql_invalid_field(field: &str) -> ApiError {
    ApiError::with(
        StatusCode::BAD_REQUEST,
        "org.eclipse.hawkbit.repository.exception.RSQLParameterUnsupportedFieldException",
        "hawkbit.server.error.rest.param.rsqlInvalidField",
        format!("The given search parameter field does not exist: {field}"),
    )
}

/// `SortParameterSyntaxErrorException` and its two siblings.
pub(crate) fn sort(code: &'static str, detail: &str) -> ApiError {
    ApiError::with(
        StatusCode::BAD_REQUEST,
        "org.eclipse.hawkbit.rest.exception.SortParameterSyntaxErrorException",
        code,
        format!("The given sort parameter is not valid: {detail}"),
    )
}
