//! Commands to a device: sent over MQTT, recorded and audited, and listed newest first.

use super::{DevicesApi, Result};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use stratum_infra::http::{Api, Caller, Context, Ids, Operation, Paging, Shape, Valid, page};
use stratum_shared::devices::{Command, CommandPayload};
use stratum_shared::ids::{DeviceId, OrganisationId};
use stratum_shared::tenancy::Permission;

pub(crate) fn routes(api: Api<DevicesApi>) -> Api<DevicesApi> {
    api.route(
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
