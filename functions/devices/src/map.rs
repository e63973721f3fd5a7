//! The map: markers a root organisation defines for its environments', models' or statuses'
//! devices, and the devices with a position as a GeoJSON FeatureCollection drawn with them.

use super::{DevicesApi, Result};
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use stratum_infra::http::{
    Access, Api, Caller, Context, Ids, IfMatch, Operation, Paging, Params, Shape, Valid, page, with_etag,
};
use stratum_shared::devices::{BoundingBox, Map, Marker, MarkerPatch, MarkerPayload};
use stratum_shared::ids::{MarkerId, OrganisationId};
use stratum_shared::tenancy::Permission;

pub(crate) fn routes(api: Api<DevicesApi>) -> Api<DevicesApi> {
    api.route(
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
