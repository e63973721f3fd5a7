//! ETags are a resource's store version, quoted: `"7"`.

use super::problem::ApiError;
use axum::http::{HeaderMap, HeaderValue, header};

pub fn etag(version: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).expect("digits are a valid header value")
}

/// The version an `If-Match` header names, if one was sent. A header naming no version of
/// ours can never match: 412.
pub fn if_match(headers: &HeaderMap) -> Result<Option<u64>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = value.to_str().map_err(|_| ApiError::PreconditionFailed)?.trim();
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
    fn if_match_reads_strong_and_weak_etags() {
        let headers = |value: &'static str| HeaderMap::from_iter([(header::IF_MATCH, HeaderValue::from_static(value))]);
        assert_eq!(if_match(&headers("\"7\"")).unwrap(), Some(7));
        assert_eq!(if_match(&headers("W/\"7\"")).unwrap(), Some(7));
        assert!(if_match(&headers("\"abc\"")).is_err());
        assert_eq!(if_match(&HeaderMap::new()).unwrap(), None);
    }
}
