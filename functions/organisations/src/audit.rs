//! The audit trails: an organisation's (owners) and the platform's (platform admins).

use super::{Organisations, Result};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use stratum_infra::http::{Caller, Ids, Paging, Params, page};
use stratum_shared::ids::OrganisationId;
use stratum_shared::tenancy::AuditFilter;
use stratum_shared::validation::ValidationErrors;

/// An RFC 3339 time in a query.
pub(crate) fn time_schema() -> serde_json::Value {
    serde_json::json!({ "type": "string", "format": "date-time" })
}

#[derive(Deserialize)]
pub(crate) struct AuditParams {
    from: Option<String>,
    to: Option<String>,
    actor_id: Option<String>,
    action: Option<String>,
}

impl AuditParams {
    fn filter(&self) -> std::result::Result<AuditFilter, ValidationErrors> {
        AuditFilter::parse(
            self.from.as_deref(),
            self.to.as_deref(),
            self.actor_id.as_deref(),
            self.action.as_deref(),
        )
    }
}

pub(crate) async fn organisation_audit(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    Ids(id): Ids<OrganisationId>,
    Params(params): Params<AuditParams>,
    paging: Paging,
) -> Result<Response> {
    let filter = params.filter()?;
    let (items, next) = state
        .tenancy
        .organisation_audit(&principal, id, &filter, paging.limit, paging.cursor)
        .await?;
    Ok(page(items, next).into_response())
}

pub(crate) async fn platform_audit(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    Params(params): Params<AuditParams>,
    paging: Paging,
) -> Result<Response> {
    let filter = params.filter()?;
    let (items, next) = state
        .tenancy
        .platform_audit(&principal, &filter, paging.limit, paging.cursor)
        .await?;
    Ok(page(items, next).into_response())
}
