//! Assignment: a SIM handed to a company and, optionally, one of its end users, or taken
//! back.

use super::{Result, SimsApi, iccid_parameter};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use stratum_infra::http::{Api, Caller, Context, Ids, Operation, Shape, Valid, with_etag};
use stratum_shared::ids::OrganisationId;
use stratum_shared::sims::{AssignmentPayload, SimView};
use stratum_shared::telecom::Iccid;
use stratum_shared::tenancy::Permission;

pub(crate) fn routes(api: Api<SimsApi>) -> Api<SimsApi> {
    api.route(
        iccid_parameter(
            Operation::put(
                "/api/organisations/{organisation_id}/sims/{iccid}/assignment",
                "assignSim",
            )
            .summary(
                "sims",
                "Assign a SIM to a company and, optionally, one of its end users",
            )
            .permission(Permission::ManageSims)
            .takes::<AssignmentPayload>()
            .answers::<SimView>(200)
            .tagged()
            .may_answer(&[409]),
        ),
        assign,
    )
    .route(
        iccid_parameter(
            Operation::delete(
                "/api/organisations/{organisation_id}/sims/{iccid}/assignment",
                "unassignSim",
            )
            .summary("sims", "Take a SIM back from its company and end user")
            .permission(Permission::ManageSims)
            .answers::<SimView>(200)
            .tagged()
            .may_answer(&[409]),
        ),
        unassign,
    )
}

async fn assign(
    State(state): State<SimsApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids((organisation, iccid)): Ids<(OrganisationId, Iccid)>,
    Valid(Shape(body)): Valid<Shape<AssignmentPayload>>,
) -> Result<Response> {
    let (sim, version) = state
        .sims
        .assign_sim(
            &principal,
            &context,
            organisation,
            &iccid,
            Some((body.company_id, body.end_user_id)),
        )
        .await?;
    Ok(with_etag(StatusCode::OK, version, sim))
}

async fn unassign(
    State(state): State<SimsApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids((organisation, iccid)): Ids<(OrganisationId, Iccid)>,
) -> Result<Response> {
    let (sim, version) = state
        .sims
        .assign_sim(&principal, &context, organisation, &iccid, None)
        .await?;
    Ok(with_etag(StatusCode::OK, version, sim))
}
