//! The domain's one error type. The HTTP layer maps it to problem+json in one place.

use crate::store::StoreError;
use crate::validation::ValidationErrors;

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    /// Well formed, but not for this state: field errors that depend on who or what the
    /// request names (a machine offered `owner`, an end user on a root), which no schema of
    /// the request can state.
    #[error("the input does not fit the current state")]
    Inconsistent(ValidationErrors),
    /// Missing, wrong or expired credentials. Deliberately says nothing more.
    #[error("authentication failed")]
    Unauthenticated,
    /// Inside the caller's scope but not permitted.
    #[error("not permitted")]
    Forbidden,
    /// Refused for a reason the caller may know (an unconfirmed address, a suspended account).
    #[error("{detail}")]
    Denied { code: &'static str, detail: String },
    /// Absent, or outside the caller's scope (the two are indistinguishable on purpose).
    #[error("not found")]
    NotFound,
    /// An invariant or uniqueness rule refused the change.
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    /// The resource existed but is no longer usable (expired, used, revoked).
    #[error("{detail}")]
    Gone { code: &'static str, detail: String },
    #[error("the resource changed since it was read")]
    PreconditionFailed,
    /// Over a budget (sign-in attempts, mails, invitations); `code` says which.
    #[error("{detail}")]
    Throttled {
        code: &'static str,
        detail: String,
        retry_after_seconds: u64,
    },
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// A bug or a broken dependency; the detail is logged, never shown.
    #[error("internal: {0}")]
    Internal(String),
}

impl DomainError {
    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            detail: detail.into(),
        }
    }

    pub fn denied(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Denied {
            code,
            detail: detail.into(),
        }
    }

    /// Sign-in attempts over their allowance.
    pub fn too_many_attempts(retry_after_seconds: u64) -> Self {
        Self::Throttled {
            code: "too_many_requests",
            detail: "too many attempts; try again later".into(),
            retry_after_seconds,
        }
    }

    pub fn gone(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Gone {
            code,
            detail: detail.into(),
        }
    }
}

pub type DomainResult<T> = Result<T, DomainError>;
