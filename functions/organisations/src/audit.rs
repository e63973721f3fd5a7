//! The audit trails: an organisation's (owners) and the platform's (platform admins).

use super::{Organisations, Result};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use stratum_infra::http::{Access, Api, Caller, Ids, Operation, Paging, Params, page};
use stratum_shared::audit::AuditEvent;
use stratum_shared::ids::OrganisationId;
use stratum_shared::tenancy::{AuditFilter, Permission};
use stratum_shared::validation::ValidationErrors;

pub(crate) fn routes(api: Api<Organisations>) -> Api<Organisations> {
    api.route(
        Operation::get("/api/organisations/{organisation_id}/audit", "organisationAudit")
            .summary("audit", "An organisation's audit trail, newest first")
            .permission(Permission::ReadAudit)
            .lists::<AuditEvent>()
            .with(filters),
        organisation_audit,
    )
    .route(
        Operation::get("/api/platform/audit", "platformAudit")
            .summary(
                "audit",
                "The whole platform's audit trail, newest first (platform admins)",
            )
            .access(Access::PlatformAdmins)
            .lists::<AuditEvent>()
            .with(filters),
        platform_audit,
    )
}

/// The filters both audit trails take, as [`AuditParams`] reads them.
fn filters(operation: Operation) -> Operation {
    let time = json!({ "type": "string", "format": "date-time" });
    operation
        .query("from", time.clone(), "Events at or after this RFC 3339 time")
        .query("to", time, "Events before this RFC 3339 time")
        .query(
            "actor_id",
            json!({"type": "string", "format": "uuid"}),
            "Events by this user or machine",
        )
        .query(
            "action",
            json!({"type": "string"}),
            "Events of this action (e.g. `member.roles_changed`)",
        )
}

#[derive(Deserialize)]
struct AuditParams {
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

async fn organisation_audit(
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

async fn platform_audit(
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
