//! The audit trails: an organisation's (owners) and the platform's (platform admins).

use super::{Organisations, Result, organisation_id};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use stratum_infra::http::{Caller, Paging, page};
use stratum_shared::tenancy::AuditFilter;
use stratum_shared::validation::ValidationErrors;

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
    Path(id): Path<String>,
    Query(params): Query<AuditParams>,
    paging: Paging,
) -> Result<Response> {
    let filter = params.filter()?;
    let id = organisation_id(&id)?;
    let (items, next) = state
        .tenancy
        .organisation_audit(&principal, id, &filter, paging.limit, paging.cursor)
        .await?;
    Ok(page(items, next).into_response())
}

pub(crate) async fn platform_audit(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    Query(params): Query<AuditParams>,
    paging: Paging,
) -> Result<Response> {
    let filter = params.filter()?;
    let (items, next) = state
        .tenancy
        .platform_audit(&principal, &filter, paging.limit, paging.cursor)
        .await?;
    Ok(page(items, next).into_response())
}
