//! ETags are a resource's store version, quoted: `"7"`.

use super::problem::ApiError;
use axum::Json;
use axum::extract::FromRequestParts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use serde::Serialize;

pub fn etag(version: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).expect("digits are a valid header value")
}

/// A body with its version as the `ETag` an `If-Match` names to change it.
pub fn with_etag<T: Serialize>(status: StatusCode, version: u64, body: T) -> Response {
    (status, [(header::ETAG, etag(version))], Json(body)).into_response()
}

/// The version an `If-Match` header requires: `None` when absent or `*` (RFC 9110: any
/// current representation — every resource taking `If-Match` exists, or the answer is 404).
/// A header naming no version of ours can never match: 412.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IfMatch(pub Option<u64>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        required_version(&parts.headers).map(IfMatch)
    }
}

fn required_version(headers: &HeaderMap) -> Result<Option<u64>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = value.to_str().map_err(|_| ApiError::PreconditionFailed)?.trim();
    if text == "*" {
        return Ok(None);
    }
    let text = text.strip_prefix("W/").unwrap_or(text);
    text.trim_matches('"')
        .parse()
        .map(Some)
        .map_err(|_| ApiError::PreconditionFailed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_reads_strong_and_weak_etags_and_the_wildcard() {
        let headers = |value: &'static str| HeaderMap::from_iter([(header::IF_MATCH, HeaderValue::from_static(value))]);
        assert_eq!(required_version(&headers("\"7\"")).unwrap(), Some(7));
        assert_eq!(required_version(&headers("W/\"7\"")).unwrap(), Some(7));
        assert_eq!(required_version(&headers("*")).unwrap(), None);
        assert!(required_version(&headers("\"abc\"")).is_err());
        assert_eq!(required_version(&HeaderMap::new()).unwrap(), None);
    }
}
