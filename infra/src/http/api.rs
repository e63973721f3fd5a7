use super::operation::Operation;
use super::problem::ApiError;
use super::request_id;
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::routing::{MethodFilter, on};
use axum::{Extension, Router};

/// The largest request body taken; larger ones answer 413.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// A router built from route declarations: each [`Operation`] is routed to its handler and
/// kept, so the OpenAPI document, the authorisation matrix and the deployment's routes are
/// read from the same declarations.
pub struct Api<S = ()> {
    router: Router<S>,
    operations: Vec<Operation>,
}

impl<S: Clone + Send + Sync + 'static> Default for Api<S> {
    fn default() -> Self {
        Self {
            router: Router::new(),
            operations: Vec::new(),
        }
    }
}

impl<S: Clone + Send + Sync + 'static> Api<S> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Routes `operation` to `handler`.
    pub fn route<H, T>(mut self, operation: Operation, handler: H) -> Self
    where
        H: Handler<T, S>,
        T: 'static,
    {
        assert!(
            operation.access_declared,
            "{} {}: declare who may call it with .access(…) or .permission(…)",
            operation.method, operation.path
        );
        let filter = MethodFilter::try_from(operation.method.clone()).expect("routes use standard methods");
        let mut route = on(filter, handler);
        // `Caller` applies the route's access rule as soon as it knows the caller.
        route = route.layer(Extension(operation.access));
        if let Some(shape) = operation.body_shape() {
            // `Valid` holds the body against the types its schema states before reading it.
            route = route.layer(Extension(shape));
        }
        if let Some(limit) = operation.body_limit {
            // The innermost limit is the one that applies.
            route = route.layer(DefaultBodyLimit::max(limit));
        }
        self.router = self.router.route(operation.path, route);
        self.operations.push(operation);
        self
    }

    /// Gives the handlers their state.
    pub fn with_state(self, state: S) -> Api {
        Api {
            router: self.router.with_state(state),
            operations: self.operations,
        }
    }
}

impl Api {
    pub fn merge(mut self, other: Api) -> Self {
        self.router = self.router.merge(other.router);
        self.operations.extend(other.operations);
        self
    }

    /// Every declared route, in declaration order.
    pub fn operations(&self) -> &[Operation] {
        &self.operations
    }

    /// The OpenAPI 3.1 document of these routes.
    pub fn document(&self, version: &str) -> serde_json::Value {
        super::openapi::document(&self.operations, version)
    }

    /// The finished router: unknown paths and methods answer problem+json, bodies over
    /// [`BODY_LIMIT`] 413, and every request gets a request id and a log line.
    pub fn into_router(self) -> Router {
        self.router
            .fallback(|| async { ApiError::NotFound })
            .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
            .layer(DefaultBodyLimit::max(BODY_LIMIT))
            .layer(axum::middleware::from_fn(request_id::identify_and_log))
    }
}
