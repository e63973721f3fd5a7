use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use http::HeaderValue;
use std::time::Instant;
use tracing::Instrument;

pub const HEADER: &str = "x-request-id";

/// The id of the request being served: the caller's `X-Request-Id` if it is a sane token,
/// otherwise a fresh UUID. Handlers read it from the request extensions (audit events carry
/// it); every response echoes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

impl RequestId {
    fn from_header(value: Option<&HeaderValue>) -> Self {
        let offered = value.and_then(|v| v.to_str().ok()).filter(|id| {
            (1..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
        });
        Self(offered.map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned))
    }
}

/// Tags the request with its id, runs it inside a span carrying that id, and logs one line
/// when it completes. Only the route template is logged: raw paths may carry tokens.
pub async fn identify_and_log(mut request: Request, next: Next) -> Response {
    let id = RequestId::from_header(request.headers().get(HEADER));
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    request.extensions_mut().insert(id.clone());
    let span = tracing::info_span!("request", request_id = %id.0, %method, %route);
    let started = Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    span.in_scope(|| {
        tracing::info!(
            status = response.status().as_u16(),
            elapsed_us = started.elapsed().as_micros() as u64,
            "served"
        );
    });
    if let Ok(value) = HeaderValue::from_str(&id.0) {
        response.headers_mut().insert(HEADER, value);
    }
    response
}
