//! A device's credentials (owners): issued and shown once, and revoked before new ones can be
//! issued.

use super::{DevicesApi, Result};
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use stratum_infra::http::{Api, Caller, Context, Ids, Operation};
use stratum_shared::devices::IssuedCredentials;
use stratum_shared::ids::{DeviceId, OrganisationId};
use stratum_shared::tenancy::Permission;

pub(crate) fn routes(api: Api<DevicesApi>) -> Api<DevicesApi> {
    api.route(
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
