use super::problem::ApiError;
use super::request_id;
use axum::Router;
use axum::handler::Handler;
use axum::routing::{MethodFilter, on};
use http::Method;

/// One documented operation: a method on a path template (`/api/organisations/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Route {
    pub method: Method,
    pub path: &'static str,
}

/// A router that remembers its routes, so the OpenAPI document can be checked against what is
/// actually served.
pub struct Api<S = ()> {
    router: Router<S>,
    routes: Vec<Route>,
}

impl<S: Clone + Send + Sync + 'static> Default for Api<S> {
    fn default() -> Self {
        Self {
            router: Router::new(),
            routes: Vec::new(),
        }
    }
}

impl<S: Clone + Send + Sync + 'static> Api<S> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn route<H, T>(mut self, method: Method, path: &'static str, handler: H) -> Self
    where
        H: Handler<T, S>,
        T: 'static,
    {
        let filter = MethodFilter::try_from(method.clone()).expect("routes use standard methods");
        self.router = self.router.route(path, on(filter, handler));
        self.routes.push(Route { method, path });
        self
    }

    /// Gives the handlers their state.
    pub fn with_state(self, state: S) -> Api {
        Api {
            router: self.router.with_state(state),
            routes: self.routes,
        }
    }
}

impl Api {
    pub fn merge(mut self, other: Api) -> Self {
        self.router = self.router.merge(other.router);
        self.routes.extend(other.routes);
        self
    }

    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// The finished router: unknown paths and methods answer problem+json, and every request
    /// gets a request id and a log line.
    pub fn into_router(self) -> Router {
        self.router
            .fallback(|| async { ApiError::NotFound })
            .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
            .layer(axum::middleware::from_fn(request_id::identify_and_log))
    }
}
