//! Machine users and their API keys.

use super::{Organisations, Result, organisation_id};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use stratum_infra::http::{ApiError, Caller, Context, Shape, Valid, page};
use stratum_shared::ids::{ApiKeyId, UserId};
use stratum_shared::tenancy::{parse_machine_name, parse_roles};
use stratum_shared::time::Timestamp;
use stratum_shared::validation::Collector;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MachineBody {
    name: String,
    roles: Option<Vec<String>>,
}

pub(crate) async fn create_machine(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    Context(context): Context,
    Path(id): Path<String>,
    Valid(Shape(body)): Valid<Shape<MachineBody>>,
) -> Result<Response> {
    let mut errors = Collector::new();
    let name = errors.check(parse_machine_name(&body.name));
    let roles = body.roles.as_deref().and_then(|roles| errors.check(parse_roles(roles)));
    errors.finish(|| ())?;
    let name = name.expect("checked");
    let machine = state
        .tenancy
        .create_machine(&principal, &context, organisation_id(&id)?, name, roles)
        .await?;
    Ok((StatusCode::CREATED, Json(machine)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ApiKeyBody {
    name: Option<String>,
    expires_at: Option<String>,
}

fn machine_id(text: &str) -> Result<UserId> {
    UserId::parse(text, "machine_id").map_err(|_| ApiError::NotFound)
}

pub(crate) async fn create_api_key(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    Context(context): Context,
    Path(machine): Path<String>,
    Valid(Shape(body)): Valid<Shape<ApiKeyBody>>,
) -> Result<Response> {
    let mut errors = Collector::new();
    let name = body.name.as_deref().map_or(Some("API key".to_owned()), |name| {
        errors.check(parse_machine_name(name))
    });
    let expires_at = body
        .expires_at
        .as_deref()
        .and_then(|text| match chrono::DateTime::parse_from_rfc3339(text) {
            Ok(at) => Some(Timestamp::new(at.with_timezone(&chrono::Utc))),
            Err(_) => {
                errors.push(
                    "expires_at",
                    "invalid_date",
                    "an RFC 3339 time, like 2027-01-01T00:00:00Z",
                );
                None
            }
        });
    errors.finish(|| ())?;
    let issued = state
        .tenancy
        .create_api_key(
            &principal,
            &context,
            machine_id(&machine)?,
            name.expect("checked"),
            expires_at,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(issued)).into_response())
}

pub(crate) async fn list_api_keys(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    Path(machine): Path<String>,
) -> Result<Response> {
    let keys = state.tenancy.api_keys(&principal, machine_id(&machine)?).await?;
    Ok(page(keys, None).into_response())
}

pub(crate) async fn revoke_api_key(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    Context(context): Context,
    Path((machine, key)): Path<(String, String)>,
) -> Result<StatusCode> {
    let key = ApiKeyId::parse(&key, "key_id").map_err(|_| ApiError::NotFound)?;
    state
        .tenancy
        .revoke_api_key(&principal, &context, machine_id(&machine)?, key)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
