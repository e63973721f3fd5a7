//! The one error type of the HTTP layer and its single mapping to RFC 9457 problem+json.
//! Internal causes are logged with their chain and never sent to the client.

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;
use stratum_shared::error::DomainError;
use stratum_shared::store::StoreError;
use stratum_shared::validation::{FieldError, ValidationErrors};

pub const PROBLEM_JSON: &str = "application/problem+json";

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("the request is invalid")]
    Validation(ValidationErrors),
    #[error("the request does not fit the current state")]
    Inconsistent(ValidationErrors),
    #[error("the request body must be JSON")]
    UnsupportedMediaType,
    #[error("the request body is larger than the limit")]
    PayloadTooLarge,
    #[error("authentication is required")]
    Unauthenticated,
    #[error("not allowed")]
    Forbidden,
    /// Refused for a reason the caller may know; `code` says which.
    #[error("{detail}")]
    Denied { code: &'static str, detail: String },
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    /// An invariant or uniqueness rule refused the change; `code` says which.
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    #[error("the resource has changed since it was read")]
    PreconditionFailed,
    #[error("{detail}")]
    Gone { code: &'static str, detail: String },
    #[error("{detail}")]
    TooManyRequests {
        code: &'static str,
        detail: String,
        retry_after_seconds: u64,
    },
    /// Something failed on our side; the cause goes to the log only.
    #[error("internal error")]
    Internal(String),
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: String,
    code: &'a str,
    #[serde(skip_serializing_if = "<[FieldError]>::is_empty")]
    errors: &'a [FieldError],
}

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Inconsistent(_) => StatusCode::CONFLICT,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unauthenticated => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden | ApiError::Denied { .. } => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            ApiError::Gone { .. } => StatusCode::GONE,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable, machine-readable code clients may branch on.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Validation(_) => "validation_failed",
            ApiError::Inconsistent(_) => "inconsistent",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::PayloadTooLarge => "payload_too_large",
            ApiError::Unauthenticated => "unauthenticated",
            ApiError::Forbidden => "forbidden",
            ApiError::NotFound => "not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::Conflict { code, .. }
            | ApiError::Gone { code, .. }
            | ApiError::Denied { code, .. }
            | ApiError::TooManyRequests { code, .. } => code,
            ApiError::PreconditionFailed => "precondition_failed",
            ApiError::Internal(_) => "internal_error",
        }
    }
}

impl From<ValidationErrors> for ApiError {
    fn from(errors: ValidationErrors) -> Self {
        ApiError::Validation(errors)
    }
}

/// The one mapping from domain outcomes to HTTP.
impl From<DomainError> for ApiError {
    fn from(error: DomainError) -> Self {
        match error {
            DomainError::Invalid(errors) => ApiError::Validation(errors),
            DomainError::Inconsistent(errors) => ApiError::Inconsistent(errors),
            DomainError::Unauthenticated => ApiError::Unauthenticated,
            DomainError::Forbidden => ApiError::Forbidden,
            DomainError::Denied { code, detail } => ApiError::Denied { code, detail },
            DomainError::NotFound => ApiError::NotFound,
            DomainError::Conflict { code, detail } => ApiError::Conflict { code, detail },
            DomainError::Gone { code, detail } => ApiError::Gone { code, detail },
            DomainError::PreconditionFailed => ApiError::PreconditionFailed,
            DomainError::Throttled {
                code,
                detail,
                retry_after_seconds,
            } => ApiError::TooManyRequests {
                code,
                detail,
                retry_after_seconds,
            },
            DomainError::Store(StoreError::InvalidCursor) => ApiError::Validation(ValidationErrors::single(
                "cursor",
                "invalid_cursor",
                "this cursor does not belong to this list",
            )),
            DomainError::Store(cause) => ApiError::Internal(cause.to_string()),
            DomainError::Internal(cause) => ApiError::Internal(cause),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(cause) = &self {
            tracing::error!(cause = %cause, "request failed");
        }
        let status = self.status();
        let code = self.code();
        let problem = Problem {
            kind: format!("urn:stratum:problem:{code}"),
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail: self.to_string(),
            code,
            errors: match &self {
                ApiError::Validation(errors) | ApiError::Inconsistent(errors) => errors.errors(),
                _ => &[],
            },
        };
        let mut response = (status, Json(problem)).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        let headers = response.headers_mut();
        match self {
            ApiError::TooManyRequests {
                retry_after_seconds, ..
            } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_seconds));
            }
            ApiError::Unauthenticated => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            _ => {}
        }
        response
    }
}
