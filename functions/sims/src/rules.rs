//! SIM rules: data usage past a threshold, or a status change, to notify about and/or suspend
//! for.

use super::{Result, SimsApi};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use stratum_infra::http::{Api, Caller, Context, Ids, Operation, Paging, Shape, Valid, page};
use stratum_shared::ids::{OrganisationId, SimRuleId};
use stratum_shared::sims::{NewRule, SimRule, SimRulePayload};
use stratum_shared::tenancy::Permission;

pub(crate) fn routes(api: Api<SimsApi>) -> Api<SimsApi> {
    api.route(
        Operation::post("/api/organisations/{organisation_id}/sim-rules", "createSimRule")
            .summary(
                "sims",
                "Add a SIM rule: data usage past N MB or P % of the plan, or any status change → notify and/or suspend",
            )
            .permission(Permission::ManageSims)
            .takes::<SimRulePayload>()
            .answers::<SimRule>(201)
            .may_answer(&[409]),
        create_rule,
    )
    .route(
        Operation::get("/api/organisations/{organisation_id}/sim-rules", "listSimRules")
            .summary("sims", "The SIM rules of an organisation or company")
            .permission(Permission::ManageSims)
            .lists::<SimRule>(),
        list_rules,
    )
    .route(
        Operation::get("/api/organisations/{organisation_id}/sim-rules/{rule_id}", "getSimRule")
            .summary("sims", "A SIM rule")
            .permission(Permission::ManageSims)
            .answers::<SimRule>(200),
        get_rule,
    )
    .route(
        Operation::delete(
            "/api/organisations/{organisation_id}/sim-rules/{rule_id}",
            "deleteSimRule",
        )
        .summary("sims", "Remove a SIM rule")
        .permission(Permission::ManageSims)
        .answers_nothing(204),
        delete_rule,
    )
}

async fn create_rule(
    State(state): State<SimsApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids(organisation): Ids<OrganisationId>,
    Valid(Shape(body)): Valid<Shape<SimRulePayload>>,
) -> Result<Response> {
    let rule = NewRule::parse(body)?;
    let created = state.sims.create_rule(&principal, &context, organisation, rule).await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

async fn list_rules(
    State(state): State<SimsApi>,
    Caller(principal): Caller,
    Ids(organisation): Ids<OrganisationId>,
    paging: Paging,
) -> Result<Response> {
    let (rules, next) = state
        .sims
        .rules(&principal, organisation, paging.limit, paging.cursor)
        .await?;
    Ok(page(rules, next).into_response())
}

async fn get_rule(
    State(state): State<SimsApi>,
    Caller(principal): Caller,
    Ids((organisation, rule)): Ids<(OrganisationId, SimRuleId)>,
) -> Result<Json<SimRule>> {
    Ok(Json(state.sims.rule(&principal, organisation, rule).await?))
}

async fn delete_rule(
    State(state): State<SimsApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids((organisation, rule)): Ids<(OrganisationId, SimRuleId)>,
) -> Result<StatusCode> {
    state.sims.delete_rule(&principal, &context, organisation, rule).await?;
    Ok(StatusCode::NO_CONTENT)
}
