//! The sims function's routes (SPEC §6, §13): operator contracts, plans, the SIM inventory,
//! imports, assignment and the lifecycle. The rules live in `stratum_shared::sims`; each
//! handler here reads the request, calls one use case and writes its answer.

use axum::Json;
use axum::extract::{FromRef, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;
use stratum_infra::http::{
    Access, Api, ApiError, Caller, Context, Ids, IfMatch, Operation, Paging, Params, Rows, Shape, Valid, etag, page,
};
use stratum_shared::identity::{Identity, require_platform_admin};
use stratum_shared::ids::{ContractId, JobId, OrganisationId, PlanId, SimRuleId, UserId};
use stratum_shared::jobs::{ImportAnswer, JobKind, JobView};
use stratum_shared::sims::{
    ActivationCodes, ActivationCodesPayload, AssignmentPayload, BulkPayload, BulkTarget, ClaimPayload, ContractPatch,
    ContractPayload, ContractView, ImportRowPayload, NewRule, PeriodTotals, PlanPatch, PlanPayload, PlanView, Recorded,
    SimDuplicate, SimFilter, SimPatch, SimPatchPayload, SimPayload, SimRule, SimRulePayload, SimStatus, SimView, Sims,
    Summary, UsagePayload, UsageRecord,
};
use stratum_shared::telecom::{Iccid, SimAction};
use stratum_shared::tenancy::Permission;
use stratum_shared::validation::Collector;

/// The largest import file taken: Lambda's limit on a synchronous request (6 MB), about
/// 100,000 rows of ICCID, IMSI and MSISDN.
pub const IMPORT_LIMIT: usize = 6 * 1000 * 1000;

type Result<T> = std::result::Result<T, ApiError>;

/// The sims function's state.
#[derive(Clone)]
pub struct SimsApi {
    pub identity: Identity,
    pub sims: Sims,
}

impl FromRef<SimsApi> for Identity {
    fn from_ref(state: &SimsApi) -> Identity {
        state.identity.clone()
    }
}

fn iccid_parameter(operation: Operation) -> Operation {
    operation.path_schema(
        "iccid",
        json!({ "type": "string", "pattern": "^[0-9]{19,20}$", "description": "The SIM's ICCID, 19 or 20 digits." }),
    )
}

pub fn api(identity: Identity, sims: Sims) -> Api {
    let mut api = Api::new()
        .route(
            Operation::post("/api/organisations/{organisation_id}/operator-contracts", "createContract")
                .summary("sims", "Add an operator contract (owners of a root organisation)")
                .permission(Permission::ManageSims)
                .takes::<ContractPayload>()
                .answers::<ContractView>(201)
                .tagged()
                .may_answer(&[409]),
            create_contract,
        )
        .route(
            Operation::get("/api/organisations/{organisation_id}/operator-contracts", "listContracts")
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
        .route(
            Operation::post("/api/organisations/{organisation_id}/plans", "createPlan")
                .summary("sims", "Add a plan (owners and billing admins; roots and companies)")
                .permission(Permission::ManageSims)
                .takes::<PlanPayload>()
                .answers::<PlanView>(201)
                .tagged()
                .may_answer(&[409]),
            create_plan,
        )
        .route(
            Operation::get("/api/organisations/{organisation_id}/plans", "listPlans")
                .summary("sims", "The organisation's (or company's) plans")
                .permission(Permission::ReadDevices)
                .lists::<PlanView>(),
            list_plans,
        )
        .route(
            Operation::get("/api/organisations/{organisation_id}/plans/{plan_id}", "getPlan")
                .summary("sims", "A plan")
                .permission(Permission::ReadDevices)
                .answers::<PlanView>(200)
                .tagged(),
            get_plan,
        )
        .route(
            Operation::patch("/api/organisations/{organisation_id}/plans/{plan_id}", "updatePlan")
                .summary("sims", "Change a plan")
                .permission(Permission::ManageSims)
                .takes::<PlanPatch>()
                .answers::<PlanView>(200)
                .conditional(),
            update_plan,
        )
        .route(
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
            Operation::post("/api/organisations/{organisation_id}/sims/bulk", "bulkChangeSims")
                .summary(
                    "sims",
                    "Activate, suspend or terminate up to 10,000 SIMs, by ICCID or filter, as a job (202)",
                )
                .permission(Permission::ManageSims)
                .takes::<BulkPayload>()
                .answers::<JobView>(202)
                .may_answer(&[409]),
            bulk,
        )
        .route(
            Operation::get("/api/organisations/{organisation_id}/sims/bulk/{job_id}", "getBulkJob")
                .summary("sims", "A bulk job: its state, counts and a page of its per-SIM report")
                .permission(Permission::ManageSims)
                .answers::<JobView>(200)
                .with(Operation::report_paging),
            get_bulk_job,
        )
        .route(
            Operation::get("/api/organisations/{organisation_id}/sims/imports/{job_id}", "getImport")
                .summary("sims", "An import job: its state, counts and a page of its per-row report")
                .permission(Permission::ManageSims)
                .answers::<JobView>(200)
                .with(Operation::report_paging),
            get_import,
        )
        .route(
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
        .route(
            iccid_parameter(
                Operation::put(
                    "/api/organisations/{organisation_id}/sims/{iccid}/assignment",
                    "assignSim",
                )
                .summary("sims", "Assign a SIM to a company and, optionally, one of its end users")
                .permission(Permission::ManageSims)
                .takes::<AssignmentPayload>()
                .answers::<SimView>(200)
                .tagged()
                .may_answer(&[409]),
            ),
            assign,
        )
        .route(
            iccid_parameter(
                Operation::delete(
                    "/api/organisations/{organisation_id}/sims/{iccid}/assignment",
                    "unassignSim",
                )
                .summary("sims", "Take a SIM back from its company and end user")
                .permission(Permission::ManageSims)
                .answers::<SimView>(200)
                .tagged()
                .may_answer(&[409]),
            ),
            unassign,
        );
    api = api
        .route(
            iccid_parameter(
                Operation::post("/api/organisations/{organisation_id}/sims/{iccid}/usage", "recordUsage")
                    .summary(
                        "sims",
                        "Record a SIM's usage over an interval (idempotent by record_id); fires the SIM rules it makes cross",
                    )
                    .permission(Permission::ManageSims)
                    .takes::<UsagePayload>()
                    .answers::<Recorded>(201)
                    .also_answers(200)
                    .may_answer(&[409]),
            ),
            record_usage,
        )
        .route(
            iccid_parameter(
                Operation::get("/api/organisations/{organisation_id}/sims/{iccid}/usage", "simUsage")
                    .summary("sims", "A SIM's usage per billing period, newest first")
                    .access(Access::Organisation {
                        permission: Permission::ViewOrganisation,
                        admin: true,
                    })
                    .lists::<PeriodTotals>(),
            ),
            usage,
        )
        .route(
            Operation::post("/api/organisations/{organisation_id}/sim-rules", "createSimRule")
                .summary(
                    "sims",
                    "Add a SIM rule: data usage past N MB or P % of the plan, or any status change → notify and/or suspend",
                )
                .permission(Permission::ManageSims)
                .takes::<SimRulePayload>()
                .answers::<SimRule>(201)
                .may_answer(&[409]),
            create_rule,
        )
        .route(
            Operation::get("/api/organisations/{organisation_id}/sim-rules", "listSimRules")
                .summary("sims", "The SIM rules of an organisation or company")
                .permission(Permission::ManageSims)
                .lists::<SimRule>(),
            list_rules,
        )
        .route(
            Operation::get("/api/organisations/{organisation_id}/sim-rules/{rule_id}", "getSimRule")
                .summary("sims", "A SIM rule")
                .permission(Permission::ManageSims)
                .answers::<SimRule>(200),
            get_rule,
        )
        .route(
            Operation::delete("/api/organisations/{organisation_id}/sim-rules/{rule_id}", "deleteSimRule")
                .summary("sims", "Remove a SIM rule")
                .permission(Permission::ManageSims)
                .answers_nothing(204),
            delete_rule,
        )
        .route(
            Operation::get("/api/platform/sims/duplicates", "listSimDuplicates")
                .summary(
                    "sims",
                    "ICCIDs held by more than one root organisation: each later holder with the first (platform admins)",
                )
                .access(Access::PlatformAdmins)
                .lists::<SimDuplicate>(),
            duplicates,
        );
    for (path, id, summary, action) in [
        (
            "/api/organisations/{organisation_id}/sims/{iccid}/activate",
            "activateSim",
            "Activate a SIM (from inventory or suspended)",
            SimAction::Activate,
        ),
        (
            "/api/organisations/{organisation_id}/sims/{iccid}/suspend",
            "suspendSim",
            "Suspend an active SIM",
            SimAction::Suspend,
        ),
        (
            "/api/organisations/{organisation_id}/sims/{iccid}/terminate",
            "terminateSim",
            "Terminate a SIM for good (refused under termination protection)",
            SimAction::Terminate,
        ),
    ] {
        api = api.route(
            iccid_parameter(
                Operation::post(path, id)
                    .summary("sims", summary)
                    .permission(Permission::ManageSims)
                    .answers::<SimView>(200)
                    .tagged()
                    .may_answer(&[409]),
            ),
            move |state: State<SimsApi>, caller: Caller, context: Context, ids: Ids<(OrganisationId, Iccid)>| {
                change_state(state, caller, context, ids, action)
            },
        );
    }
    api.with_state(SimsApi { identity, sims })
}

fn with_etag<T: Serialize>(status: StatusCode, version: u64, body: T) -> Response {
    (status, [(header::ETAG, etag(version))], Json(body)).into_response()
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

async fn create_plan(
    State(state): State<SimsApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids(organisation): Ids<OrganisationId>,
    Valid(Shape(body)): Valid<Shape<PlanPayload>>,
) -> Result<Response> {
    let (plan, version) = state.sims.create_plan(&principal, &context, organisation, body).await?;
    Ok(with_etag(StatusCode::CREATED, version, plan))
}

async fn list_plans(
    State(state): State<SimsApi>,
    Caller(principal): Caller,
    Ids(organisation): Ids<OrganisationId>,
    paging: Paging,
) -> Result<Response> {
    let (items, next) = state
        .sims
        .plans(&principal, organisation, paging.limit, paging.cursor)
        .await?;
    Ok(page(items, next).into_response())
}

async fn get_plan(
    State(state): State<SimsApi>,
    Caller(principal): Caller,
    Ids((organisation, plan)): Ids<(OrganisationId, PlanId)>,
) -> Result<Response> {
    let (plan, version) = state.sims.plan(&principal, organisation, plan).await?;
    Ok(with_etag(StatusCode::OK, version, plan))
}

async fn update_plan(
    State(state): State<SimsApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids((organisation, plan)): Ids<(OrganisationId, PlanId)>,
    IfMatch(expected): IfMatch,
    Valid(Shape(body)): Valid<Shape<PlanPatch>>,
) -> Result<Response> {
    let (plan, version) = state
        .sims
        .update_plan(&principal, &context, organisation, plan, body, expected)
        .await?;
    Ok(with_etag(StatusCode::OK, version, plan))
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
    Ok(Json(
        state
            .sims
            .job(
                &principal,
                organisation,
                JobKind::Import,
                job,
                paging.limit,
                paging.cursor,
            )
            .await?,
    ))
}

async fn bulk(
    State(state): State<SimsApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids(organisation): Ids<OrganisationId>,
    Valid(Shape(body)): Valid<Shape<BulkPayload>>,
) -> Result<Response> {
    let (action, target) = BulkTarget::parse(body)?;
    let job = state
        .sims
        .bulk_change(&principal, &context, organisation, action, target)
        .await?;
    let location = format!("/api/organisations/{organisation}/sims/bulk/{}", job.id);
    Ok((StatusCode::ACCEPTED, [(header::LOCATION, location)], Json(job)).into_response())
}

async fn get_bulk_job(
    State(state): State<SimsApi>,
    Caller(principal): Caller,
    Ids((organisation, job)): Ids<(OrganisationId, JobId)>,
    paging: Paging,
) -> Result<Json<JobView>> {
    Ok(Json(
        state
            .sims
            .job(
                &principal,
                organisation,
                JobKind::Bulk,
                job,
                paging.limit,
                paging.cursor,
            )
            .await?,
    ))
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

async fn assign(
    State(state): State<SimsApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids((organisation, iccid)): Ids<(OrganisationId, Iccid)>,
    Valid(Shape(body)): Valid<Shape<AssignmentPayload>>,
) -> Result<Response> {
    let (sim, version) = state
        .sims
        .assign_sim(
            &principal,
            &context,
            organisation,
            &iccid,
            Some((body.company_id, body.end_user_id)),
        )
        .await?;
    Ok(with_etag(StatusCode::OK, version, sim))
}

async fn unassign(
    State(state): State<SimsApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids((organisation, iccid)): Ids<(OrganisationId, Iccid)>,
) -> Result<Response> {
    let (sim, version) = state
        .sims
        .assign_sim(&principal, &context, organisation, &iccid, None)
        .await?;
    Ok(with_etag(StatusCode::OK, version, sim))
}

async fn change_state(
    State(state): State<SimsApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids((organisation, iccid)): Ids<(OrganisationId, Iccid)>,
    action: SimAction,
) -> Result<Response> {
    let (sim, version) = state
        .sims
        .change_state(&principal, &context, organisation, &iccid, action)
        .await?;
    Ok(with_etag(StatusCode::OK, version, sim))
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

async fn record_usage(
    State(state): State<SimsApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids((organisation, iccid)): Ids<(OrganisationId, Iccid)>,
    Valid(Shape(body)): Valid<Shape<UsagePayload>>,
) -> Result<Response> {
    let now = stratum_shared::time::Timestamp::new(state.sims.clock.now());
    let record = UsageRecord::parse(body, now)?;
    let recorded = state
        .sims
        .record_usage(&principal, &context, organisation, &iccid, record)
        .await?;
    let status = if recorded.duplicate {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(recorded)).into_response())
}

async fn usage(
    State(state): State<SimsApi>,
    Caller(principal): Caller,
    Ids((organisation, iccid)): Ids<(OrganisationId, Iccid)>,
    paging: Paging,
) -> Result<Response> {
    let (items, next) = state
        .sims
        .usage(&principal, organisation, &iccid, paging.limit, paging.cursor)
        .await?;
    Ok(page(items, next).into_response())
}

async fn create_rule(
    State(state): State<SimsApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids(organisation): Ids<OrganisationId>,
    Valid(Shape(body)): Valid<Shape<SimRulePayload>>,
) -> Result<Response> {
    let rule = NewRule::parse(body)?;
    let created = state.sims.create_rule(&principal, &context, organisation, rule).await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

async fn duplicates(State(state): State<SimsApi>, Caller(principal): Caller, paging: Paging) -> Result<Response> {
    let admin = require_platform_admin(&principal)?;
    let (items, next) = state.sims.duplicates(&admin, paging.limit, paging.cursor).await?;
    Ok(page(items, next).into_response())
}

async fn list_rules(
    State(state): State<SimsApi>,
    Caller(principal): Caller,
    Ids(organisation): Ids<OrganisationId>,
    paging: Paging,
) -> Result<Response> {
    let (rules, next) = state
        .sims
        .rules(&principal, organisation, paging.limit, paging.cursor)
        .await?;
    Ok(page(rules, next).into_response())
}

async fn get_rule(
    State(state): State<SimsApi>,
    Caller(principal): Caller,
    Ids((organisation, rule)): Ids<(OrganisationId, SimRuleId)>,
) -> Result<Json<SimRule>> {
    Ok(Json(state.sims.rule(&principal, organisation, rule).await?))
}

async fn delete_rule(
    State(state): State<SimsApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids((organisation, rule)): Ids<(OrganisationId, SimRuleId)>,
) -> Result<StatusCode> {
    state.sims.delete_rule(&principal, &context, organisation, rule).await?;
    Ok(StatusCode::NO_CONTENT)
}
