//! The platform's own routes: liveness and the OpenAPI document of the whole API.

use axum::Json;
use axum::response::IntoResponse;
use http::header;
use serde::Serialize;
use stratum_infra::http::{Access, Api, Operation};
use utoipa::ToSchema;

/// The API version the document states.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The OpenAPI 3.1 document of every route of every function, as the route declarations
/// generate it (`tests/tests/spec/openapi.rs` regenerates it and fails when this copy differs;
/// this function does not link the other functions' code to build it at run time).
pub const OPENAPI_DOCUMENT: &str = include_str!("../openapi.json");

pub fn api() -> Api {
    Api::new()
        .route(
            Operation::get("/api/health", "health")
                .summary("system", "Liveness")
                .answers::<Health>(200)
                .access(Access::Public),
            health,
        )
        .route(
            Operation::get("/api/openapi.json", "openapi")
                .summary("system", "This document")
                .answers_any_json()
                .access(Access::Public),
            openapi,
        )
}

#[derive(Serialize, ToSchema)]
struct Health {
    /// Always `ok` when the function answers.
    status: &'static str,
    version: &'static str,
}

async fn health() -> Json<Health> {
    Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
    })
}

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI_DOCUMENT)
}
