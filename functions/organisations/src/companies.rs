//! Companies: the sub-organisations of a root organisation.

use super::organisations::Create;
use super::{Organisations, Result};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use stratum_infra::http::{Api, Caller, Context, Ids, Operation, Paging, Valid, page, with_etag};
use stratum_shared::ids::OrganisationId;
use stratum_shared::tenancy::{NewCompanyPayload, OrganisationView, Permission};

pub(crate) fn routes(api: Api<Organisations>) -> Api<Organisations> {
    api.route(
        Operation::post("/api/organisations/{organisation_id}/suborganisations", "createCompany")
            .summary("companies", "Create a company under a root organisation")
            .permission(Permission::ManageMembers)
            .takes::<NewCompanyPayload>()
            .answers::<OrganisationView>(201)
            .tagged()
            .may_answer(&[409]),
        create_company,
    )
    .route(
        Operation::get("/api/organisations/{organisation_id}/suborganisations", "listCompanies")
            .summary("companies", "An organisation's companies")
            .permission(Permission::ReadOrganisation)
            .lists::<OrganisationView>(),
        list_companies,
    )
}

async fn create_company(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids(id): Ids<OrganisationId>,
    Valid(Create(input)): Valid<Create>,
) -> Result<Response> {
    let view = state.tenancy.create_company(&principal, &context, id, input).await?;
    Ok(with_etag(StatusCode::CREATED, view.etag, view))
}

async fn list_companies(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    Ids(id): Ids<OrganisationId>,
    paging: Paging,
) -> Result<Response> {
    let (items, next) = state
        .tenancy
        .companies(&principal, id, paging.limit, paging.cursor)
        .await?;
    Ok(page(items, next).into_response())
}
