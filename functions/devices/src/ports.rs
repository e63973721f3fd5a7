//! A device's ports as it uses them: its model's, with the device's own name, unit,
//! calibration and enabling over them.

use super::{DevicesApi, Result};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;
use stratum_infra::http::{Api, Caller, Context, Ids, IfMatch, Operation, Shape, Valid, with_etag};
use stratum_shared::devices::{DevicePorts, EffectivePort, PortPayload};
use stratum_shared::ids::{DeviceId, OrganisationId};
use stratum_shared::tenancy::Permission;

pub(crate) fn routes(api: Api<DevicesApi>) -> Api<DevicesApi> {
    api.route(
        Operation::get(
            "/api/organisations/{organisation_id}/devices/{device_id}/ports",
            "listDevicePorts",
        )
        .summary(
            "devices",
            "The device's ports as it uses them: its model's, with its own settings over them",
        )
        .permission(Permission::ReadDevices)
        .answers::<DevicePorts>(200),
        list_ports,
    )
    .route(
        Operation::put(
            "/api/organisations/{organisation_id}/devices/{device_id}/ports/{port}",
            "setDevicePort",
        )
        .summary(
            "devices",
            "Set the device's own name, unit, calibration and enabling of one of its model's ports (owners)",
        )
        .permission(Permission::ManageDevices)
        .path_schema("port", json!({ "type": "integer", "minimum": 1, "maximum": 255 }))
        .takes::<PortPayload>()
        .answers::<EffectivePort>(200)
        .conditional(),
        set_port,
    )
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
