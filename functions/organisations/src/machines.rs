//! Machine users and their API keys.

use super::{Organisations, Result};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use stratum_infra::http::{Api, Caller, Context, Ids, Operation, Shape, Valid, page};
use stratum_shared::ids::{ApiKeyId, OrganisationId, UserId};
use stratum_shared::schema;
use stratum_shared::tenancy::{
    ApiKeyView, IssuedApiKey, MACHINE_ROLES, MemberView, Permission, machine_roles, parse_machine_name, parse_roles,
};
use stratum_shared::time::Timestamp;
use stratum_shared::validation::Collector;
use utoipa::ToSchema;

pub(crate) fn routes(api: Api<Organisations>) -> Api<Organisations> {
    api.route(
        Operation::post("/api/organisations/{organisation_id}/machines", "createMachine")
            .summary("machines", "Create a machine user (an API client) in an organisation")
            .permission(Permission::ManageMembers)
            .takes::<MachineBody>()
            .answers::<MemberView>(201)
            .may_answer(&[409]),
        create_machine,
    )
    .route(
        Operation::post("/api/machines/{machine_id}/api-keys", "createApiKey")
            .summary("machines", "Issue an API key for a machine; the key is shown once")
            .permission(Permission::ManageMembers)
            .takes::<ApiKeyBody>()
            .answers::<IssuedApiKey>(201)
            .may_answer(&[409]),
        create_api_key,
    )
    .route(
        Operation::get("/api/machines/{machine_id}/api-keys", "listApiKeys")
            .summary("machines", "A machine's API keys (never the secrets)")
            .permission(Permission::ManageMembers)
            .lists::<ApiKeyView>(),
        list_api_keys,
    )
    .route(
        Operation::delete("/api/machines/{machine_id}/api-keys/{key_id}", "revokeApiKey")
            .summary("machines", "Revoke an API key")
            .permission(Permission::ManageMembers)
            .answers_nothing(204),
        revoke_api_key,
    )
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = MachineRequest)]
struct MachineBody {
    #[schema(schema_with = schema::name_text)]
    name: String,
    /// `viewer` when absent; machines hold neither `owner` nor `billing_admin` (T4).
    #[schema(schema_with = machine_role_set)]
    roles: Option<Vec<String>>,
}

fn machine_role_set() -> utoipa::openapi::schema::Schema {
    schema::nullable(stratum_shared::accounts::role_set(&MACHINE_ROLES))
}

async fn create_machine(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids(id): Ids<OrganisationId>,
    Valid(Shape(body)): Valid<Shape<MachineBody>>,
) -> Result<Response> {
    let mut errors = Collector::new();
    let name = errors.check(parse_machine_name(&body.name));
    // A machine's roles are a rule of the request here (the body creates a machine): 422.
    let roles = body
        .roles
        .as_deref()
        .and_then(|roles| errors.check(parse_roles(roles)))
        .and_then(|roles| errors.check(machine_roles(&roles)).map(|()| roles));
    errors.finish(|| ())?;
    let name = name.expect("checked");
    let machine = state
        .tenancy
        .create_machine(&principal, &context, id, name, roles)
        .await?;
    Ok((StatusCode::CREATED, Json(machine)).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ApiKeyRequest)]
struct ApiKeyBody {
    #[schema(schema_with = optional_name)]
    name: Option<String>,
    /// When the key stops working; never, when absent.
    #[schema(schema_with = optional_time)]
    expires_at: Option<String>,
}

fn optional_name() -> impl Into<utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>> {
    schema::nullable(schema::name_text())
}

fn optional_time() -> impl Into<utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>> {
    schema::nullable(schema::formatted(utoipa::openapi::schema::KnownFormat::DateTime))
}

async fn create_api_key(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids(machine): Ids<UserId>,
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
        .create_api_key(&principal, &context, machine, name.expect("checked"), expires_at)
        .await?;
    Ok((StatusCode::CREATED, Json(issued)).into_response())
}

async fn list_api_keys(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    Ids(machine): Ids<UserId>,
) -> Result<Response> {
    let keys = state.tenancy.api_keys(&principal, machine).await?;
    Ok(page(keys, None).into_response())
}

async fn revoke_api_key(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids((machine, key)): Ids<(UserId, ApiKeyId)>,
) -> Result<StatusCode> {
    state.tenancy.revoke_api_key(&principal, &context, machine, key).await?;
    Ok(StatusCode::NO_CONTENT)
}
