//! Claiming a SIM: owners print activation codes for a company's SIMs; a person claims one
//! with its ICCID and code, and joins the company as an end user.

use super::{Result, SimsApi};
use axum::Json;
use axum::extract::State;
use stratum_infra::http::{Access, Api, Caller, Context, Ids, Operation, Shape, Valid};
use stratum_shared::ids::OrganisationId;
use stratum_shared::sims::{ActivationCodes, ActivationCodesPayload, ClaimPayload, SimView};
use stratum_shared::tenancy::Permission;
use stratum_shared::validation::Collector;

pub(crate) fn routes(api: Api<SimsApi>) -> Api<SimsApi> {
    api.route(
        Operation::post(
            "/api/organisations/{organisation_id}/sims/activation-codes",
            "issueActivationCodes",
        )
        .summary(
            "sims",
            "Print activation codes for SIMs of a company (shown once; a new code replaces the old)",
        )
        .permission(Permission::ManageSims)
        .takes::<ActivationCodesPayload>()
        .answers::<ActivationCodes>(200)
        .may_answer(&[409]),
        activation_codes,
    )
    .route(
        Operation::post("/api/sims/claim", "claimSim")
            .summary(
                "sims",
                "Claim a SIM with its ICCID and activation code: join its company as an end user, the SIM assigned to you",
            )
            .access(Access::Persons)
            .takes::<ClaimPayload>()
            .answers::<SimView>(200)
            .may_answer(&[404, 409, 429]),
        claim,
    )
}

async fn activation_codes(
    State(state): State<SimsApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids(organisation): Ids<OrganisationId>,
    Valid(Shape(body)): Valid<Shape<ActivationCodesPayload>>,
) -> Result<Json<ActivationCodes>> {
    Ok(Json(
        state
            .sims
            .activation_codes(&principal, &context, organisation, &body.iccids)
            .await?,
    ))
}

async fn claim(
    State(state): State<SimsApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Valid(Shape(body)): Valid<Shape<ClaimPayload>>,
) -> Result<Json<SimView>> {
    let mut errors = Collector::new();
    for (field, value) in [("iccid", &body.iccid), ("activation_code", &body.activation_code)] {
        if value.is_empty() || value.chars().count() > 64 {
            errors.push(field, "out_of_range", "1 to 64 characters");
        }
    }
    errors.finish(|| ())?;
    Ok(Json(
        state
            .sims
            .claim_sim(&principal, &context, &body.iccid, &body.activation_code)
            .await?,
    ))
}
