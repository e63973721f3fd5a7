//! A SIM's usage: records over intervals, idempotent by record id (the SIM rules they make
//! cross fire), and the totals per billing period.

use super::{Result, SimsApi, iccid_parameter};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use stratum_infra::http::{Access, Api, Caller, Context, Ids, Operation, Paging, Shape, Valid, page};
use stratum_shared::ids::OrganisationId;
use stratum_shared::sims::{PeriodTotals, Recorded, UsagePayload, UsageRecord};
use stratum_shared::telecom::Iccid;
use stratum_shared::tenancy::Permission;

pub(crate) fn routes(api: Api<SimsApi>) -> Api<SimsApi> {
    api.route(
        iccid_parameter(
            Operation::post("/api/organisations/{organisation_id}/sims/{iccid}/usage", "recordUsage")
                .summary(
                    "sims",
                    "Record a SIM's usage over an interval (idempotent by record_id); fires the SIM rules it makes cross",
                )
                .permission(Permission::ManageSims)
                .takes::<UsagePayload>()
                .answers::<Recorded>(201)
                .also_answers(200)
                .may_answer(&[409]),
        ),
        record_usage,
    )
    .route(
        iccid_parameter(
            Operation::get("/api/organisations/{organisation_id}/sims/{iccid}/usage", "simUsage")
                .summary("sims", "A SIM's usage per billing period, newest first")
                .access(Access::Organisation {
                    permission: Permission::ViewOrganisation,
                    admin: true,
                })
                .lists::<PeriodTotals>(),
        ),
        usage,
    )
}

async fn record_usage(
    State(state): State<SimsApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids((organisation, iccid)): Ids<(OrganisationId, Iccid)>,
    Valid(Shape(body)): Valid<Shape<UsagePayload>>,
) -> Result<Response> {
    let now = stratum_shared::time::Timestamp::new(state.sims.clock.now());
    let record = UsageRecord::parse(body, now)?;
    let recorded = state
        .sims
        .record_usage(&principal, &context, organisation, &iccid, record)
        .await?;
    let status = if recorded.duplicate {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(recorded)).into_response())
}

async fn usage(
    State(state): State<SimsApi>,
    Caller(principal): Caller,
    Ids((organisation, iccid)): Ids<(OrganisationId, Iccid)>,
    paging: Paging,
) -> Result<Response> {
    let (items, next) = state
        .sims
        .usage(&principal, organisation, &iccid, paging.limit, paging.cursor)
        .await?;
    Ok(page(items, next).into_response())
}
