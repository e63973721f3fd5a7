//! ICCID duplicates (platform admins): ICCIDs more than one root organisation holds.

use super::{Result, SimsApi};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use stratum_infra::http::{Access, Api, Caller, Operation, Paging, page};
use stratum_shared::identity::require_platform_admin;
use stratum_shared::sims::SimDuplicate;

pub(crate) fn routes(api: Api<SimsApi>) -> Api<SimsApi> {
    api.route(
        Operation::get("/api/platform/sims/duplicates", "listSimDuplicates")
            .summary(
                "sims",
                "ICCIDs held by more than one root organisation: each later holder with the first (platform admins)",
            )
            .access(Access::PlatformAdmins)
            .lists::<SimDuplicate>(),
        duplicates,
    )
}

async fn duplicates(State(state): State<SimsApi>, Caller(principal): Caller, paging: Paging) -> Result<Response> {
    let admin = require_platform_admin(&principal)?;
    let (items, next) = state.sims.duplicates(&admin, paging.limit, paging.cursor).await?;
    Ok(page(items, next).into_response())
}
