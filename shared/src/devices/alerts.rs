//! An organisation's alerts, as its people read and handle them (issue 14, item 4): listed by
//! status, severity, device and time (a device's list is its alert history), acknowledged
//! with a comment and cleared by operators and owners. Company staff see their company's
//! devices' alerts; an end user those of their own devices.

use super::Devices;
use super::reach::Fleet;
use crate::alerts::{Alarms, Alert, AlertStatus, ClearedBy, Lost, Severity};
use crate::audit::RequestContext;
use crate::error::{DomainError, DomainResult};
use crate::identity::Principal;
use crate::ids::{AlertId, DeviceId, OrganisationId};
use crate::store::{Cursor, Index, Item, Key, Query, SortCondition};
use crate::tenancy::{HandleAlerts, ViewOrganisation};
use crate::time::Timestamp;
use crate::validation::{Collector, ValidationErrors, free_text};
use crate::{keys, schema};
use chrono::DateTime;
use serde::Deserialize;
use serde_json::json;

const MAX_COMMENT_CHARS: usize = 1000;
/// Times a change is planned again after losing a race with another change of the alert.
const ATTEMPTS: usize = 3;

/// What `GET …/alerts` filters by.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertFilter {
    pub status: Option<AlertStatus>,
    pub severity: Option<Severity>,
    pub device_id: Option<DeviceId>,
    /// Raised at or after.
    pub from: Option<Timestamp>,
    /// Raised at or before.
    pub to: Option<Timestamp>,
}

impl AlertFilter {
    /// The filters of a query: `status`, `severity`, `device_id`, and `from` and `to` (RFC
    /// 3339, 1970 to 2286).
    pub fn parse(
        status: Option<&str>,
        severity: Option<&str>,
        device_id: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<AlertFilter, ValidationErrors> {
        let mut errors = Collector::new();
        let status = status.and_then(|text| {
            let parsed = serde_json::from_value::<AlertStatus>(json!(text)).ok();
            if parsed.is_none() {
                errors.push(
                    "status",
                    "invalid_status",
                    "active_unacknowledged, active_acknowledged, cleared_unacknowledged or cleared_acknowledged",
                );
            }
            parsed
        });
        let severity = severity.and_then(|text| {
            let parsed = serde_json::from_value::<Severity>(json!(text)).ok();
            if parsed.is_none() {
                errors.push(
                    "severity",
                    "invalid_severity",
                    "critical, major, minor, warning or info",
                );
            }
            parsed
        });
        let device_id = device_id.and_then(|id| errors.check(DeviceId::parse(id, "device_id")));
        let mut instant = |field: &str, text: Option<&str>| {
            let at = text.map(|text| DateTime::parse_from_rfc3339(text).map(|at| Timestamp::new(at.to_utc())));
            match at {
                None => None,
                Some(Ok(at)) if (0..10_000_000_000_000).contains(&at.unix_millis()) => Some(at),
                Some(Ok(_)) => {
                    errors.push(field, "out_of_range", "from 1970 to 2286");
                    None
                }
                Some(Err(_)) => {
                    errors.push(field, "invalid_date_time", "an RFC 3339 date-time");
                    None
                }
            }
        };
        let from = instant("from", from);
        let to = instant("to", to);
        if from.zip(to).is_some_and(|(from, to)| from > to) {
            errors.push("from", "after_to", "from comes before to");
        }
        errors.finish(|| AlertFilter {
            status,
            severity,
            device_id,
            from,
            to,
        })
    }
}

/// `POST …/alerts/{alert_id}/acknowledge`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AcknowledgeAlertRequest)]
pub struct AcknowledgePayload {
    /// What is being done about it.
    #[schema(schema_with = comment)]
    pub comment: String,
}

/// `POST …/alerts/{alert_id}/clear`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ClearAlertRequest)]
pub struct ClearPayload {
    #[schema(schema_with = optional_comment)]
    pub comment: Option<String>,
}

fn comment() -> utoipa::openapi::schema::Object {
    schema::free_text(MAX_COMMENT_CHARS)
}

fn optional_comment() -> utoipa::openapi::schema::Schema {
    schema::nullable(comment())
}

impl AcknowledgePayload {
    pub fn parse(self) -> Result<String, ValidationErrors> {
        free_text("comment", &self.comment, MAX_COMMENT_CHARS)
    }
}

impl ClearPayload {
    pub fn parse(self) -> Result<Option<String>, ValidationErrors> {
        self.comment
            .map(|comment| free_text("comment", &comment, MAX_COMMENT_CHARS))
            .transpose()
    }
}

fn changed() -> DomainError {
    DomainError::conflict("alert_changed", "the alert kept changing meanwhile; read it again")
}

impl Fleet {
    /// Whether the caller reads and handles `alert`: where the device was when it was raised
    /// decides, wherever it is now (SPEC §2: the earlier holder keeps what is theirs, the next
    /// sees nothing from before).
    fn sees_alert(&self, alert: &Alert) -> bool {
        alert.organisation_id == self.root && alert.placement().seen_by(&self.reader())
    }
}

/// The bounds of a time range as sort keys under `prefix`, both included (parsing made sure
/// `from` is at most `to`, so the bounds never cross).
fn time_range(prefix: &str, filter: &AlertFilter) -> SortCondition {
    let from = filter.from.map_or(0, |from| from.unix_millis());
    let to = filter.to.map_or(9_999_999_999_999, |to| to.unix_millis());
    SortCondition::Between(format!("{prefix}{from:013}"), format!("{prefix}{to:013}~"))
}

impl Devices {
    /// A page of the organisation's alerts the caller may see, newest first: a keyed query of
    /// the device's alerts (with `device_id`), of one status's, or of all of them; the other
    /// filters applied to the page read.
    pub async fn alerts(
        &self,
        principal: &Principal,
        organisation_id: OrganisationId,
        filter: AlertFilter,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> DomainResult<(Vec<Alert>, Option<Cursor>)> {
        let fleet = Fleet::of::<ViewOrganisation>(self, principal, organisation_id).await?;
        let query = match (filter.device_id, filter.status) {
            (Some(device), _) => Query::new(Index::Table, keys::device_alerts_partition(fleet.root, device))
                .sort(time_range(keys::DEVICE_ALERTS_PREFIX, &filter)),
            (None, Some(status)) => Query::new(Index::Gsi2, keys::alerts_in_status(fleet.root, status.as_str()))
                .sort(time_range("", &filter)),
            (None, None) => Query::new(Index::Gsi1, keys::alerts_partition(fleet.root)).sort(time_range("", &filter)),
        };
        let page = self.store.query(&query.descending().limit(limit).after(cursor)).await?;
        let mut alerts = Vec::new();
        for item in &page.items {
            let alert: Alert = item.record()?;
            let wanted = filter.status.is_none_or(|status| alert.status == status)
                && filter.severity.is_none_or(|severity| alert.severity == severity);
            if wanted && fleet.sees_alert(&alert) {
                alerts.push(alert);
            }
        }
        Ok((alerts, page.next))
    }

    /// An alert the caller may see, with its version.
    pub async fn alert(
        &self,
        principal: &Principal,
        organisation_id: OrganisationId,
        id: AlertId,
    ) -> DomainResult<(Alert, u64)> {
        let fleet = Fleet::of::<ViewOrganisation>(self, principal, organisation_id).await?;
        self.alert_in(&fleet, id).await
    }

    async fn alert_in(&self, fleet: &Fleet, id: AlertId) -> DomainResult<(Alert, u64)> {
        let pointer = self
            .store
            .get(&keys::alert_pointer(id))
            .await?
            .ok_or(DomainError::NotFound)?;
        let text = |name: &str| {
            pointer
                .attribute(name)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned()
        };
        let item: Item = self
            .store
            .get(&Key::new(text("alert_pk"), text("alert_sk")))
            .await?
            .ok_or(DomainError::NotFound)?;
        let alert: Alert = item.record()?;
        // The same reach as the list's: one alert agrees with the list it is in.
        if !fleet.sees_alert(&alert) {
            return Err(DomainError::NotFound);
        }
        Ok((alert, item.version))
    }

    /// Acknowledges an alert, active or cleared, with a comment (operators and owners).
    pub async fn acknowledge_alert(
        &self,
        principal: &Principal,
        context: &RequestContext,
        organisation_id: OrganisationId,
        id: AlertId,
        comment: String,
    ) -> DomainResult<Alert> {
        let fleet = Fleet::of::<HandleAlerts>(self, principal, organisation_id).await?;
        for _ in 0..ATTEMPTS {
            let (alert, version) = self.alert_in(&fleet, id).await?;
            if alert.status.is_acknowledged() {
                return Err(DomainError::conflict(
                    "already_acknowledged",
                    "the alert is acknowledged",
                ));
            }
            match self
                .alarms()
                .acknowledge(&alert, version, principal, context, comment.clone())
                .await
            {
                Ok(acknowledged) => return Ok(acknowledged),
                Err(Lost::Raced) => continue,
                Err(Lost::Failed(error)) => return Err(error),
            }
        }
        Err(changed())
    }

    /// Clears an active alert by hand (operators and owners): e-mailed as a clear, and the
    /// device's next breach raises a new one.
    pub async fn clear_alert(
        &self,
        principal: &Principal,
        context: &RequestContext,
        organisation_id: OrganisationId,
        id: AlertId,
        comment: Option<String>,
    ) -> DomainResult<Alert> {
        let fleet = Fleet::of::<HandleAlerts>(self, principal, organisation_id).await?;
        for _ in 0..ATTEMPTS {
            let (alert, version) = self.alert_in(&fleet, id).await?;
            if !alert.status.is_active() {
                return Err(DomainError::conflict("already_cleared", "the alert is cleared"));
            }
            let by = ClearedBy {
                actor: principal.actor(),
                user: principal.user.id,
                context: context.clone(),
            };
            match self.alarms().clear(&alert, version, Some(by), comment.clone()).await {
                Ok(cleared) => return Ok(cleared),
                Err(Lost::Raced) => continue,
                Err(Lost::Failed(error)) => return Err(error),
            }
        }
        Err(changed())
    }

    fn alarms(&self) -> Alarms<'_> {
        Alarms {
            store: &*self.store,
            notices: &self.notices,
            now: self.now(),
        }
    }
}
