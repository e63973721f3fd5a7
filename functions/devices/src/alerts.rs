//! Alerts the rules raised: listed and filtered as the caller may see them, acknowledged and
//! cleared by hand by operators and owners.

use super::{DevicesApi, Result};
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use stratum_infra::http::{Access, Api, Caller, Context, Ids, Operation, Paging, Params, Shape, Valid, page};
use stratum_shared::alerts::Alert;
use stratum_shared::devices::{AcknowledgePayload, AlertFilter, ClearPayload};
use stratum_shared::ids::{AlertId, OrganisationId};
use stratum_shared::tenancy::Permission;

pub(crate) fn routes(api: Api<DevicesApi>) -> Api<DevicesApi> {
    api.route(
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
