//! The sims function's routes (SPEC §6, §13): operator contracts, plans, the SIM inventory,
//! imports, assignment and the lifecycle. The rules live in `stratum_shared::sims`; each
//! handler here reads the request, calls one use case and writes its answer.
//!
//! One module per sub-resource, each declaring its routes beside its handlers; [`api`] chains
//! them.

mod assignment;
mod claims;
mod duplicates;
mod imports;
mod inventory;
mod lifecycle;
mod rules;
mod usage;

pub use imports::IMPORT_LIMIT;

use axum::Json;
use axum::extract::FromRef;
use serde_json::json;
use stratum_infra::http::{Api, ApiError, Operation, Paging, catalogue};
use stratum_shared::catalogue::StoreAndClock;
use stratum_shared::identity::{Identity, Principal};
use stratum_shared::ids::{JobId, OrganisationId};
use stratum_shared::jobs::{JobKind, JobView};
use stratum_shared::sims::{ContractView, PlanView, Sims};

pub(crate) type Result<T> = std::result::Result<T, ApiError>;

/// The sims function's state.
#[derive(Clone)]
pub struct SimsApi {
    pub identity: Identity,
    pub sims: Sims,
}

impl FromRef<SimsApi> for Sims {
    fn from_ref(state: &SimsApi) -> Sims {
        state.sims.clone()
    }
}

impl FromRef<SimsApi> for StoreAndClock {
    fn from_ref(state: &SimsApi) -> StoreAndClock {
        StoreAndClock {
            store: state.sims.store.clone(),
            clock: state.sims.clock.clone(),
        }
    }
}

impl FromRef<SimsApi> for Identity {
    fn from_ref(state: &SimsApi) -> Identity {
        state.identity.clone()
    }
}

pub fn api(identity: Identity, sims: Sims) -> Api {
    // Grouped by module, so `Api::operations` lists some routes in another order than before the
    // split (the single-SIM actions now beside the bulk job); the OpenAPI document and the route
    // table sort what they read, so nothing else sees the order.
    let sub_resources: [fn(Api<SimsApi>) -> Api<SimsApi>; 10] = [
        catalogue::<ContractView, _>,
        catalogue::<PlanView, _>,
        inventory::routes,
        imports::routes,
        lifecycle::routes,
        claims::routes,
        assignment::routes,
        usage::routes,
        rules::routes,
        duplicates::routes,
    ];
    sub_resources
        .into_iter()
        .fold(Api::new(), |api, routes| routes(api))
        .with_state(SimsApi { identity, sims })
}

/// A job of `kind` with a page of its report: an import's or a bulk change's.
pub(crate) async fn job_page(
    state: &SimsApi,
    principal: &Principal,
    organisation: OrganisationId,
    kind: JobKind,
    job: JobId,
    paging: Paging,
) -> Result<Json<JobView>> {
    let view = state
        .sims
        .job(principal, organisation, kind, job, paging.limit, paging.cursor)
        .await?;
    Ok(Json(view))
}

/// The `{iccid}` path parameter of the routes on one SIM.
pub(crate) fn iccid_parameter(operation: Operation) -> Operation {
    operation.path_schema(
        "iccid",
        json!({ "type": "string", "pattern": "^[0-9]{19,20}$", "description": "The SIM's ICCID, 19 or 20 digits." }),
    )
}
