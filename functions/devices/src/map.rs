//! The map: the devices with a position as a GeoJSON FeatureCollection, drawn with the markers
//! a root organisation defines for its environments', models' or statuses' devices.

use super::{DevicesApi, Result};
use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use stratum_infra::http::{Access, Api, Caller, Ids, Operation, Paging, Params};
use stratum_shared::devices::{BoundingBox, Map};
use stratum_shared::ids::OrganisationId;
use stratum_shared::tenancy::Permission;

pub(crate) fn routes(api: Api<DevicesApi>) -> Api<DevicesApi> {
    api.route(
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
