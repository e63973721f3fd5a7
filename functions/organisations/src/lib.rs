//! The organisations function's routes: shared organisations (seed 002), companies, members
//! and roles, leaving, and the platform settings that govern who may create organisations;
//! billing, machines and audit trails live in their own modules.

mod audit;
mod billing;
mod machines;

use axum::Json;
use axum::extract::{FromRef, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http::Method;
use serde::Deserialize;
use std::collections::BTreeSet;
use stratum_infra::http::{Api, ApiError, Caller, Context, Paging, RequestBody, Shape, Valid, etag, if_match, page};
use stratum_shared::identity::{Identity, OrganisationStatus, Role};
use stratum_shared::ids::{OrganisationId, UserId};
use stratum_shared::invitations::{Invitations, InviteTarget};
use stratum_shared::tenancy::{
    OrganisationInput, OrganisationPayload, OrganisationRead, OrganisationView, PlatformSettings, Tenancy, parse_roles,
};
use stratum_shared::validation::ValidationErrors;

/// The organisations function's state: tenancy, on identity's ports, and invitations (a
/// `pending_owner` organisation invites its first owner).
#[derive(Clone)]
pub struct Organisations {
    pub tenancy: Tenancy,
    pub invitations: Invitations,
}

impl FromRef<Organisations> for Identity {
    fn from_ref(state: &Organisations) -> Identity {
        state.invitations.identity.clone()
    }
}

pub fn api(invitations: Invitations) -> Api {
    let state = Organisations {
        tenancy: invitations.tenancy.clone(),
        invitations,
    };
    Api::new()
        .route(Method::POST, "/api/organisations", create_organisation)
        .route(Method::GET, "/api/organisations", list_organisations)
        .route(Method::GET, "/api/organisations/{organisation_id}", get_organisation)
        .route(
            Method::PATCH,
            "/api/organisations/{organisation_id}",
            update_organisation,
        )
        .route(
            Method::DELETE,
            "/api/organisations/{organisation_id}",
            delete_organisation,
        )
        .route(
            Method::POST,
            "/api/organisations/{organisation_id}/suborganisations",
            create_company,
        )
        .route(
            Method::GET,
            "/api/organisations/{organisation_id}/suborganisations",
            list_companies,
        )
        .route(
            Method::GET,
            "/api/organisations/{organisation_id}/members",
            list_members,
        )
        .route(
            Method::PUT,
            "/api/organisations/{organisation_id}/members/{user_id}/roles",
            set_roles,
        )
        .route(
            Method::DELETE,
            "/api/organisations/{organisation_id}/members/{user_id}",
            remove_member,
        )
        .route(Method::POST, "/api/organisations/{organisation_id}/leave", leave)
        .route(
            Method::GET,
            "/api/organisations/{organisation_id}/audit",
            audit::organisation_audit,
        )
        .route(Method::GET, "/api/platform/audit", audit::platform_audit)
        .route(
            Method::GET,
            "/api/organisations/{organisation_id}/billing",
            billing::billing,
        )
        .route(
            Method::POST,
            "/api/organisations/{organisation_id}/billing/payment-method",
            billing::submit_payment_method,
        )
        .route(
            Method::PUT,
            "/api/organisations/{organisation_id}/payment-providers/{provider}",
            billing::configure_provider,
        )
        .route(
            Method::GET,
            "/api/organisations/{organisation_id}/payment-providers/{provider}",
            billing::get_provider,
        )
        .route(
            Method::POST,
            "/api/organisations/{organisation_id}/machines",
            machines::create_machine,
        )
        .route(
            Method::POST,
            "/api/machines/{machine_id}/api-keys",
            machines::create_api_key,
        )
        .route(
            Method::GET,
            "/api/machines/{machine_id}/api-keys",
            machines::list_api_keys,
        )
        .route(
            Method::DELETE,
            "/api/machines/{machine_id}/api-keys/{key_id}",
            machines::revoke_api_key,
        )
        .route(Method::GET, "/api/platform/settings", get_platform_settings)
        .route(Method::PUT, "/api/platform/settings", put_platform_settings)
        .with_state(state)
}

pub(crate) type Result<T> = std::result::Result<T, ApiError>;

/// An id in a path that does not parse names nothing that exists.
pub(crate) fn organisation_id(text: &str) -> Result<OrganisationId> {
    OrganisationId::parse(text, "organisation_id").map_err(|_| ApiError::NotFound)
}

fn user_id(text: &str) -> Result<UserId> {
    UserId::parse(text, "user_id").map_err(|_| ApiError::NotFound)
}

fn with_etag(status: StatusCode, view: OrganisationView) -> Response {
    (status, [(header::ETAG, etag(view.etag))], Json(view)).into_response()
}

struct Create(OrganisationInput);

impl RequestBody for Create {
    type Raw = OrganisationPayload;

    fn parse(raw: OrganisationPayload) -> std::result::Result<Self, ValidationErrors> {
        OrganisationInput::parse(raw, true).map(Create)
    }
}

struct Patch(OrganisationInput);

impl RequestBody for Patch {
    type Raw = OrganisationPayload;

    fn parse(raw: OrganisationPayload) -> std::result::Result<Self, ValidationErrors> {
        OrganisationInput::parse(raw, false).map(Patch)
    }
}

async fn create_organisation(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    Context(context): Context,
    Valid(Create(input)): Valid<Create>,
) -> Result<Response> {
    let pending_owner = input.initial_owner_email.clone();
    let view = state.tenancy.create_organisation(&principal, &context, input).await?;
    if let (Some(email), OrganisationStatus::PendingOwner) = (pending_owner, view.status) {
        // The first owner has not registered: invite them as owner and billing admin. If this
        // fails the organisation stays pending and an admin can invite again.
        let roles = BTreeSet::from([Role::Owner, Role::BillingAdmin, Role::Member]);
        let target = InviteTarget::Email(email);
        state
            .invitations
            .invite_to_organisation(&principal, &context, view.id, target, Some(roles))
            .await?;
    }
    Ok(with_etag(StatusCode::CREATED, view))
}

async fn list_organisations(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    paging: Paging,
) -> Result<Response> {
    let (items, next) = state
        .tenancy
        .organisations(&principal, paging.limit, paging.cursor)
        .await?;
    Ok(page(items, next).into_response())
}

async fn get_organisation(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    Path(id): Path<String>,
) -> Result<Response> {
    Ok(
        match state.tenancy.organisation(&principal, organisation_id(&id)?).await? {
            OrganisationRead::Full(view) => with_etag(StatusCode::OK, *view),
            name_only => Json(name_only).into_response(),
        },
    )
}

async fn update_organisation(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    Context(context): Context,
    Path(id): Path<String>,
    headers: HeaderMap,
    Valid(Patch(input)): Valid<Patch>,
) -> Result<Response> {
    let expected = if_match(&headers)?;
    let view = state
        .tenancy
        .update_organisation(&principal, &context, organisation_id(&id)?, input, expected)
        .await?;
    Ok(with_etag(StatusCode::OK, view))
}

async fn delete_organisation(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    Context(context): Context,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    state
        .tenancy
        .delete_organisation(&principal, &context, organisation_id(&id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn create_company(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    Context(context): Context,
    Path(id): Path<String>,
    Valid(Create(input)): Valid<Create>,
) -> Result<Response> {
    let view = state
        .tenancy
        .create_company(&principal, &context, organisation_id(&id)?, input)
        .await?;
    Ok(with_etag(StatusCode::CREATED, view))
}

async fn list_companies(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    Path(id): Path<String>,
    paging: Paging,
) -> Result<Response> {
    let (items, next) = state
        .tenancy
        .companies(&principal, organisation_id(&id)?, paging.limit, paging.cursor)
        .await?;
    Ok(page(items, next).into_response())
}

async fn list_members(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    Path(id): Path<String>,
    paging: Paging,
) -> Result<Response> {
    let (items, next) = state
        .tenancy
        .members(&principal, organisation_id(&id)?, paging.limit, paging.cursor)
        .await?;
    Ok(page(items, next).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RolesBody {
    roles: Vec<String>,
}

async fn set_roles(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    Context(context): Context,
    Path((id, user)): Path<(String, String)>,
    Valid(Shape(body)): Valid<Shape<RolesBody>>,
) -> Result<Response> {
    let roles = parse_roles(&body.roles)?;
    let member = state
        .tenancy
        .set_roles(&principal, &context, organisation_id(&id)?, user_id(&user)?, roles)
        .await?;
    Ok(Json(member).into_response())
}

async fn remove_member(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    Context(context): Context,
    Path((id, user)): Path<(String, String)>,
) -> Result<StatusCode> {
    state
        .tenancy
        .remove_member(&principal, &context, organisation_id(&id)?, user_id(&user)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn leave(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    Context(context): Context,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    state.tenancy.leave(&principal, &context, organisation_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn get_platform_settings(
    State(state): State<Organisations>,
    Caller(principal): Caller,
) -> Result<Json<PlatformSettings>> {
    let admin = stratum_shared::identity::require_platform_admin(&principal)?;
    Ok(Json(state.tenancy.platform_settings_for(&admin).await?))
}

async fn put_platform_settings(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    Context(context): Context,
    Valid(Shape(settings)): Valid<Shape<PlatformSettings>>,
) -> Result<Json<PlatformSettings>> {
    Ok(Json(
        state
            .tenancy
            .set_platform_settings(&principal, &context, settings)
            .await?,
    ))
}
