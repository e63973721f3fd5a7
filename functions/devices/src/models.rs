//! Device models (platform admins define them; everyone signed in reads them): the ports
//! a device of the model reports and how long it may stay silent.

use super::{DevicesApi, Result};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use stratum_infra::http::{
    Access, Api, Caller, Context, Ids, IfMatch, Operation, Paging, Shape, Valid, page, with_etag,
};
use stratum_shared::devices::{DeviceModel, DeviceModelPayload, ModelInput};
use stratum_shared::identity::require_platform_admin;
use stratum_shared::ids::DeviceModelId;

pub(crate) fn routes(api: Api<DevicesApi>) -> Api<DevicesApi> {
    api.route(
        Operation::post("/api/device-models", "createDeviceModel")
            .summary(
                "devices",
                "Define a device model: its ports and inactivity timeout (platform admins)",
            )
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
