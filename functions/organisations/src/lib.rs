//! The organisations function's routes: shared organisations (seed 002), companies, members
//! and roles, leaving, and the platform settings that govern who may create organisations.

use axum::Json;
use axum::extract::{FromRef, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http::Method;
use serde::Deserialize;
use std::collections::BTreeSet;
use stratum_infra::http::{Api, ApiError, Caller, Context, Paging, RequestBody, Shape, Valid, etag, if_match, page};
use stratum_shared::identity::{Identity, OrganisationStatus, Role};
use stratum_shared::ids::{ApiKeyId, OrganisationId, UserId};
use stratum_shared::invitations::{Invitations, InviteTarget};
use stratum_shared::tenancy::{
    AuditFilter, BillingView, OrganisationInput, OrganisationPayload, OrganisationRead, OrganisationView,
    PaymentMethodPayload, PaymentProvider, PlatformSettings, ProviderPayload, ProviderView, Tenancy,
    parse_machine_name, parse_roles,
};
use stratum_shared::time::Timestamp;
use stratum_shared::validation::Collector;
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
            organisation_audit,
        )
        .route(Method::GET, "/api/platform/audit", platform_audit)
        .route(Method::GET, "/api/organisations/{organisation_id}/billing", billing)
        .route(
            Method::POST,
            "/api/organisations/{organisation_id}/billing/payment-method",
            submit_payment_method,
        )
        .route(
            Method::PUT,
            "/api/organisations/{organisation_id}/payment-providers/{provider}",
            configure_provider,
        )
        .route(
            Method::GET,
            "/api/organisations/{organisation_id}/payment-providers/{provider}",
            get_provider,
        )
        .route(
            Method::POST,
            "/api/organisations/{organisation_id}/machines",
            create_machine,
        )
        .route(Method::POST, "/api/machines/{machine_id}/api-keys", create_api_key)
        .route(Method::GET, "/api/machines/{machine_id}/api-keys", list_api_keys)
        .route(
            Method::DELETE,
            "/api/machines/{machine_id}/api-keys/{key_id}",
            revoke_api_key,
        )
        .route(Method::GET, "/api/platform/settings", get_platform_settings)
        .route(Method::PUT, "/api/platform/settings", put_platform_settings)
        .with_state(state)
}

type Result<T> = std::result::Result<T, ApiError>;

/// An id in a path that does not parse names nothing that exists.
fn organisation_id(text: &str) -> Result<OrganisationId> {
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
    if !principal.is_platform_admin() {
        return Err(ApiError::NotFound);
    }
    Ok(Json(state.tenancy.platform_settings().await?))
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

#[derive(Deserialize)]
struct AuditParams {
    from: Option<String>,
    to: Option<String>,
    actor_id: Option<String>,
    action: Option<String>,
}

impl AuditParams {
    fn filter(&self) -> std::result::Result<AuditFilter, ValidationErrors> {
        AuditFilter::parse(
            self.from.as_deref(),
            self.to.as_deref(),
            self.actor_id.as_deref(),
            self.action.as_deref(),
        )
    }
}

async fn organisation_audit(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    Path(id): Path<String>,
    Query(params): Query<AuditParams>,
    paging: Paging,
) -> Result<Response> {
    let filter = params.filter()?;
    let id = organisation_id(&id)?;
    let (items, next) = state
        .tenancy
        .organisation_audit(&principal, id, &filter, paging.limit, paging.cursor)
        .await?;
    Ok(page(items, next).into_response())
}

async fn platform_audit(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    Query(params): Query<AuditParams>,
    paging: Paging,
) -> Result<Response> {
    let filter = params.filter()?;
    let (items, next) = state
        .tenancy
        .platform_audit(&principal, &filter, paging.limit, paging.cursor)
        .await?;
    Ok(page(items, next).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MachineBody {
    name: String,
    roles: Option<Vec<String>>,
}

async fn create_machine(
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
struct ApiKeyBody {
    name: Option<String>,
    expires_at: Option<String>,
}

fn machine_id(text: &str) -> Result<UserId> {
    UserId::parse(text, "machine_id").map_err(|_| ApiError::NotFound)
}

async fn create_api_key(
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

async fn list_api_keys(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    Path(machine): Path<String>,
) -> Result<Response> {
    let keys = state.tenancy.api_keys(&principal, machine_id(&machine)?).await?;
    Ok(page(keys, None).into_response())
}

async fn revoke_api_key(
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

async fn billing(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    Path(id): Path<String>,
) -> Result<Json<BillingView>> {
    Ok(Json(state.tenancy.billing(&principal, organisation_id(&id)?).await?))
}

async fn submit_payment_method(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    Context(context): Context,
    Path(id): Path<String>,
    Valid(Shape(payload)): Valid<Shape<PaymentMethodPayload>>,
) -> Result<Json<BillingView>> {
    Ok(Json(
        state
            .tenancy
            .submit_payment_method(&principal, &context, organisation_id(&id)?, payload)
            .await?,
    ))
}

/// A provider in a path that names none of ours names nothing that exists.
fn provider(text: &str) -> Result<PaymentProvider> {
    PaymentProvider::parse(text, "provider").map_err(|_| ApiError::NotFound)
}

async fn configure_provider(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    Context(context): Context,
    Path((id, name)): Path<(String, String)>,
    Valid(Shape(payload)): Valid<Shape<ProviderPayload>>,
) -> Result<Json<ProviderView>> {
    let id = organisation_id(&id)?;
    Ok(Json(
        state
            .tenancy
            .configure_provider(&principal, &context, id, provider(&name)?, payload)
            .await?,
    ))
}

async fn get_provider(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    Path((id, name)): Path<(String, String)>,
) -> Result<Json<ProviderView>> {
    Ok(Json(
        state
            .tenancy
            .provider(&principal, organisation_id(&id)?, provider(&name)?)
            .await?,
    ))
}
