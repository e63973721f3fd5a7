//! The SIM inventory: adding a SIM, the SIMs the caller may see (filtered), their counts by
//! company and status, one SIM and changes to its details.

use super::{Result, SimsApi, iccid_parameter};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use stratum_infra::http::{
    Access, Api, ApiError, Caller, Context, Ids, IfMatch, Operation, Paging, Params, Shape, Valid, page, with_etag,
};
use stratum_shared::ids::{ContractId, OrganisationId, PlanId, UserId};
use stratum_shared::sims::{SimFilter, SimPatch, SimPatchPayload, SimPayload, SimView, Summary};
use stratum_shared::telecom::{Iccid, SimStatus};
use stratum_shared::tenancy::Permission;
use stratum_shared::validation::Collector;

pub(crate) fn routes(api: Api<SimsApi>) -> Api<SimsApi> {
    api.route(
        Operation::post("/api/organisations/{organisation_id}/sims", "addSim")
            .summary(
                "sims",
                "Add a SIM (through a company: assigned to it); an ICCID registered anywhere answers 409 iccid_taken",
            )
            .permission(Permission::ManageSims)
            .takes::<SimPayload>()
            .answers::<SimView>(201)
            .tagged()
            .may_answer(&[409]),
        add_sim,
    )
    .route(
        Operation::get("/api/organisations/{organisation_id}/sims", "listSims")
            .summary(
                "sims",
                "The SIMs the caller may see: all of a root's, a company's, or an end user's own",
            )
            .access(Access::Organisation {
                permission: Permission::ViewOrganisation,
                admin: true,
            })
            .lists::<SimView>()
            .with(sim_filters),
        list_sims,
    )
    .route(
        Operation::get("/api/organisations/{organisation_id}/sims/summary", "simSummary")
            .summary("sims", "SIM counts by company and status")
            .permission(Permission::ReadDevices)
            .answers::<Summary>(200),
        summary,
    )
    .route(
        iccid_parameter(
            Operation::get("/api/organisations/{organisation_id}/sims/{iccid}", "getSim")
                .summary("sims", "A SIM")
                .access(Access::Organisation {
                    permission: Permission::ViewOrganisation,
                    admin: true,
                })
                .answers::<SimView>(200)
                .tagged(),
        ),
        get_sim,
    )
    .route(
        iccid_parameter(
            Operation::patch("/api/organisations/{organisation_id}/sims/{iccid}", "updateSim")
                .summary("sims", "Change a SIM's details")
                .permission(Permission::ManageSims)
                .takes::<SimPatchPayload>()
                .answers::<SimView>(200)
                .conditional()
                .may_answer(&[409]),
        ),
        update_sim,
    )
}

async fn add_sim(
    State(state): State<SimsApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids(organisation): Ids<OrganisationId>,
    Valid(Shape(body)): Valid<Shape<SimPayload>>,
) -> Result<Response> {
    let new = stratum_shared::sims::NewSim::parse(body)?;
    let (sim, version) = state.sims.add_sim(&principal, &context, organisation, new).await?;
    Ok(with_etag(StatusCode::CREATED, version, sim))
}

/// The filters of `GET …/sims`.
#[derive(Deserialize)]
struct SimQuery {
    company_id: Option<String>,
    end_user_id: Option<String>,
    status: Option<String>,
    contract_id: Option<String>,
    plan_id: Option<String>,
    label: Option<String>,
}

fn sim_filters(operation: Operation) -> Operation {
    let uuid = json!({ "type": "string", "format": "uuid" });
    let statuses: Vec<&str> = SimStatus::ALL.iter().map(|s| s.as_str()).collect();
    operation
        .query("company_id", uuid.clone(), "Only SIMs assigned to this company.")
        .query("end_user_id", uuid.clone(), "Only SIMs assigned to this end user.")
        .query(
            "status",
            json!({ "type": "string", "enum": statuses }),
            "Only SIMs in this state.",
        )
        .query("contract_id", uuid.clone(), "Only SIMs under this operator contract.")
        .query("plan_id", uuid, "Only SIMs on this plan.")
        .query(
            "label",
            json!({ "type": "string", "minLength": 1, "maxLength": 50 }),
            "Only SIMs with this label.",
        )
}

impl SimQuery {
    fn parse(self) -> std::result::Result<SimFilter, ApiError> {
        let mut errors = Collector::new();
        let company_id = self
            .company_id
            .and_then(|id| errors.check(OrganisationId::parse(&id, "company_id")));
        let end_user_id = self
            .end_user_id
            .and_then(|id| errors.check(UserId::parse(&id, "end_user_id")));
        let contract_id = self
            .contract_id
            .and_then(|id| errors.check(ContractId::parse(&id, "contract_id")));
        let plan_id = self.plan_id.and_then(|id| errors.check(PlanId::parse(&id, "plan_id")));
        let status = self.status.and_then(|text| {
            let status = SimStatus::parse(&text);
            if status.is_none() {
                errors.push("status", "invalid_status", "one of the SIM states");
            }
            status
        });
        let label = self.label.filter(|label| {
            let fits = !label.is_empty() && label.chars().count() <= 50;
            if !fits {
                errors.push("label", "out_of_range", "a label of 1 to 50 characters");
            }
            fits
        });
        Ok(errors.finish(|| SimFilter {
            company_id,
            end_user_id,
            status,
            contract_id,
            plan_id,
            label,
        })?)
    }
}

async fn list_sims(
    State(state): State<SimsApi>,
    Caller(principal): Caller,
    Ids(organisation): Ids<OrganisationId>,
    Params(query): Params<SimQuery>,
    paging: Paging,
) -> Result<Response> {
    let filter = query.parse()?;
    let (items, next) = state
        .sims
        .list_sims(&principal, organisation, filter, paging.limit, paging.cursor)
        .await?;
    Ok(page(items, next).into_response())
}

async fn summary(
    State(state): State<SimsApi>,
    Caller(principal): Caller,
    Ids(organisation): Ids<OrganisationId>,
) -> Result<Json<Summary>> {
    Ok(Json(state.sims.summary(&principal, organisation).await?))
}

async fn get_sim(
    State(state): State<SimsApi>,
    Caller(principal): Caller,
    Ids((organisation, iccid)): Ids<(OrganisationId, Iccid)>,
) -> Result<Response> {
    let (sim, version) = state.sims.get_sim(&principal, organisation, &iccid).await?;
    Ok(with_etag(StatusCode::OK, version, sim))
}

async fn update_sim(
    State(state): State<SimsApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids((organisation, iccid)): Ids<(OrganisationId, Iccid)>,
    IfMatch(expected): IfMatch,
    Valid(Shape(body)): Valid<Shape<SimPatchPayload>>,
) -> Result<Response> {
    let patch = SimPatch::parse(body)?;
    let (sim, version) = state
        .sims
        .update_sim(&principal, &context, organisation, &iccid, patch, expected)
        .await?;
    Ok(with_etag(StatusCode::OK, version, sim))
}
