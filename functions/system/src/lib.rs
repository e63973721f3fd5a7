//! The platform's own routes: liveness and the OpenAPI document of the whole API.

use axum::Json;
use axum::response::IntoResponse;
use http::{Method, header};
use serde_json::{Value, json};
use stratum_infra::http::Api;

/// The OpenAPI 3.1 document of every route of every function. A test keeps it in step with
/// the routers (`tests/tests/spec/openapi.rs`).
pub const OPENAPI_DOCUMENT: &str = include_str!("../openapi.json");

pub fn api() -> Api {
    Api::new()
        .route(Method::GET, "/api/health", health)
        .route(Method::GET, "/api/openapi.json", openapi)
}

async fn health() -> Json<Value> {
    Json(json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }))
}

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI_DOCUMENT)
}
