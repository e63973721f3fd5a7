//! A device's maintenance history: appended to by owners, never changed or removed.

use super::{DevicesApi, Result};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use stratum_infra::http::{Api, Caller, Context, Ids, Operation, Paging, Shape, Valid, page};
use stratum_shared::devices::{MaintenanceEntry, MaintenancePayload};
use stratum_shared::ids::{DeviceId, OrganisationId};
use stratum_shared::tenancy::Permission;

pub(crate) fn routes(api: Api<DevicesApi>) -> Api<DevicesApi> {
    api.route(
        Operation::post(
            "/api/organisations/{organisation_id}/devices/{device_id}/maintenance",
            "recordMaintenance",
        )
        .summary(
            "devices",
            "Append an entry to the device's maintenance history (owners; never changed or removed)",
        )
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
