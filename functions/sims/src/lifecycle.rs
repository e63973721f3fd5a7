//! A SIM's lifecycle: activation, suspension and termination, one SIM at a time or up to
//! 10,000 at once as a bulk job.

use super::{Result, SimsApi, iccid_parameter, job_page};
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use stratum_infra::http::{Api, Caller, Context, Ids, Operation, Paging, Shape, Valid, with_etag};
use stratum_shared::ids::{JobId, OrganisationId};
use stratum_shared::jobs::{JobKind, JobView};
use stratum_shared::sims::{BulkPayload, BulkTarget, SimView};
use stratum_shared::telecom::{Iccid, SimAction};
use stratum_shared::tenancy::Permission;

pub(crate) fn routes(api: Api<SimsApi>) -> Api<SimsApi> {
    let mut api = api
        .route(
            Operation::post("/api/organisations/{organisation_id}/sims/bulk", "bulkChangeSims")
                .summary(
                    "sims",
                    "Activate, suspend or terminate up to 10,000 SIMs, by ICCID or filter, as a job (202)",
                )
                .permission(Permission::ManageSims)
                .takes::<BulkPayload>()
                .answers::<JobView>(202)
                .may_answer(&[409]),
            bulk,
        )
        .route(
            Operation::get("/api/organisations/{organisation_id}/sims/bulk/{job_id}", "getBulkJob")
                .summary("sims", "A bulk job: its state, counts and a page of its per-SIM report")
                .permission(Permission::ManageSims)
                .answers::<JobView>(200)
                .with(Operation::report_paging),
            get_bulk_job,
        );
    for (path, id, summary, action) in [
        (
            "/api/organisations/{organisation_id}/sims/{iccid}/activate",
            "activateSim",
            "Activate a SIM (from inventory or suspended)",
            SimAction::Activate,
        ),
        (
            "/api/organisations/{organisation_id}/sims/{iccid}/suspend",
            "suspendSim",
            "Suspend an active SIM",
            SimAction::Suspend,
        ),
        (
            "/api/organisations/{organisation_id}/sims/{iccid}/terminate",
            "terminateSim",
            "Terminate a SIM for good (refused under termination protection)",
            SimAction::Terminate,
        ),
    ] {
        api = api.route(
            iccid_parameter(
                Operation::post(path, id)
                    .summary("sims", summary)
                    .permission(Permission::ManageSims)
                    .answers::<SimView>(200)
                    .tagged()
                    .may_answer(&[409]),
            ),
            move |state: State<SimsApi>, caller: Caller, context: Context, ids: Ids<(OrganisationId, Iccid)>| {
                change_state(state, caller, context, ids, action)
            },
        );
    }
    api
}

async fn bulk(
    State(state): State<SimsApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids(organisation): Ids<OrganisationId>,
    Valid(Shape(body)): Valid<Shape<BulkPayload>>,
) -> Result<Response> {
    let (action, target) = BulkTarget::parse(body)?;
    let job = state
        .sims
        .bulk_change(&principal, &context, organisation, action, target)
        .await?;
    let location = format!("/api/organisations/{organisation}/sims/bulk/{}", job.id);
    Ok((StatusCode::ACCEPTED, [(header::LOCATION, location)], Json(job)).into_response())
}

async fn get_bulk_job(
    State(state): State<SimsApi>,
    Caller(principal): Caller,
    Ids((organisation, job)): Ids<(OrganisationId, JobId)>,
    paging: Paging,
) -> Result<Json<JobView>> {
    job_page(&state, &principal, organisation, JobKind::Bulk, job, paging).await
}

async fn change_state(
    State(state): State<SimsApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids((organisation, iccid)): Ids<(OrganisationId, Iccid)>,
    action: SimAction,
) -> Result<Response> {
    let (sim, version) = state
        .sims
        .change_state(&principal, &context, organisation, &iccid, action)
        .await?;
    Ok(with_etag(StatusCode::OK, version, sim))
}
