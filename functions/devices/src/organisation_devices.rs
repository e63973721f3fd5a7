//! An organisation's devices as its members see them: the list (filtered, and narrowed to a
//! company's or an end user's own), one device, and its configuration by owners.

use super::{DevicesApi, Result};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use stratum_infra::http::{
    Access, Api, Caller, Context, Ids, IfMatch, Operation, Paging, Params, Shape, Valid, page, with_etag,
};
use stratum_shared::devices::{Device, DeviceFilter, DevicePatch, DevicePatchPayload, DeviceStatus};
use stratum_shared::ids::{DeviceId, DeviceModelId, EnvironmentId, OrganisationId};
use stratum_shared::telecom::Iccid;
use stratum_shared::tenancy::Permission;
use stratum_shared::validation::Collector;

pub(crate) fn routes(api: Api<DevicesApi>) -> Api<DevicesApi> {
    api.route(
        Operation::get(
            "/api/organisations/{organisation_id}/devices",
            "listOrganisationDevices",
        )
        .summary(
            "devices",
            "The organisation's devices the caller may see: all (staff), a company's, or an end user's own",
        )
        .access(Access::Organisation {
            permission: Permission::ViewOrganisation,
            admin: true,
        })
        .lists::<Device>()
        .query(
            "company_id",
            json!({ "type": "string", "format": "uuid" }),
            "Only devices in this company.",
        )
        .query(
            "model_id",
            json!({ "type": "string", "format": "uuid" }),
            "Only devices of this model.",
        )
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
        Operation::get(
            "/api/organisations/{organisation_id}/devices/{device_id}",
            "getOrganisationDevice",
        )
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
        Operation::patch(
            "/api/organisations/{organisation_id}/devices/{device_id}",
            "updateDevice",
        )
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
