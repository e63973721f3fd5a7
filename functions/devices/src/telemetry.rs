//! A device's telemetry: its latest values, its points in a time range, and their
//! per-interval aggregates for charts.

use super::{DevicesApi, Result};
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use stratum_infra::http::{Access, Api, Caller, Ids, Operation, Paging, Params, page};
use stratum_shared::devices::{Aggregate, Devices, Latest, Point, Range};
use stratum_shared::ids::{DeviceId, OrganisationId};
use stratum_shared::tenancy::Permission;
use stratum_shared::validation::ValidationErrors;

pub(crate) fn routes(api: Api<DevicesApi>) -> Api<DevicesApi> {
    api.route(
        Operation::get(
            "/api/organisations/{organisation_id}/devices/{device_id}/latest",
            "deviceLatest",
        )
        .summary(
            "telemetry",
            "The device's latest values by port, and when it was last seen",
        )
        .access(Access::Organisation {
            permission: Permission::ViewOrganisation,
            admin: true,
        })
        .answers::<Latest>(200),
        latest,
    )
    .route(
        Operation::get(
            "/api/organisations/{organisation_id}/devices/{device_id}/telemetry",
            "deviceTelemetry",
        )
        .summary(
            "telemetry",
            "The device's points in a time range (default: the last day), oldest or newest first",
        )
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
        .summary(
            "telemetry",
            "Min, max, average and count of each port per interval, for charts",
        )
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
