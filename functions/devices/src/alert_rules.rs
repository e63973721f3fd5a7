//! Alert rules: a condition on a port's value, for one device, a model's or an environment's
//! devices, or all of a root organisation's.

use super::{DevicesApi, Result};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use stratum_infra::http::{Api, Caller, Context, Ids, IfMatch, Operation, Paging, Shape, Valid, page, with_etag};
use stratum_shared::alerts::{AlertRule, AlertRulePatch, AlertRulePayload};
use stratum_shared::ids::{AlertRuleId, OrganisationId};
use stratum_shared::tenancy::Permission;

pub(crate) fn routes(api: Api<DevicesApi>) -> Api<DevicesApi> {
    api.route(
        Operation::post("/api/organisations/{organisation_id}/alert-rules", "createAlertRule")
            .summary("alerts", "Create an alert rule on a port's value, for a device, a model's or an environment's devices, or all (owners; roots)")
            .permission(Permission::ManageDevices)
            .takes::<AlertRulePayload>()
            .answers::<AlertRule>(201)
            .tagged()
            .may_answer(&[409]),
        create_alert_rule,
    )
    .route(
        Operation::get("/api/organisations/{organisation_id}/alert-rules", "listAlertRules")
            .summary("alerts", "The organisation's alert rules (through a company, its root's)")
            .permission(Permission::ReadDevices)
            .lists::<AlertRule>(),
        list_alert_rules,
    )
    .route(
        Operation::get("/api/organisations/{organisation_id}/alert-rules/{rule_id}", "getAlertRule")
            .summary("alerts", "An alert rule")
            .permission(Permission::ReadDevices)
            .answers::<AlertRule>(200)
            .tagged(),
        get_alert_rule,
    )
    .route(
        Operation::patch("/api/organisations/{organisation_id}/alert-rules/{rule_id}", "updateAlertRule")
            .summary("alerts", "Change an alert rule; the rule as changed is checked whole (owners)")
            .permission(Permission::ManageDevices)
            .takes::<AlertRulePatch>()
            .answers::<AlertRule>(200)
            .conditional()
            .may_answer(&[409]),
        update_alert_rule,
    )
    .route(
        Operation::delete("/api/organisations/{organisation_id}/alert-rules/{rule_id}", "deleteAlertRule")
            .summary("alerts", "Delete an alert rule; its open alerts stay until cleared (owners)")
            .permission(Permission::ManageDevices)
            .answers_nothing(204)
            .conditional()
            .may_answer(&[409]),
        delete_alert_rule,
    )
}

async fn create_alert_rule(
    State(state): State<DevicesApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids(organisation): Ids<OrganisationId>,
    Valid(Shape(body)): Valid<Shape<AlertRulePayload>>,
) -> Result<Response> {
    let (rule, version) = state
        .devices
        .create_alert_rule(&principal, &context, organisation, body)
        .await?;
    Ok(with_etag(StatusCode::CREATED, version, rule))
}

async fn list_alert_rules(
    State(state): State<DevicesApi>,
    Caller(principal): Caller,
    Ids(organisation): Ids<OrganisationId>,
    paging: Paging,
) -> Result<Response> {
    let (rules, next) = state
        .devices
        .alert_rules(&principal, organisation, paging.limit, paging.cursor)
        .await?;
    Ok(page(rules, next).into_response())
}

async fn get_alert_rule(
    State(state): State<DevicesApi>,
    Caller(principal): Caller,
    Ids((organisation, id)): Ids<(OrganisationId, AlertRuleId)>,
) -> Result<Response> {
    let (rule, version) = state.devices.alert_rule(&principal, organisation, id).await?;
    Ok(with_etag(StatusCode::OK, version, rule))
}

async fn update_alert_rule(
    State(state): State<DevicesApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids((organisation, id)): Ids<(OrganisationId, AlertRuleId)>,
    IfMatch(expected): IfMatch,
    Valid(Shape(body)): Valid<Shape<AlertRulePatch>>,
) -> Result<Response> {
    let (rule, version) = state
        .devices
        .update_alert_rule(&principal, &context, organisation, id, body, expected)
        .await?;
    Ok(with_etag(StatusCode::OK, version, rule))
}

async fn delete_alert_rule(
    State(state): State<DevicesApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids((organisation, id)): Ids<(OrganisationId, AlertRuleId)>,
    IfMatch(expected): IfMatch,
) -> Result<StatusCode> {
    state
        .devices
        .delete_alert_rule(&principal, &context, organisation, id, expected)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
