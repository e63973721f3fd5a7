//! The organisations function's routes: shared organisations (seed 002), companies, members
//! and roles, leaving, and the platform settings that govern who may create organisations;
//! billing, machines and audit trails live in their own modules.

mod audit;
mod billing;
mod machines;

use axum::Json;
use axum::extract::{FromRef, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::collections::BTreeSet;
use stratum_infra::http::{
    Access, Api, ApiError, Caller, Context, Ids, IfMatch, Operation, Paging, RequestBody, Shape, Valid, etag, page,
};
use stratum_shared::accounts::Role;
use stratum_shared::audit::AuditEvent;
use stratum_shared::identity::{Identity, OrganisationStatus};
use stratum_shared::ids::{OrganisationId, UserId};
use stratum_shared::invitations::{Invitations, InviteTarget};
use stratum_shared::settings::PlatformSettings;
use stratum_shared::tenancy::{
    ApiKeyView, BillingView, IssuedApiKey, MemberView, NewCompanyPayload, NewOrganisationPayload, OrganisationInput,
    OrganisationPatchPayload, OrganisationPayload, OrganisationRead, OrganisationView, PaymentMethodPayload,
    Permission, ProviderPayload, ProviderView, Tenancy, parse_roles,
};
use stratum_shared::validation::ValidationErrors;
use utoipa::ToSchema;

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
        .route(
            Operation::post("/api/organisations", "createOrganisation")
                .summary(
                    "organisations",
                    "Create a shared organisation (seed 002); the creator becomes its owner",
                )
                .access(Access::Persons)
                .takes::<NewOrganisationPayload>()
                .answers::<OrganisationView>(201)
                .tagged()
                .may_answer(&[409, 429]),
            create_organisation,
        )
        .route(
            Operation::get("/api/organisations", "listOrganisations")
                .summary(
                    "organisations",
                    "The organisations the caller belongs to (all, for platform admins)",
                )
                .access(Access::Authenticated)
                .lists::<OrganisationView>(),
            list_organisations,
        )
        .route(
            Operation::get("/api/organisations/{organisation_id}", "getOrganisation")
                .summary(
                    "organisations",
                    "An organisation (an end user of a company sees its name only)",
                )
                .permission(Permission::ViewOrganisation)
                .answers::<OrganisationRead>(200)
                .tagged(),
            get_organisation,
        )
        .route(
            Operation::patch("/api/organisations/{organisation_id}", "updateOrganisation")
                .summary("organisations", "Change an organisation's details")
                .permission(Permission::ManageSettings)
                .takes::<OrganisationPatchPayload>()
                .answers::<OrganisationView>(200)
                .conditional()
                .may_answer(&[409]),
            update_organisation,
        )
        .route(
            Operation::delete("/api/organisations/{organisation_id}", "deleteOrganisation")
                .summary(
                    "organisations",
                    "Delete an organisation (T8: by its billing subscriber; a company by an owner of its root)",
                )
                .access(Access::DeleteOrganisation)
                .answers_nothing(204)
                .may_answer(&[409]),
            delete_organisation,
        )
        .route(
            Operation::post("/api/organisations/{organisation_id}/suborganisations", "createCompany")
                .summary("companies", "Create a company under a root organisation")
                .permission(Permission::ManageMembers)
                .takes::<NewCompanyPayload>()
                .answers::<OrganisationView>(201)
                .tagged()
                .may_answer(&[409]),
            create_company,
        )
        .route(
            Operation::get("/api/organisations/{organisation_id}/suborganisations", "listCompanies")
                .summary("companies", "An organisation's companies")
                .permission(Permission::ReadOrganisation)
                .lists::<OrganisationView>(),
            list_companies,
        )
        .route(
            Operation::get("/api/organisations/{organisation_id}/members", "listMembers")
                .summary("members", "An organisation's members and their roles")
                .permission(Permission::ReadOrganisation)
                .lists::<MemberView>(),
            list_members,
        )
        .route(
            Operation::put(
                "/api/organisations/{organisation_id}/members/{user_id}/roles",
                "setRoles",
            )
            .summary("members", "Replace a member's roles (owners; T2–T7)")
            .permission(Permission::ManageMembers)
            .takes::<RolesBody>()
            .answers::<MemberView>(200)
            .may_answer(&[409]),
            set_roles,
        )
        .route(
            Operation::delete("/api/organisations/{organisation_id}/members/{user_id}", "removeMember")
                .summary("members", "Remove a member (T3: never the last owner)")
                .permission(Permission::ManageMembers)
                .answers_nothing(204)
                .may_answer(&[409]),
            remove_member,
        )
        .route(
            Operation::post("/api/organisations/{organisation_id}/leave", "leaveOrganisation")
                .summary("members", "Leave an organisation (T3: never the last owner)")
                .access(Access::LeaveOrganisation)
                .answers_nothing(204)
                .may_answer(&[409]),
            leave,
        )
        .route(
            Operation::get("/api/organisations/{organisation_id}/audit", "organisationAudit")
                .summary("audit", "An organisation's audit trail, newest first")
                .permission(Permission::ReadAudit)
                .lists::<AuditEvent>()
                .with(audit::filters),
            audit::organisation_audit,
        )
        .route(
            Operation::get("/api/platform/audit", "platformAudit")
                .summary(
                    "audit",
                    "The whole platform's audit trail, newest first (platform admins)",
                )
                .access(Access::PlatformAdmins)
                .lists::<AuditEvent>()
                .with(audit::filters),
            audit::platform_audit,
        )
        .route(
            Operation::get("/api/organisations/{organisation_id}/billing", "getBilling")
                .summary("billing", "The billing subscriber and payment method")
                .permission(Permission::ManageBilling)
                .answers::<BillingView>(200)
                .may_answer(&[409]),
            billing::billing,
        )
        .route(
            Operation::post(
                "/api/organisations/{organisation_id}/billing/payment-method",
                "submitPaymentMethod",
            )
            .summary("billing", "Put a payment method on file (the billing subscriber; T7)")
            .access(Access::Organisation {
                permission: Permission::ManageBilling,
                admin: false,
            })
            .takes::<PaymentMethodPayload>()
            .answers::<BillingView>(200)
            .may_answer(&[409]),
            billing::submit_payment_method,
        )
        .route(
            Operation::put(
                "/api/organisations/{organisation_id}/payment-providers/{provider}",
                "configureProvider",
            )
            .summary(
                "billing",
                "Configure a payment provider account (secrets sealed at rest, never shown)",
            )
            .permission(Permission::ManageBilling)
            .path_schema("provider", billing::PROVIDER_SCHEMA.clone())
            .takes::<ProviderPayload>()
            .answers::<ProviderView>(200)
            .may_answer(&[409]),
            billing::configure_provider,
        )
        .route(
            Operation::get(
                "/api/organisations/{organisation_id}/payment-providers/{provider}",
                "getProvider",
            )
            .summary("billing", "A payment provider account, without its secrets")
            .permission(Permission::ManageBilling)
            .path_schema("provider", billing::PROVIDER_SCHEMA.clone())
            .answers::<ProviderView>(200)
            .may_answer(&[409]),
            billing::get_provider,
        )
        .route(
            Operation::post("/api/organisations/{organisation_id}/machines", "createMachine")
                .summary("machines", "Create a machine user (an API client) in an organisation")
                .permission(Permission::ManageMembers)
                .takes::<machines::MachineBody>()
                .answers::<MemberView>(201)
                .may_answer(&[409]),
            machines::create_machine,
        )
        .route(
            Operation::post("/api/machines/{machine_id}/api-keys", "createApiKey")
                .summary("machines", "Issue an API key for a machine; the key is shown once")
                .permission(Permission::ManageMembers)
                .takes::<machines::ApiKeyBody>()
                .answers::<IssuedApiKey>(201)
                .may_answer(&[409]),
            machines::create_api_key,
        )
        .route(
            Operation::get("/api/machines/{machine_id}/api-keys", "listApiKeys")
                .summary("machines", "A machine's API keys (never the secrets)")
                .permission(Permission::ManageMembers)
                .lists::<ApiKeyView>(),
            machines::list_api_keys,
        )
        .route(
            Operation::delete("/api/machines/{machine_id}/api-keys/{key_id}", "revokeApiKey")
                .summary("machines", "Revoke an API key")
                .permission(Permission::ManageMembers)
                .answers_nothing(204),
            machines::revoke_api_key,
        )
        .route(
            Operation::get("/api/platform/settings", "getPlatformSettings")
                .summary("platform", "Platform settings (platform admins)")
                .access(Access::PlatformAdmins)
                .answers::<PlatformSettings>(200),
            get_platform_settings,
        )
        .route(
            Operation::put("/api/platform/settings", "putPlatformSettings")
                .summary("platform", "Change platform settings (platform admins)")
                .access(Access::PlatformAdmins)
                .takes::<PlatformSettings>()
                .answers::<PlatformSettings>(200),
            put_platform_settings,
        )
        .with_state(state)
}

pub(crate) type Result<T> = std::result::Result<T, ApiError>;

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
    Ids(id): Ids<OrganisationId>,
) -> Result<Response> {
    Ok(match state.tenancy.organisation(&principal, id).await? {
        OrganisationRead::Full(view) => with_etag(StatusCode::OK, *view),
        name_only => Json(name_only).into_response(),
    })
}

async fn update_organisation(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids(id): Ids<OrganisationId>,
    IfMatch(expected): IfMatch,
    Valid(Patch(input)): Valid<Patch>,
) -> Result<Response> {
    let view = state
        .tenancy
        .update_organisation(&principal, &context, id, input, expected)
        .await?;
    Ok(with_etag(StatusCode::OK, view))
}

async fn delete_organisation(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids(id): Ids<OrganisationId>,
) -> Result<StatusCode> {
    state.invitations.delete_organisation(&principal, &context, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn create_company(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids(id): Ids<OrganisationId>,
    Valid(Create(input)): Valid<Create>,
) -> Result<Response> {
    let view = state.tenancy.create_company(&principal, &context, id, input).await?;
    Ok(with_etag(StatusCode::CREATED, view))
}

async fn list_companies(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    Ids(id): Ids<OrganisationId>,
    paging: Paging,
) -> Result<Response> {
    let (items, next) = state
        .tenancy
        .companies(&principal, id, paging.limit, paging.cursor)
        .await?;
    Ok(page(items, next).into_response())
}

async fn list_members(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    Ids(id): Ids<OrganisationId>,
    paging: Paging,
) -> Result<Response> {
    let (items, next) = state
        .tenancy
        .members(&principal, id, paging.limit, paging.cursor)
        .await?;
    Ok(page(items, next).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RolesRequest)]
struct RolesBody {
    #[schema(schema_with = any_roles)]
    roles: Vec<String>,
}

fn any_roles() -> utoipa::openapi::schema::Schema {
    stratum_shared::accounts::role_set(&[
        Role::Owner,
        Role::BillingAdmin,
        Role::Operator,
        Role::Viewer,
        Role::Member,
    ])
}

async fn set_roles(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids((id, user)): Ids<(OrganisationId, UserId)>,
    Valid(Shape(body)): Valid<Shape<RolesBody>>,
) -> Result<Response> {
    let roles = parse_roles(&body.roles)?;
    let member = state.tenancy.set_roles(&principal, &context, id, user, roles).await?;
    Ok(Json(member).into_response())
}

async fn remove_member(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids((id, user)): Ids<(OrganisationId, UserId)>,
) -> Result<StatusCode> {
    state.tenancy.remove_member(&principal, &context, id, user).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn leave(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids(id): Ids<OrganisationId>,
) -> Result<StatusCode> {
    state.tenancy.leave(&principal, &context, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn get_platform_settings(
    State(state): State<Organisations>,
    Caller(principal): Caller,
) -> Result<Json<PlatformSettings>> {
    let admin = stratum_shared::identity::require_platform_admin(&principal)?;
    Ok(Json(state.tenancy.platform_settings_for(&admin).await?))
}

struct Settings(PlatformSettings);

impl RequestBody for Settings {
    type Raw = PlatformSettings;

    fn parse(raw: PlatformSettings) -> std::result::Result<Self, ValidationErrors> {
        raw.parse().map(Settings)
    }
}

async fn put_platform_settings(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    Context(context): Context,
    Valid(Settings(settings)): Valid<Settings>,
) -> Result<Json<PlatformSettings>> {
    Ok(Json(
        state
            .tenancy
            .set_platform_settings(&principal, &context, settings)
            .await?,
    ))
}
