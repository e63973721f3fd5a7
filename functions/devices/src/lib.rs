//! The devices function's routes (SPEC §7, §13): device models, pre-registration by IMEI and
//! the hand-over of devices to organisations (the platform's: admins write, everyone signed in
//! reads models), and an organisation's view of its devices.

use axum::Json;
use axum::extract::{FromRef, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;
use stratum_infra::http::{
    Access, Api, ApiError, Caller, Context, Ids, IfMatch, Operation, Paging, Params, Rows, Shape, Valid, etag, page,
};
use stratum_shared::alerts::{Alert, AlertRule, AlertRulePatch, AlertRulePayload};
use stratum_shared::devices::{
    AcknowledgePayload, Aggregate, AlertFilter, BoundingBox, ClearPayload, Command, CommandPayload, Device,
    DeviceFilter, DeviceImportRow, DeviceModel, DeviceModelPayload, DevicePatch, DevicePatchPayload, DevicePorts,
    DeviceStatus, Devices, EffectivePort, Environment, EnvironmentPatch, EnvironmentPayload, IssuedCredentials, Latest,
    MaintenanceEntry, MaintenancePayload, Map, Marker, MarkerPatch, MarkerPayload, ModelInput, OrganisationPayload,
    Point, PortPayload, Range, RegistrationPayload,
};
use stratum_shared::identity::{Identity, require_platform_admin};
use stratum_shared::ids::{
    AlertId, AlertRuleId, DeviceId, DeviceModelId, EnvironmentId, JobId, MarkerId, OrganisationId,
};
use stratum_shared::jobs::{ImportAnswer, JobView};
use stratum_shared::telecom::{Iccid, Imei};
use stratum_shared::tenancy::Permission;
use stratum_shared::validation::{Collector, ValidationErrors};

type Result<T> = std::result::Result<T, ApiError>;

/// The devices function's state.
#[derive(Clone)]
pub struct DevicesApi {
    pub identity: Identity,
    pub devices: Devices,
}

impl FromRef<DevicesApi> for Identity {
    fn from_ref(state: &DevicesApi) -> Identity {
        state.identity.clone()
    }
}

pub fn api(identity: Identity, devices: Devices) -> Api {
    Api::new()
        .route(
            Operation::post("/api/device-models", "createDeviceModel")
                .summary("devices", "Define a device model: its ports and inactivity timeout (platform admins)")
                .access(Access::PlatformAdmins)
                .takes::<DeviceModelPayload>()
                .answers::<DeviceModel>(201)
                .tagged(),
            create_model,
        )
        .route(
            Operation::get("/api/device-models", "listDeviceModels")
                .summary("devices", "The device models")
                .access(Access::Authenticated)
                .lists::<DeviceModel>(),
            list_models,
        )
        .route(
            Operation::get("/api/device-models/{model_id}", "getDeviceModel")
                .summary("devices", "A device model")
                .access(Access::Authenticated)
                .answers::<DeviceModel>(200)
                .tagged(),
            get_model,
        )
        .route(
            Operation::put("/api/device-models/{model_id}", "replaceDeviceModel")
                .summary("devices", "Redefine a device model (platform admins)")
                .access(Access::PlatformAdmins)
                .takes::<DeviceModelPayload>()
                .answers::<DeviceModel>(200)
                .conditional(),
            replace_model,
        )
        .route(
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
        .route(
            Operation::get("/api/organisations/{organisation_id}/devices", "listOrganisationDevices")
                .summary(
                    "devices",
                    "The organisation's devices the caller may see: all (staff), a company's, or an end user's own",
                )
                .access(Access::Organisation {
                    permission: Permission::ViewOrganisation,
                    admin: true,
                })
                .lists::<Device>()
                .query("company_id", json!({ "type": "string", "format": "uuid" }), "Only devices in this company.")
                .query("model_id", json!({ "type": "string", "format": "uuid" }), "Only devices of this model.")
                .query(
                    "environment_id",
                    json!({ "type": "string", "format": "uuid" }),
                    "Only devices in this environment.",
                )
                .query(
                    "status",
                    json!({ "type": "string", "enum": ["active", "inactive", "maintenance", "decommissioned"] }),
                    "Only devices in this status.",
                )
                .query(
                    "sim_iccid",
                    json!({ "type": "string", "minLength": 1, "maxLength": 40 }),
                    "Only the device this SIM is installed in.",
                ),
            list_organisation_devices,
        )
        .route(
            Operation::get("/api/organisations/{organisation_id}/devices/{device_id}", "getOrganisationDevice")
                .summary("devices", "One of the organisation's devices")
                .access(Access::Organisation {
                    permission: Permission::ViewOrganisation,
                    admin: true,
                })
                .answers::<Device>(200)
                .tagged(),
            get_organisation_device,
        )
        .route(
            Operation::patch("/api/organisations/{organisation_id}/devices/{device_id}", "updateDevice")
                .summary(
                    "devices",
                    "Configure a device: name, company, end user, location, status, firmware, metadata (owners)",
                )
                .permission(Permission::ManageDevices)
                .takes::<DevicePatchPayload>()
                .answers::<Device>(200)
                .conditional()
                .may_answer(&[409]),
            update_device,
        )
        .route(
            Operation::post(
                "/api/organisations/{organisation_id}/devices/{device_id}/credentials",
                "issueDeviceCredentials",
            )
            .summary(
                "devices",
                "Issue the device's credentials, shown once: an IoT Core certificate and key on AWS, an MQTT login locally (owners; 409 credentials_exist until revoked)",
            )
            .permission(Permission::ManageDevices)
            .answers::<IssuedCredentials>(201)
            .may_answer(&[409]),
            issue_credentials,
        )
        .route(
            Operation::delete(
                "/api/organisations/{organisation_id}/devices/{device_id}/credentials",
                "revokeDeviceCredentials",
            )
            .summary(
                "devices",
                "Revoke the device's credentials: the certificate made inactive and detached, or the MQTT password void (owners)",
            )
            .permission(Permission::ManageDevices)
            .answers_nothing(204),
            revoke_credentials,
        )
        .route(
            Operation::post(
                "/api/organisations/{organisation_id}/devices/{device_id}/commands",
                "sendDeviceCommand",
            )
            .summary(
                "devices",
                "Send the device a command, published on devices/{device_id}/commands, recorded and audited (operators and owners)",
            )
            .permission(Permission::HandleAlerts)
            .takes::<CommandPayload>()
            .answers::<Command>(201),
            send_command,
        )
        .route(
            Operation::get(
                "/api/organisations/{organisation_id}/devices/{device_id}/commands",
                "listDeviceCommands",
            )
            .summary("devices", "The commands sent to the device, newest first")
            .permission(Permission::ReadDevices)
            .lists::<Command>(),
            list_commands,
        )
        .route(
            Operation::post("/api/organisations/{organisation_id}/environments", "createEnvironment")
                .summary("devices", "Create an environment devices stand in: a facility, department or mobile fleet (owners; roots)")
                .permission(Permission::ManageSettings)
                .takes::<EnvironmentPayload>()
                .answers::<Environment>(201)
                .tagged()
                .may_answer(&[409]),
            create_environment,
        )
        .route(
            Operation::get("/api/organisations/{organisation_id}/environments", "listEnvironments")
                .summary("devices", "The organisation's environments (through a company, its root's)")
                .permission(Permission::ReadDevices)
                .lists::<Environment>(),
            list_environments,
        )
        .route(
            Operation::get("/api/organisations/{organisation_id}/environments/{environment_id}", "getEnvironment")
                .summary("devices", "An environment, with the number of devices in it")
                .permission(Permission::ReadDevices)
                .answers::<Environment>(200)
                .tagged(),
            get_environment,
        )
        .route(
            Operation::patch("/api/organisations/{organisation_id}/environments/{environment_id}", "updateEnvironment")
                .summary("devices", "Change an environment (owners)")
                .permission(Permission::ManageSettings)
                .takes::<EnvironmentPatch>()
                .answers::<Environment>(200)
                .conditional()
                .may_answer(&[409]),
            update_environment,
        )
        .route(
            Operation::delete("/api/organisations/{organisation_id}/environments/{environment_id}", "deleteEnvironment")
                .summary("devices", "Delete an environment no device stands in (owners; 409 environment_in_use)")
                .permission(Permission::ManageSettings)
                .answers_nothing(204)
                .conditional()
                .may_answer(&[409]),
            delete_environment,
        )
        .route(
            Operation::post("/api/organisations/{organisation_id}/alert-rules", "createAlertRule")
                .summary("alerts", "Create an alert rule on a port's value, for a device, a model's or an environment's devices, or all (owners; roots)")
                .permission(Permission::ManageDevices)
                .takes::<AlertRulePayload>()
                .answers::<AlertRule>(201)
                .tagged()
                .may_answer(&[409]),
            create_alert_rule,
        )
        .route(
            Operation::get("/api/organisations/{organisation_id}/alert-rules", "listAlertRules")
                .summary("alerts", "The organisation's alert rules (through a company, its root's)")
                .permission(Permission::ReadDevices)
                .lists::<AlertRule>(),
            list_alert_rules,
        )
        .route(
            Operation::get("/api/organisations/{organisation_id}/alert-rules/{rule_id}", "getAlertRule")
                .summary("alerts", "An alert rule")
                .permission(Permission::ReadDevices)
                .answers::<AlertRule>(200)
                .tagged(),
            get_alert_rule,
        )
        .route(
            Operation::patch("/api/organisations/{organisation_id}/alert-rules/{rule_id}", "updateAlertRule")
                .summary("alerts", "Change an alert rule; the rule as changed is checked whole (owners)")
                .permission(Permission::ManageDevices)
                .takes::<AlertRulePatch>()
                .answers::<AlertRule>(200)
                .conditional()
                .may_answer(&[409]),
            update_alert_rule,
        )
        .route(
            Operation::delete("/api/organisations/{organisation_id}/alert-rules/{rule_id}", "deleteAlertRule")
                .summary("alerts", "Delete an alert rule; its open alerts stay until cleared (owners)")
                .permission(Permission::ManageDevices)
                .answers_nothing(204)
                .conditional()
                .may_answer(&[409]),
            delete_alert_rule,
        )
        .route(
            Operation::get("/api/organisations/{organisation_id}/alerts", "listAlerts")
                .summary(
                    "alerts",
                    "The alerts the caller may see, newest first; with device_id, the device's alert history",
                )
                .access(Access::Organisation {
                    permission: Permission::ViewOrganisation,
                    admin: true,
                })
                .lists::<Alert>()
                .query(
                    "status",
                    json!({ "type": "string", "enum": ["active_unacknowledged", "active_acknowledged", "cleared_unacknowledged", "cleared_acknowledged"] }),
                    "Only alerts in this status.",
                )
                .query(
                    "severity",
                    json!({ "type": "string", "enum": ["critical", "major", "minor", "warning", "info"] }),
                    "Only alerts of this severity.",
                )
                .query("device_id", json!({ "type": "string", "format": "uuid" }), "Only this device's alerts.")
                .query("from", json!({ "type": "string", "format": "date-time" }), "Raised at or after (RFC 3339).")
                .query("to", json!({ "type": "string", "format": "date-time" }), "Raised at or before (RFC 3339)."),
            list_alerts,
        )
        .route(
            Operation::get("/api/organisations/{organisation_id}/alerts/{alert_id}", "getAlert")
                .summary("alerts", "An alert")
                .access(Access::Organisation {
                    permission: Permission::ViewOrganisation,
                    admin: true,
                })
                .answers::<Alert>(200),
            get_alert,
        )
        .route(
            Operation::post("/api/organisations/{organisation_id}/alerts/{alert_id}/acknowledge", "acknowledgeAlert")
                .summary("alerts", "Acknowledge an alert with a comment (operators, owners; 409 already_acknowledged)")
                .permission(Permission::HandleAlerts)
                .takes::<AcknowledgePayload>()
                .answers::<Alert>(200)
                .may_answer(&[409]),
            acknowledge_alert,
        )
        .route(
            Operation::post("/api/organisations/{organisation_id}/alerts/{alert_id}/clear", "clearAlert")
                .summary("alerts", "Clear an active alert by hand, e-mailing its recipients (operators, owners; 409 already_cleared)")
                .permission(Permission::HandleAlerts)
                .takes::<ClearPayload>()
                .answers::<Alert>(200)
                .may_answer(&[409]),
            clear_alert,
        )
        .route(
            Operation::post("/api/organisations/{organisation_id}/map-markers", "createMapMarker")
                .summary("devices", "Create a map marker for an environment's, a model's or a status's devices (owners; roots)")
                .permission(Permission::ManageSettings)
                .takes::<MarkerPayload>()
                .answers::<Marker>(201)
                .tagged()
                .may_answer(&[409]),
            create_marker,
        )
        .route(
            Operation::get("/api/organisations/{organisation_id}/map-markers", "listMapMarkers")
                .summary("devices", "The organisation's map markers (through a company, its root's)")
                .permission(Permission::ReadDevices)
                .lists::<Marker>(),
            list_markers,
        )
        .route(
            Operation::get("/api/organisations/{organisation_id}/map-markers/{marker_id}", "getMapMarker")
                .summary("devices", "A map marker")
                .permission(Permission::ReadDevices)
                .answers::<Marker>(200)
                .tagged(),
            get_marker,
        )
        .route(
            Operation::patch("/api/organisations/{organisation_id}/map-markers/{marker_id}", "updateMapMarker")
                .summary("devices", "Change a map marker (owners)")
                .permission(Permission::ManageSettings)
                .takes::<MarkerPatch>()
                .answers::<Marker>(200)
                .conditional()
                .may_answer(&[409]),
            update_marker,
        )
        .route(
            Operation::delete("/api/organisations/{organisation_id}/map-markers/{marker_id}", "deleteMapMarker")
                .summary("devices", "Delete a map marker (owners)")
                .permission(Permission::ManageSettings)
                .answers_nothing(204)
                .conditional()
                .may_answer(&[409]),
            delete_marker,
        )
        .route(
            Operation::get("/api/organisations/{organisation_id}/map", "deviceMap")
                .summary(
                    "devices",
                    "The devices the caller may see that have a position, as an RFC 7946 GeoJSON FeatureCollection with their markers (bbox filter; paged by next_cursor)",
                )
                .access(Access::Organisation {
                    permission: Permission::ViewOrganisation,
                    admin: true,
                })
                .answers::<Map>(200)
                .answers_as(GEO_JSON)
                .query(
                    "bbox",
                    json!({ "type": "string", "minLength": 1, "maxLength": 200 }),
                    "west,south,east,north in degrees (RFC 7946 §5); west > east crosses the antimeridian.",
                )
                .query(
                    "limit",
                    json!({ "type": "integer", "minimum": 1, "maximum": 200, "default": 50 }),
                    "Devices read per page.",
                )
                .query(
                    "cursor",
                    json!({ "type": "string", "minLength": 1 }),
                    "`next_cursor` of the previous page, as given.",
                ),
            map,
        )
        .route(
            Operation::post(
                "/api/organisations/{organisation_id}/devices/{device_id}/maintenance",
                "recordMaintenance",
            )
            .summary("devices", "Append an entry to the device's maintenance history (owners; never changed or removed)")
            .permission(Permission::ManageDevices)
            .takes::<MaintenancePayload>()
            .answers::<MaintenanceEntry>(201),
            record_maintenance,
        )
        .route(
            Operation::get(
                "/api/organisations/{organisation_id}/devices/{device_id}/maintenance",
                "listMaintenance",
            )
            .summary("devices", "The device's maintenance history, newest first")
            .permission(Permission::ReadDevices)
            .lists::<MaintenanceEntry>(),
            list_maintenance,
        )
        .route(
            Operation::get("/api/organisations/{organisation_id}/devices/{device_id}/ports", "listDevicePorts")
                .summary("devices", "The device's ports as it uses them: its model's, with its own settings over them")
                .permission(Permission::ReadDevices)
                .answers::<DevicePorts>(200),
            list_ports,
        )
        .route(
            Operation::put(
                "/api/organisations/{organisation_id}/devices/{device_id}/ports/{port}",
                "setDevicePort",
            )
            .summary("devices", "Set the device's own name, unit, calibration and enabling of one of its model's ports (owners)")
            .permission(Permission::ManageDevices)
            .path_schema("port", json!({ "type": "integer", "minimum": 1, "maximum": 255 }))
            .takes::<PortPayload>()
            .answers::<EffectivePort>(200)
            .conditional(),
            set_port,
        )
        .route(
            Operation::get("/api/organisations/{organisation_id}/devices/{device_id}/latest", "deviceLatest")
                .summary("telemetry", "The device's latest values by port, and when it was last seen")
                .access(Access::Organisation {
                    permission: Permission::ViewOrganisation,
                    admin: true,
                })
                .answers::<Latest>(200),
            latest,
        )
        .route(
            Operation::get("/api/organisations/{organisation_id}/devices/{device_id}/telemetry", "deviceTelemetry")
                .summary("telemetry", "The device's points in a time range (default: the last day), oldest or newest first")
                .access(Access::Organisation {
                    permission: Permission::ViewOrganisation,
                    admin: true,
                })
                .lists::<Point>()
                .with(range_query)
                .query(
                    "order",
                    json!({ "type": "string", "enum": ["asc", "desc"], "default": "asc" }),
                    "Oldest first (asc) or newest first (desc).",
                ),
            telemetry,
        )
        .route(
            Operation::get(
                "/api/organisations/{organisation_id}/devices/{device_id}/telemetry/aggregate",
                "deviceTelemetryAggregate",
            )
            .summary("telemetry", "Min, max, average and count of each port per interval, for charts")
            .access(Access::Organisation {
                permission: Permission::ViewOrganisation,
                admin: true,
            })
            .answers::<Aggregate>(200)
            .with(range_query)
            .query(
                "interval",
                json!({ "type": "integer", "minimum": 1, "maximum": 86400, "default": 3600 }),
                "Seconds per bucket.",
            ),
            aggregate,
        )
        .with_state(DevicesApi { identity, devices })
}

/// The largest import file taken: Lambda's limit on a synchronous request (6 MB), about
/// 100,000 rows of IMEI, model and organisation.
pub const IMPORT_LIMIT: usize = 6 * 1000 * 1000;

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

fn with_etag<T: Serialize>(status: StatusCode, version: u64, body: T) -> Response {
    (status, [(header::ETAG, etag(version))], Json(body)).into_response()
}

async fn create_model(
    State(state): State<DevicesApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Valid(Shape(body)): Valid<Shape<DeviceModelPayload>>,
) -> Result<Response> {
    let admin = require_platform_admin(&principal)?;
    let input = ModelInput::parse(body)?;
    let (model, version) = state.devices.create_model(&admin, &context, input).await?;
    Ok(with_etag(StatusCode::CREATED, version, model))
}

async fn list_models(State(state): State<DevicesApi>, Caller(_): Caller, paging: Paging) -> Result<Response> {
    let (models, next) = state.devices.models(paging.limit, paging.cursor).await?;
    Ok(page(models, next).into_response())
}

async fn get_model(
    State(state): State<DevicesApi>,
    Caller(_): Caller,
    Ids(id): Ids<DeviceModelId>,
) -> Result<Response> {
    let (model, version) = state.devices.model(id).await?;
    Ok(with_etag(StatusCode::OK, version, model))
}

async fn replace_model(
    State(state): State<DevicesApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids(id): Ids<DeviceModelId>,
    IfMatch(expected): IfMatch,
    Valid(Shape(body)): Valid<Shape<DeviceModelPayload>>,
) -> Result<Response> {
    let admin = require_platform_admin(&principal)?;
    let input = ModelInput::parse(body)?;
    let (model, version) = state
        .devices
        .replace_model(&admin, &context, id, input, expected)
        .await?;
    Ok(with_etag(StatusCode::OK, version, model))
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

/// The filters of `GET …/devices`.
#[derive(Deserialize)]
struct DeviceQuery {
    company_id: Option<String>,
    model_id: Option<String>,
    environment_id: Option<String>,
    status: Option<String>,
    sim_iccid: Option<String>,
}

async fn list_organisation_devices(
    State(state): State<DevicesApi>,
    Caller(principal): Caller,
    Ids(organisation): Ids<OrganisationId>,
    Params(query): Params<DeviceQuery>,
    paging: Paging,
) -> Result<Response> {
    let mut errors = Collector::new();
    let company_id = query
        .company_id
        .and_then(|id| errors.check(OrganisationId::parse(&id, "company_id")));
    let model_id = query
        .model_id
        .and_then(|id| errors.check(DeviceModelId::parse(&id, "model_id")));
    let environment_id = query
        .environment_id
        .and_then(|id| errors.check(EnvironmentId::parse(&id, "environment_id")));
    let status = query.status.and_then(|status| {
        let parsed = serde_json::from_value::<DeviceStatus>(json!(status)).ok();
        if parsed.is_none() {
            errors.push(
                "status",
                "invalid_status",
                "active, inactive, maintenance or decommissioned",
            );
        }
        parsed
    });
    let sim_iccid = query
        .sim_iccid
        .and_then(|iccid| errors.check(Iccid::parse(&iccid, "sim_iccid")));
    let filter = errors.finish(|| DeviceFilter {
        company_id,
        model_id,
        environment_id,
        status,
        sim_iccid,
    })?;
    let (devices, next) = state
        .devices
        .organisation_devices(&principal, organisation, filter, paging.limit, paging.cursor)
        .await?;
    Ok(page(devices, next).into_response())
}

async fn get_organisation_device(
    State(state): State<DevicesApi>,
    Caller(principal): Caller,
    Ids((organisation, id)): Ids<(OrganisationId, DeviceId)>,
) -> Result<Response> {
    let (device, version) = state.devices.organisation_device(&principal, organisation, id).await?;
    Ok(with_etag(StatusCode::OK, version, device))
}

async fn update_device(
    State(state): State<DevicesApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids((organisation, id)): Ids<(OrganisationId, DeviceId)>,
    IfMatch(expected): IfMatch,
    Valid(Shape(body)): Valid<Shape<DevicePatchPayload>>,
) -> Result<Response> {
    let patch = DevicePatch::parse(body)?;
    let (device, version) = state
        .devices
        .update_device(&principal, &context, organisation, id, patch, expected)
        .await?;
    Ok(with_etag(StatusCode::OK, version, device))
}

async fn issue_credentials(
    State(state): State<DevicesApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids((organisation, id)): Ids<(OrganisationId, DeviceId)>,
) -> Result<Response> {
    let issued = state
        .devices
        .issue_credentials(&principal, &context, organisation, id)
        .await?;
    // Shown once: no cache may keep the private key or password.
    Ok((StatusCode::CREATED, [(header::CACHE_CONTROL, "no-store")], Json(issued)).into_response())
}

async fn revoke_credentials(
    State(state): State<DevicesApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids((organisation, id)): Ids<(OrganisationId, DeviceId)>,
) -> Result<StatusCode> {
    state
        .devices
        .revoke_credentials(&principal, &context, organisation, id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn send_command(
    State(state): State<DevicesApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids((organisation, id)): Ids<(OrganisationId, DeviceId)>,
    Valid(Shape(body)): Valid<Shape<CommandPayload>>,
) -> Result<Response> {
    let command = state
        .devices
        .send_command(&principal, &context, organisation, id, body)
        .await?;
    Ok((StatusCode::CREATED, Json(command)).into_response())
}

async fn list_commands(
    State(state): State<DevicesApi>,
    Caller(principal): Caller,
    Ids((organisation, id)): Ids<(OrganisationId, DeviceId)>,
    paging: Paging,
) -> Result<Response> {
    let (commands, next) = state
        .devices
        .commands(&principal, organisation, id, paging.limit, paging.cursor)
        .await?;
    Ok(page(commands, next).into_response())
}

async fn create_environment(
    State(state): State<DevicesApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids(organisation): Ids<OrganisationId>,
    Valid(Shape(body)): Valid<Shape<EnvironmentPayload>>,
) -> Result<Response> {
    let (environment, version) = state
        .devices
        .create_environment(&principal, &context, organisation, body)
        .await?;
    Ok(with_etag(StatusCode::CREATED, version, environment))
}

async fn list_environments(
    State(state): State<DevicesApi>,
    Caller(principal): Caller,
    Ids(organisation): Ids<OrganisationId>,
    paging: Paging,
) -> Result<Response> {
    let (environments, next) = state
        .devices
        .environments(&principal, organisation, paging.limit, paging.cursor)
        .await?;
    Ok(page(environments, next).into_response())
}

async fn get_environment(
    State(state): State<DevicesApi>,
    Caller(principal): Caller,
    Ids((organisation, id)): Ids<(OrganisationId, EnvironmentId)>,
) -> Result<Response> {
    let (environment, version) = state.devices.environment(&principal, organisation, id).await?;
    Ok(with_etag(StatusCode::OK, version, environment))
}

async fn update_environment(
    State(state): State<DevicesApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids((organisation, id)): Ids<(OrganisationId, EnvironmentId)>,
    IfMatch(expected): IfMatch,
    Valid(Shape(body)): Valid<Shape<EnvironmentPatch>>,
) -> Result<Response> {
    let (environment, version) = state
        .devices
        .update_environment(&principal, &context, organisation, id, body, expected)
        .await?;
    Ok(with_etag(StatusCode::OK, version, environment))
}

async fn delete_environment(
    State(state): State<DevicesApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids((organisation, id)): Ids<(OrganisationId, EnvironmentId)>,
    IfMatch(expected): IfMatch,
) -> Result<StatusCode> {
    state
        .devices
        .delete_environment(&principal, &context, organisation, id, expected)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn create_alert_rule(
    State(state): State<DevicesApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids(organisation): Ids<OrganisationId>,
    Valid(Shape(body)): Valid<Shape<AlertRulePayload>>,
) -> Result<Response> {
    let (rule, version) = state
        .devices
        .create_alert_rule(&principal, &context, organisation, body)
        .await?;
    Ok(with_etag(StatusCode::CREATED, version, rule))
}

async fn list_alert_rules(
    State(state): State<DevicesApi>,
    Caller(principal): Caller,
    Ids(organisation): Ids<OrganisationId>,
    paging: Paging,
) -> Result<Response> {
    let (rules, next) = state
        .devices
        .alert_rules(&principal, organisation, paging.limit, paging.cursor)
        .await?;
    Ok(page(rules, next).into_response())
}

async fn get_alert_rule(
    State(state): State<DevicesApi>,
    Caller(principal): Caller,
    Ids((organisation, id)): Ids<(OrganisationId, AlertRuleId)>,
) -> Result<Response> {
    let (rule, version) = state.devices.alert_rule(&principal, organisation, id).await?;
    Ok(with_etag(StatusCode::OK, version, rule))
}

async fn update_alert_rule(
    State(state): State<DevicesApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids((organisation, id)): Ids<(OrganisationId, AlertRuleId)>,
    IfMatch(expected): IfMatch,
    Valid(Shape(body)): Valid<Shape<AlertRulePatch>>,
) -> Result<Response> {
    let (rule, version) = state
        .devices
        .update_alert_rule(&principal, &context, organisation, id, body, expected)
        .await?;
    Ok(with_etag(StatusCode::OK, version, rule))
}

async fn delete_alert_rule(
    State(state): State<DevicesApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids((organisation, id)): Ids<(OrganisationId, AlertRuleId)>,
    IfMatch(expected): IfMatch,
) -> Result<StatusCode> {
    state
        .devices
        .delete_alert_rule(&principal, &context, organisation, id, expected)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The filters of `GET …/alerts`.
#[derive(Deserialize)]
struct AlertQuery {
    status: Option<String>,
    severity: Option<String>,
    device_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

async fn list_alerts(
    State(state): State<DevicesApi>,
    Caller(principal): Caller,
    Ids(organisation): Ids<OrganisationId>,
    Params(query): Params<AlertQuery>,
    paging: Paging,
) -> Result<Response> {
    let filter = AlertFilter::parse(
        query.status.as_deref(),
        query.severity.as_deref(),
        query.device_id.as_deref(),
        query.from.as_deref(),
        query.to.as_deref(),
    )?;
    let (alerts, next) = state
        .devices
        .alerts(&principal, organisation, filter, paging.limit, paging.cursor)
        .await?;
    Ok(page(alerts, next).into_response())
}

async fn get_alert(
    State(state): State<DevicesApi>,
    Caller(principal): Caller,
    Ids((organisation, id)): Ids<(OrganisationId, AlertId)>,
) -> Result<Json<Alert>> {
    let (alert, _) = state.devices.alert(&principal, organisation, id).await?;
    Ok(Json(alert))
}

async fn acknowledge_alert(
    State(state): State<DevicesApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids((organisation, id)): Ids<(OrganisationId, AlertId)>,
    Valid(Shape(body)): Valid<Shape<AcknowledgePayload>>,
) -> Result<Json<Alert>> {
    let comment = body.parse()?;
    Ok(Json(
        state
            .devices
            .acknowledge_alert(&principal, &context, organisation, id, comment)
            .await?,
    ))
}

async fn clear_alert(
    State(state): State<DevicesApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids((organisation, id)): Ids<(OrganisationId, AlertId)>,
    Valid(Shape(body)): Valid<Shape<ClearPayload>>,
) -> Result<Json<Alert>> {
    let comment = body.parse()?;
    Ok(Json(
        state
            .devices
            .clear_alert(&principal, &context, organisation, id, comment)
            .await?,
    ))
}

async fn create_marker(
    State(state): State<DevicesApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids(organisation): Ids<OrganisationId>,
    Valid(Shape(body)): Valid<Shape<MarkerPayload>>,
) -> Result<Response> {
    let (marker, version) = state
        .devices
        .create_marker(&principal, &context, organisation, body)
        .await?;
    Ok(with_etag(StatusCode::CREATED, version, marker))
}

async fn list_markers(
    State(state): State<DevicesApi>,
    Caller(principal): Caller,
    Ids(organisation): Ids<OrganisationId>,
    paging: Paging,
) -> Result<Response> {
    let (markers, next) = state
        .devices
        .markers(&principal, organisation, paging.limit, paging.cursor)
        .await?;
    Ok(page(markers, next).into_response())
}

async fn get_marker(
    State(state): State<DevicesApi>,
    Caller(principal): Caller,
    Ids((organisation, id)): Ids<(OrganisationId, MarkerId)>,
) -> Result<Response> {
    let (marker, version) = state.devices.marker(&principal, organisation, id).await?;
    Ok(with_etag(StatusCode::OK, version, marker))
}

async fn update_marker(
    State(state): State<DevicesApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids((organisation, id)): Ids<(OrganisationId, MarkerId)>,
    IfMatch(expected): IfMatch,
    Valid(Shape(body)): Valid<Shape<MarkerPatch>>,
) -> Result<Response> {
    let (marker, version) = state
        .devices
        .update_marker(&principal, &context, organisation, id, body, expected)
        .await?;
    Ok(with_etag(StatusCode::OK, version, marker))
}

async fn delete_marker(
    State(state): State<DevicesApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids((organisation, id)): Ids<(OrganisationId, MarkerId)>,
    IfMatch(expected): IfMatch,
) -> Result<StatusCode> {
    state
        .devices
        .delete_marker(&principal, &context, organisation, id, expected)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// RFC 7946's media type.
const GEO_JSON: &str = "application/geo+json";

/// The `bbox` of `GET …/map`.
#[derive(Deserialize)]
struct MapQuery {
    bbox: Option<String>,
}

async fn map(
    State(state): State<DevicesApi>,
    Caller(principal): Caller,
    Ids(organisation): Ids<OrganisationId>,
    Params(query): Params<MapQuery>,
    paging: Paging,
) -> Result<Response> {
    let bbox = query.bbox.as_deref().map(BoundingBox::parse).transpose()?;
    let map = state
        .devices
        .map(&principal, organisation, bbox, paging.limit, paging.cursor)
        .await?;
    Ok(([(header::CONTENT_TYPE, GEO_JSON)], Json(map)).into_response())
}

async fn record_maintenance(
    State(state): State<DevicesApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids((organisation, id)): Ids<(OrganisationId, DeviceId)>,
    Valid(Shape(body)): Valid<Shape<MaintenancePayload>>,
) -> Result<Response> {
    let entry = state
        .devices
        .record_maintenance(&principal, &context, organisation, id, body)
        .await?;
    Ok((StatusCode::CREATED, Json(entry)).into_response())
}

async fn list_maintenance(
    State(state): State<DevicesApi>,
    Caller(principal): Caller,
    Ids((organisation, id)): Ids<(OrganisationId, DeviceId)>,
    paging: Paging,
) -> Result<Response> {
    let (entries, next) = state
        .devices
        .maintenance(&principal, organisation, id, paging.limit, paging.cursor)
        .await?;
    Ok(page(entries, next).into_response())
}

async fn list_ports(
    State(state): State<DevicesApi>,
    Caller(principal): Caller,
    Ids((organisation, id)): Ids<(OrganisationId, DeviceId)>,
) -> Result<Json<DevicePorts>> {
    Ok(Json(state.devices.ports(&principal, organisation, id).await?))
}

async fn set_port(
    State(state): State<DevicesApi>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids((organisation, id, port)): Ids<(OrganisationId, DeviceId, u8)>,
    IfMatch(expected): IfMatch,
    Valid(Shape(body)): Valid<Shape<PortPayload>>,
) -> Result<Response> {
    let (port, version) = state
        .devices
        .set_port(&principal, &context, organisation, (id, port), body, expected)
        .await?;
    Ok(with_etag(StatusCode::OK, version, port))
}

/// The `from`, `to` and `ports` of the telemetry queries.
fn range_query(operation: Operation) -> Operation {
    operation
        .query(
            "from",
            json!({ "type": "string", "format": "date-time" }),
            "RFC 3339; a day before `to` if left out.",
        )
        .query(
            "to",
            json!({ "type": "string", "format": "date-time" }),
            "RFC 3339; now if left out.",
        )
        .query(
            "ports",
            json!({ "type": "string", "pattern": "^[0-9]{1,3}(,[0-9]{1,3})*$" }),
            "Port numbers, comma-separated; every port if left out.",
        )
}

#[derive(Deserialize)]
struct TelemetryQuery {
    from: Option<String>,
    to: Option<String>,
    ports: Option<String>,
    order: Option<String>,
    interval: Option<String>,
}

impl TelemetryQuery {
    fn range(&self, devices: &Devices) -> std::result::Result<Range, ValidationErrors> {
        let now = stratum_shared::time::Timestamp::new(devices.clock.now());
        Range::parse(self.from.as_deref(), self.to.as_deref(), self.ports.as_deref(), now)
    }
}

async fn latest(
    State(state): State<DevicesApi>,
    Caller(principal): Caller,
    Ids((organisation, id)): Ids<(OrganisationId, DeviceId)>,
) -> Result<Json<Latest>> {
    Ok(Json(state.devices.latest(&principal, organisation, id).await?))
}

async fn telemetry(
    State(state): State<DevicesApi>,
    Caller(principal): Caller,
    Ids((organisation, id)): Ids<(OrganisationId, DeviceId)>,
    Params(query): Params<TelemetryQuery>,
    paging: Paging,
) -> Result<Response> {
    let range = query.range(&state.devices)?;
    let newest_first = match query.order.as_deref() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(_) => return Err(ValidationErrors::single("order", "invalid_order", "asc or desc").into()),
    };
    let (points, next) = state
        .devices
        .points(
            &principal,
            organisation,
            id,
            (range, newest_first),
            paging.limit,
            paging.cursor,
        )
        .await?;
    Ok(page(points, next).into_response())
}

async fn aggregate(
    State(state): State<DevicesApi>,
    Caller(principal): Caller,
    Ids((organisation, id)): Ids<(OrganisationId, DeviceId)>,
    Params(query): Params<TelemetryQuery>,
) -> Result<Json<Aggregate>> {
    let range = query.range(&state.devices)?;
    let interval = match query.interval.as_deref().map(str::parse::<u32>) {
        None => 3_600,
        Some(Ok(seconds)) if (1..=86_400).contains(&seconds) => seconds,
        Some(_) => {
            return Err(ValidationErrors::single("interval", "out_of_range", "1 to 86,400 seconds").into());
        }
    };
    Ok(Json(
        state
            .devices
            .aggregate(&principal, organisation, id, range, interval)
            .await?,
    ))
}
