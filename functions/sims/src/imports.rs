//! SIM imports: CSV or JSON rows, idempotent by ICCID, answered at once or run as a job whose
//! report is paged.

use super::{Result, SimsApi, job_page};
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use stratum_infra::http::{Api, Caller, Context, Ids, Operation, Paging, Rows};
use stratum_shared::ids::{JobId, OrganisationId};
use stratum_shared::jobs::{ImportAnswer, JobKind, JobView};
use stratum_shared::sims::ImportRowPayload;
use stratum_shared::tenancy::Permission;

/// The largest import file taken: Lambda's limit on a synchronous request (6 MB), about
/// 100,000 rows of ICCID, IMSI and MSISDN.
pub const IMPORT_LIMIT: usize = 6 * 1000 * 1000;

pub(crate) fn routes(api: Api<SimsApi>) -> Api<SimsApi> {
    api.route(
        Operation::post("/api/organisations/{organisation_id}/sims/import", "importSims")
            .summary(
                "sims",
                "Import SIMs from CSV or a JSON array, idempotent by ICCID: up to 1,000 rows answered at once (200), more as a job (202)",
            )
            .permission(Permission::ManageSims)
            .takes_rows::<ImportRowPayload>(IMPORT_LIMIT)
            .answers::<ImportResult>(200)
            .also_answers(202)
            .may_answer(&[409]),
        import,
    )
    .route(
        Operation::get("/api/organisations/{organisation_id}/sims/imports/{job_id}", "getImport")
            .summary("sims", "An import job: its state, counts and a page of its per-row report")
            .permission(Permission::ManageSims)
            .answers::<JobView>(200)
            .with(Operation::report_paging),
        get_import,
    )
}

/// The answer of an import: the per-row report at once (200, `state: completed`), or the job
/// that will write it (202, `state: queued`, no rows yet; poll `…/sims/imports/{id}`).
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = SimImportResult)]
struct ImportResult {
    #[serde(flatten)]
    job: JobView,
}

async fn import(
    State(state): State<SimsApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids(organisation): Ids<OrganisationId>,
    Rows(rows, _): Rows<ImportRowPayload>,
) -> Result<Response> {
    match state.sims.import_sims(&principal, &context, organisation, rows).await? {
        ImportAnswer::Done(job) => Ok((StatusCode::OK, Json(ImportResult { job })).into_response()),
        ImportAnswer::Queued(job) => {
            let location = format!("/api/organisations/{organisation}/sims/imports/{}", job.id);
            Ok((
                StatusCode::ACCEPTED,
                [(header::LOCATION, location)],
                Json(ImportResult { job }),
            )
                .into_response())
        }
    }
}

/// The report paging of `GET …/sims/imports/{job_id}`.
async fn get_import(
    State(state): State<SimsApi>,
    Caller(principal): Caller,
    Ids((organisation, job)): Ids<(OrganisationId, JobId)>,
    paging: Paging,
) -> Result<Json<JobView>> {
    job_page(&state, &principal, organisation, JobKind::Import, job, paging).await
}
