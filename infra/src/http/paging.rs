//! List conventions (SPEC §11): `limit` (default 50, at most 200) and an opaque `cursor` in;
//! `{items, next_cursor}` out.

use super::problem::ApiError;
use axum::Json;
use axum::extract::{FromRequestParts, Query};
use http::request::Parts;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use stratum_shared::store::Cursor;
use stratum_shared::validation::{Collector, ValidationErrors};

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

#[derive(Debug, Clone)]
pub struct Paging {
    pub limit: u32,
    pub cursor: Option<Cursor>,
}

#[derive(Deserialize)]
struct PagingParams {
    limit: Option<String>,
    cursor: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for Paging {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let Query(params) = Query::<PagingParams>::try_from_uri(&parts.uri).map_err(|rejection| {
            ApiError::Validation(ValidationErrors::single(
                "query",
                "invalid_query",
                rejection.body_text(),
            ))
        })?;
        let mut errors = Collector::new();
        let limit = match params.limit.as_deref().map(str::parse::<u32>) {
            None => Some(DEFAULT_LIMIT),
            Some(Ok(n)) if (1..=MAX_LIMIT).contains(&n) => Some(n),
            Some(_) => {
                errors.push("limit", "out_of_range", "limit is a whole number from 1 to 200");
                None
            }
        };
        let cursor = params
            .cursor
            .as_deref()
            .map(Cursor::decode)
            .transpose()
            .unwrap_or_else(|_| {
                errors.push("cursor", "invalid_cursor", "this cursor was not issued by this list");
                None
            });
        Ok(errors.finish(|| Paging {
            limit: limit.unwrap_or(DEFAULT_LIMIT),
            cursor,
        })?)
    }
}

/// Query parameters beside paging (filters): unknown ones are ignored, a malformed query is a 422.
#[derive(Debug, Clone)]
pub struct Params<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::try_from_uri(&parts.uri)
            .map(|Query(params)| Params(params))
            .map_err(|rejection| {
                ApiError::Validation(ValidationErrors::single(
                    "query",
                    "invalid_query",
                    rejection.body_text(),
                ))
            })
    }
}

/// A list response.
pub fn page<T: Serialize>(items: Vec<T>, next: Option<Cursor>) -> Json<Value> {
    Json(json!({ "items": items, "next_cursor": next.map(|cursor| cursor.encode()) }))
}
