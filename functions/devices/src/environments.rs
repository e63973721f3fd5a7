//! Environments devices stand in (facilities, departments, mobile fleets): a root
//! organisation's, read through its companies, changed by owners.

use super::{DevicesApi, Result};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use stratum_infra::http::{Api, Caller, Context, Ids, IfMatch, Operation, Paging, Shape, Valid, page, with_etag};
use stratum_shared::devices::{Environment, EnvironmentPatch, EnvironmentPayload};
use stratum_shared::ids::{EnvironmentId, OrganisationId};
use stratum_shared::tenancy::Permission;

pub(crate) fn routes(api: Api<DevicesApi>) -> Api<DevicesApi> {
    api.route(
        Operation::post("/api/organisations/{organisation_id}/environments", "createEnvironment")
            .summary(
                "devices",
                "Create an environment devices stand in: a facility, department or mobile fleet (owners; roots)",
            )
            .permission(Permission::ManageSettings)
            .takes::<EnvironmentPayload>()
            .answers::<Environment>(201)
            .tagged()
            .may_answer(&[409]),
        create_environment,
    )
    .route(
        Operation::get("/api/organisations/{organisation_id}/environments", "listEnvironments")
            .summary(
                "devices",
                "The organisation's environments (through a company, its root's)",
            )
            .permission(Permission::ReadDevices)
            .lists::<Environment>(),
        list_environments,
    )
    .route(
        Operation::get(
            "/api/organisations/{organisation_id}/environments/{environment_id}",
            "getEnvironment",
        )
        .summary("devices", "An environment, with the number of devices in it")
        .permission(Permission::ReadDevices)
        .answers::<Environment>(200)
        .tagged(),
        get_environment,
    )
    .route(
        Operation::patch(
            "/api/organisations/{organisation_id}/environments/{environment_id}",
            "updateEnvironment",
        )
        .summary("devices", "Change an environment (owners)")
        .permission(Permission::ManageSettings)
        .takes::<EnvironmentPatch>()
        .answers::<Environment>(200)
        .conditional()
        .may_answer(&[409]),
        update_environment,
    )
    .route(
        Operation::delete(
            "/api/organisations/{organisation_id}/environments/{environment_id}",
            "deleteEnvironment",
        )
        .summary(
            "devices",
            "Delete an environment no device stands in (owners; 409 environment_in_use)",
        )
        .permission(Permission::ManageSettings)
        .answers_nothing(204)
        .conditional()
        .may_answer(&[409]),
        delete_environment,
    )
}

async fn create_environment(
    State(state): State<DevicesApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids(organisation): Ids<OrganisationId>,
    Valid(Shape(body)): Valid<Shape<EnvironmentPayload>>,
) -> Result<Response> {
    let (environment, version) = state
        .devices
        .create_environment(&principal, &context, organisation, body)
        .await?;
    Ok(with_etag(StatusCode::CREATED, version, environment))
}

async fn list_environments(
    State(state): State<DevicesApi>,
    Caller(principal): Caller,
    Ids(organisation): Ids<OrganisationId>,
    paging: Paging,
) -> Result<Response> {
    let (environments, next) = state
        .devices
        .environments(&principal, organisation, paging.limit, paging.cursor)
        .await?;
    Ok(page(environments, next).into_response())
}

async fn get_environment(
    State(state): State<DevicesApi>,
    Caller(principal): Caller,
    Ids((organisation, id)): Ids<(OrganisationId, EnvironmentId)>,
) -> Result<Response> {
    let (environment, version) = state.devices.environment(&principal, organisation, id).await?;
    Ok(with_etag(StatusCode::OK, version, environment))
}

async fn update_environment(
    State(state): State<DevicesApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids((organisation, id)): Ids<(OrganisationId, EnvironmentId)>,
    IfMatch(expected): IfMatch,
    Valid(Shape(body)): Valid<Shape<EnvironmentPatch>>,
) -> Result<Response> {
    let (environment, version) = state
        .devices
        .update_environment(&principal, &context, organisation, id, body, expected)
        .await?;
    Ok(with_etag(StatusCode::OK, version, environment))
}

async fn delete_environment(
    State(state): State<DevicesApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids((organisation, id)): Ids<(OrganisationId, EnvironmentId)>,
    IfMatch(expected): IfMatch,
) -> Result<StatusCode> {
    state
        .devices
        .delete_environment(&principal, &context, organisation, id, expected)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
