//! Serving an API from a Lambda function behind API Gateway (HTTP API, payload 2.0).

use crate::http::SourceAddress;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use lambda_http::RequestExt;
use lambda_http::request::RequestContext;

/// Runs `router` on the Lambda runtime; requests carry API Gateway's `sourceIp` as their
/// [`SourceAddress`].
pub async fn serve(router: axum::Router) -> Result<(), lambda_http::Error> {
    lambda_http::run(with_source_address(router)).await
}

/// `router`, recording each request's API Gateway `sourceIp` (for tests that feed events).
pub fn with_source_address(router: axum::Router) -> axum::Router {
    router.layer(axum::middleware::from_fn(record_source_address))
}

async fn record_source_address(mut request: Request, next: Next) -> Response {
    let source = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.http.source_ip.clone(),
        _ => None,
    };
    if let Some(address) = source {
        request.extensions_mut().insert(SourceAddress(address));
    }
    next.run(request).await
}
