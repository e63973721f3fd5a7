//! The platform's side of devices (platform admins): pre-registration by IMEI, one by one or
//! imported in bulk, the platform's device list, and the hand-over of a device to an
//! organisation.

use super::{DevicesApi, Result};
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use stratum_infra::http::{Access, Api, Caller, Context, Ids, Operation, Paging, Rows, Shape, Valid, page, with_etag};
use stratum_shared::devices::{Device, DeviceImportRow, OrganisationPayload, RegistrationPayload};
use stratum_shared::identity::require_platform_admin;
use stratum_shared::ids::{DeviceId, JobId};
use stratum_shared::jobs::{ImportAnswer, JobView};
use stratum_shared::telecom::Imei;

/// The largest import file taken: Lambda's limit on a synchronous request (6 MB), about
/// 100,000 rows of IMEI, model and organisation.
pub const IMPORT_LIMIT: usize = 6 * 1000 * 1000;

pub(crate) fn routes(api: Api<DevicesApi>) -> Api<DevicesApi> {
    api.route(
        Operation::post("/api/devices", "registerDevice")
            .summary(
                "devices",
                "Pre-register a device by IMEI and model (platform admins); an IMEI registered already answers 409 imei_taken",
            )
            .access(Access::PlatformAdmins)
            .takes::<RegistrationPayload>()
            .answers::<Device>(201)
            .tagged()
            .may_answer(&[409]),
        register,
    )
    .route(
        Operation::post("/api/devices/imports", "importDevices")
            .summary(
                "devices",
                "Pre-register devices from CSV or {devices: [...]}, idempotent by IMEI, optionally handing each to an organisation: up to 1,000 rows answered at once (200), more as a job (202) (platform admins)",
            )
            .access(Access::PlatformAdmins)
            .takes_rows::<DeviceImportRow>(IMPORT_LIMIT)
            .answers::<JobView>(200)
            .also_answers(202)
            .may_answer(&[409]),
        import,
    )
    .route(
        Operation::get("/api/devices/imports/{job_id}", "getDeviceImport")
            .summary(
                "devices",
                "A device import job: its state, counts and a page of its per-row report (platform admins)",
            )
            .access(Access::PlatformAdmins)
            .answers::<JobView>(200)
            .with(Operation::report_paging),
        get_import,
    )
    .route(
        Operation::get("/api/devices", "listDevices")
            .summary("devices", "The platform's devices (platform admins)")
            .access(Access::PlatformAdmins)
            .lists::<Device>(),
        list_devices,
    )
    .route(
        Operation::get("/api/devices/{device_id}", "getDevice")
            .summary("devices", "A device (platform admins)")
            .access(Access::PlatformAdmins)
            .answers::<Device>(200)
            .tagged(),
        get_device,
    )
    .route(
        Operation::put("/api/devices/{device_id}/organisation", "assignDevice")
            .summary("devices", "Hand a device to a shared root organisation (platform admins; audited)")
            .access(Access::PlatformAdmins)
            .takes::<OrganisationPayload>()
            .answers::<Device>(200)
            .tagged()
            .may_answer(&[409]),
        assign,
    )
}

/// The answer of an import: the per-row report at once (200, `state: completed`), or the job
/// that will write it (202, `state: queued`, no rows yet; poll `/api/devices/imports/{id}`).
async fn import(
    State(state): State<DevicesApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Rows(rows, _): Rows<DeviceImportRow>,
) -> Result<Response> {
    let admin = require_platform_admin(&principal)?;
    match state.devices.import_devices(&admin, &context, rows).await? {
        ImportAnswer::Done(job) => Ok((StatusCode::OK, Json(job)).into_response()),
        ImportAnswer::Queued(job) => {
            let location = format!("/api/devices/imports/{}", job.id);
            Ok((StatusCode::ACCEPTED, [(header::LOCATION, location)], Json(job)).into_response())
        }
    }
}

async fn get_import(
    State(state): State<DevicesApi>,
    Caller(principal): Caller,
    Ids(job): Ids<JobId>,
    paging: Paging,
) -> Result<Json<JobView>> {
    let admin = require_platform_admin(&principal)?;
    Ok(Json(
        state
            .devices
            .import_job(&admin, job, paging.limit, paging.cursor)
            .await?,
    ))
}

async fn register(
    State(state): State<DevicesApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Valid(Shape(body)): Valid<Shape<RegistrationPayload>>,
) -> Result<Response> {
    let admin = require_platform_admin(&principal)?;
    let imei = Imei::parse(&body.imei, "imei")?;
    let (device, version) = state.devices.register(&admin, &context, imei, body.model_id).await?;
    Ok(with_etag(StatusCode::CREATED, version, device))
}

async fn list_devices(State(state): State<DevicesApi>, Caller(principal): Caller, paging: Paging) -> Result<Response> {
    let admin = require_platform_admin(&principal)?;
    let (devices, next) = state.devices.devices(&admin, paging.limit, paging.cursor).await?;
    Ok(page(devices, next).into_response())
}

async fn get_device(
    State(state): State<DevicesApi>,
    Caller(principal): Caller,
    Ids(id): Ids<DeviceId>,
) -> Result<Response> {
    let admin = require_platform_admin(&principal)?;
    let (device, version) = state.devices.device(&admin, id).await?;
    Ok(with_etag(StatusCode::OK, version, device))
}

async fn assign(
    State(state): State<DevicesApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids(id): Ids<DeviceId>,
    Valid(Shape(body)): Valid<Shape<OrganisationPayload>>,
) -> Result<Response> {
    let admin = require_platform_admin(&principal)?;
    let (device, version) = state
        .devices
        .assign_to_organisation(&admin, &context, id, body.organisation_id)
        .await?;
    Ok(with_etag(StatusCode::OK, version, device))
}
