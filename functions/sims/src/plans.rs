//! Plans: what a SIM's data allowance and price are, a root's or a company's own.

use super::{Result, SimsApi};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use stratum_infra::http::{Api, Caller, Context, Ids, IfMatch, Operation, Paging, Shape, Valid, page, with_etag};
use stratum_shared::ids::{OrganisationId, PlanId};
use stratum_shared::sims::{PlanPatch, PlanPayload, PlanView};
use stratum_shared::tenancy::Permission;

pub(crate) fn routes(api: Api<SimsApi>) -> Api<SimsApi> {
    api.route(
        Operation::post("/api/organisations/{organisation_id}/plans", "createPlan")
            .summary("sims", "Add a plan (owners and billing admins; roots and companies)")
            .permission(Permission::ManageSims)
            .takes::<PlanPayload>()
            .answers::<PlanView>(201)
            .tagged()
            .may_answer(&[409]),
        create_plan,
    )
    .route(
        Operation::get("/api/organisations/{organisation_id}/plans", "listPlans")
            .summary("sims", "The organisation's (or company's) plans")
            .permission(Permission::ReadDevices)
            .lists::<PlanView>(),
        list_plans,
    )
    .route(
        Operation::get("/api/organisations/{organisation_id}/plans/{plan_id}", "getPlan")
            .summary("sims", "A plan")
            .permission(Permission::ReadDevices)
            .answers::<PlanView>(200)
            .tagged(),
        get_plan,
    )
    .route(
        Operation::patch("/api/organisations/{organisation_id}/plans/{plan_id}", "updatePlan")
            .summary("sims", "Change a plan")
            .permission(Permission::ManageSims)
            .takes::<PlanPatch>()
            .answers::<PlanView>(200)
            .conditional(),
        update_plan,
    )
}

async fn create_plan(
    State(state): State<SimsApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids(organisation): Ids<OrganisationId>,
    Valid(Shape(body)): Valid<Shape<PlanPayload>>,
) -> Result<Response> {
    let (plan, version) = state.sims.create_plan(&principal, &context, organisation, body).await?;
    Ok(with_etag(StatusCode::CREATED, version, plan))
}

async fn list_plans(
    State(state): State<SimsApi>,
    Caller(principal): Caller,
    Ids(organisation): Ids<OrganisationId>,
    paging: Paging,
) -> Result<Response> {
    let (items, next) = state
        .sims
        .plans(&principal, organisation, paging.limit, paging.cursor)
        .await?;
    Ok(page(items, next).into_response())
}

async fn get_plan(
    State(state): State<SimsApi>,
    Caller(principal): Caller,
    Ids((organisation, plan)): Ids<(OrganisationId, PlanId)>,
) -> Result<Response> {
    let (plan, version) = state.sims.plan(&principal, organisation, plan).await?;
    Ok(with_etag(StatusCode::OK, version, plan))
}

async fn update_plan(
    State(state): State<SimsApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids((organisation, plan)): Ids<(OrganisationId, PlanId)>,
    IfMatch(expected): IfMatch,
    Valid(Shape(body)): Valid<Shape<PlanPatch>>,
) -> Result<Response> {
    let (plan, version) = state
        .sims
        .update_plan(&principal, &context, organisation, plan, body, expected)
        .await?;
    Ok(with_etag(StatusCode::OK, version, plan))
}
