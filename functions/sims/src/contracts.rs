//! Operator contracts: a root organisation's agreements with mobile operators, its SIMs
//! held under them.

use super::{Result, SimsApi};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use stratum_infra::http::{Api, Caller, Context, Ids, IfMatch, Operation, Paging, Shape, Valid, page, with_etag};
use stratum_shared::ids::{ContractId, OrganisationId};
use stratum_shared::sims::{ContractPatch, ContractPayload, ContractView};
use stratum_shared::tenancy::Permission;

pub(crate) fn routes(api: Api<SimsApi>) -> Api<SimsApi> {
    api.route(
        Operation::post(
            "/api/organisations/{organisation_id}/operator-contracts",
            "createContract",
        )
        .summary("sims", "Add an operator contract (owners of a root organisation)")
        .permission(Permission::ManageSims)
        .takes::<ContractPayload>()
        .answers::<ContractView>(201)
        .tagged()
        .may_answer(&[409]),
        create_contract,
    )
    .route(
        Operation::get(
            "/api/organisations/{organisation_id}/operator-contracts",
            "listContracts",
        )
        .summary("sims", "The organisation's operator contracts")
        .permission(Permission::ReadDevices)
        .lists::<ContractView>(),
        list_contracts,
    )
    .route(
        Operation::get(
            "/api/organisations/{organisation_id}/operator-contracts/{contract_id}",
            "getContract",
        )
        .summary("sims", "An operator contract")
        .permission(Permission::ReadDevices)
        .answers::<ContractView>(200)
        .tagged(),
        get_contract,
    )
    .route(
        Operation::patch(
            "/api/organisations/{organisation_id}/operator-contracts/{contract_id}",
            "updateContract",
        )
        .summary("sims", "Change an operator contract")
        .permission(Permission::ManageSims)
        .takes::<ContractPatch>()
        .answers::<ContractView>(200)
        .conditional()
        .may_answer(&[409]),
        update_contract,
    )
}

async fn create_contract(
    State(state): State<SimsApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids(organisation): Ids<OrganisationId>,
    Valid(Shape(body)): Valid<Shape<ContractPayload>>,
) -> Result<Response> {
    let (contract, version) = state
        .sims
        .create_contract(&principal, &context, organisation, body)
        .await?;
    Ok(with_etag(StatusCode::CREATED, version, contract))
}

async fn list_contracts(
    State(state): State<SimsApi>,
    Caller(principal): Caller,
    Ids(organisation): Ids<OrganisationId>,
    paging: Paging,
) -> Result<Response> {
    let (items, next) = state
        .sims
        .contracts(&principal, organisation, paging.limit, paging.cursor)
        .await?;
    Ok(page(items, next).into_response())
}

async fn get_contract(
    State(state): State<SimsApi>,
    Caller(principal): Caller,
    Ids((organisation, contract)): Ids<(OrganisationId, ContractId)>,
) -> Result<Response> {
    let (contract, version) = state.sims.contract(&principal, organisation, contract).await?;
    Ok(with_etag(StatusCode::OK, version, contract))
}

async fn update_contract(
    State(state): State<SimsApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids((organisation, contract)): Ids<(OrganisationId, ContractId)>,
    IfMatch(expected): IfMatch,
    Valid(Shape(body)): Valid<Shape<ContractPatch>>,
) -> Result<Response> {
    let (contract, version) = state
        .sims
        .update_contract(&principal, &context, organisation, contract, body, expected)
        .await?;
    Ok(with_etag(StatusCode::OK, version, contract))
}
