//! Ids in paths, typed: `Ids<(OrganisationId, UserId)>` parses every `{…_id}` of the route
//! into its id type. An id that does not parse names nothing that exists: 404.

use super::problem::ApiError;
use axum::extract::{FromRequestParts, Path};
use http::request::Parts;
use serde::de::DeserializeOwned;

#[derive(Debug, Clone, Copy)]
pub struct Ids<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Ids<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(ids)| Ids(ids))
            .map_err(|_| ApiError::NotFound)
    }
}
