//! CORS for the browser apps of configured origins (`STRATUM_CORS_ORIGINS` locally; on AWS the
//! HTTP API's `CorsConfiguration` answers instead, from the `CorsOrigins` parameter).

use http::{HeaderName, HeaderValue, Method, header};
use std::time::Duration;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// The layer for a comma-separated list of origins (`https://app.example.com,http://localhost:5173`);
/// none for an empty list. An origin that is not a valid header value is an error.
pub fn cors(origins: &str) -> Result<Option<CorsLayer>, String> {
    let origins = origins
        .split(',')
        .map(str::trim)
        .filter(|origin| !origin.is_empty())
        .map(|origin| HeaderValue::from_str(origin).map_err(|_| format!("not an origin: {origin:?}")))
        .collect::<Result<Vec<_>, _>>()?;
    if origins.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::IF_MATCH,
                HeaderName::from_static("x-api-key"),
                HeaderName::from_static("x-request-id"),
            ])
            .expose_headers([
                header::ETAG,
                header::RETRY_AFTER,
                header::LOCATION,
                HeaderName::from_static("x-request-id"),
            ])
            .max_age(Duration::from_secs(600)),
    ))
}
