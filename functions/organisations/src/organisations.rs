//! Shared organisations (seed 002): created by a person who becomes its owner (or, for one who
//! has not registered yet, invited as its first owner), listed, read, changed and deleted.

use super::{Organisations, Result};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::collections::BTreeSet;
use stratum_infra::http::{
    Access, Api, Caller, Context, Ids, IfMatch, Operation, Paging, RequestBody, Valid, page, with_etag,
};
use stratum_shared::accounts::Role;
use stratum_shared::identity::OrganisationStatus;
use stratum_shared::ids::OrganisationId;
use stratum_shared::invitations::InviteTarget;
use stratum_shared::tenancy::{
    NewOrganisationPayload, OrganisationInput, OrganisationPatchPayload, OrganisationPayload, OrganisationRead,
    OrganisationView, Permission,
};
use stratum_shared::validation::ValidationErrors;

pub(crate) fn routes(api: Api<Organisations>) -> Api<Organisations> {
    api.route(
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
}

/// The details of an organisation being created, its name required: a shared organisation's,
/// or a company's (`companies` reads its body with this too).
pub(crate) struct Create(pub(crate) OrganisationInput);

impl RequestBody for Create {
    type Raw = OrganisationPayload;

    fn parse(raw: OrganisationPayload) -> std::result::Result<Self, ValidationErrors> {
        OrganisationInput::parse(raw, true).map(Create)
    }
}

/// The details being changed, none required.
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
    Ok(with_etag(StatusCode::CREATED, view.etag, view))
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
        OrganisationRead::Full(view) => with_etag(StatusCode::OK, view.etag, *view),
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
    Ok(with_etag(StatusCode::OK, view.etag, view))
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
