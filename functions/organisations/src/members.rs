//! An organisation's members: their roles, their removal, and leaving.

use super::{Organisations, Result};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use stratum_infra::http::{Access, Api, Caller, Context, Ids, Operation, Paging, Shape, Valid, page};
use stratum_shared::accounts::Role;
use stratum_shared::ids::{OrganisationId, UserId};
use stratum_shared::tenancy::{MemberView, Permission, parse_roles};
use utoipa::ToSchema;

pub(crate) fn routes(api: Api<Organisations>) -> Api<Organisations> {
    api.route(
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
