//! Alerts (issue 14, item 4; SPEC §7): raised for a device by an alert rule's breach, by its
//! silence past its model's inactivity timeout (`offline`), or by it reporting an IMEI other
//! than its SIM's lock (`sim_mismatch`); acknowledged and cleared by operators and owners, or
//! cleared by the device itself.
//!
//! One open alert per (device, source): raising puts the source's open marker only if it is
//! absent, in one transaction with the alert, its audit event and its e-mails, so however many
//! messages race across a threshold one of them raises and one e-mail per person goes out.
//! Clearing deletes the marker only if it still names the alert, in the alert's transaction.
//!
//! Statuses: `active_unacknowledged → active_acknowledged`, and clearing either makes it
//! `cleared_unacknowledged` or `cleared_acknowledged` (acknowledging then is still possible).

mod rules;

pub(crate) use rules::Watched;
pub use rules::{AlertRule, AlertRulePatch, AlertRulePayload, Comparison, MAX_DURATION_SECONDS, Scope, Severity};

use crate::accounts::Role;
use crate::audit::{Actor, AuditEvent, RequestContext};

use crate::error::{DomainError, DomainResult};
use crate::identity::User;
use crate::ids::{AlertId, AlertRuleId, DeviceId, DeviceModelId, EnvironmentId, OrganisationId, UserId};
use crate::keys;
use crate::mail::{AlertLine, EmailMessage};
use crate::notices::Notice;
pub use crate::notices::Notices;
use crate::placement::Placement;
use crate::ports::Store;
use crate::recipients::Recipients;
use crate::store::{Condition, Item, Key, StoreError, Update, Write};
use crate::time::Timestamp;
use crate::unit_of_work::UnitOfWork;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// An alert rule's condition held.
    Threshold,
    /// Silent past the model's inactivity timeout.
    Offline,
    /// Reported an IMEI other than the one its SIM is locked to.
    SimMismatch,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    ActiveUnacknowledged,
    ActiveAcknowledged,
    ClearedUnacknowledged,
    ClearedAcknowledged,
}

impl AlertStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertStatus::ActiveUnacknowledged => "active_unacknowledged",
            AlertStatus::ActiveAcknowledged => "active_acknowledged",
            AlertStatus::ClearedUnacknowledged => "cleared_unacknowledged",
            AlertStatus::ClearedAcknowledged => "cleared_acknowledged",
        }
    }

    pub fn is_active(self) -> bool {
        matches!(
            self,
            AlertStatus::ActiveUnacknowledged | AlertStatus::ActiveAcknowledged
        )
    }

    pub fn is_acknowledged(self) -> bool {
        matches!(self, AlertStatus::ActiveAcknowledged | AlertStatus::ClearedAcknowledged)
    }

    fn cleared(self) -> Self {
        if self.is_acknowledged() {
            AlertStatus::ClearedAcknowledged
        } else {
            AlertStatus::ClearedUnacknowledged
        }
    }

    fn acknowledged(self) -> Self {
        if self.is_active() {
            AlertStatus::ActiveAcknowledged
        } else {
            AlertStatus::ClearedAcknowledged
        }
    }
}

/// An alert as stored and shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Alert {
    pub id: AlertId,
    /// The root organisation.
    pub organisation_id: OrganisationId,
    pub device_id: DeviceId,
    pub device_name: Option<String>,
    /// Where the device was placed when the alert was raised (who sees the alert).
    pub company_id: Option<OrganisationId>,
    pub end_user_id: Option<UserId>,
    pub kind: AlertKind,
    pub rule_id: Option<AlertRuleId>,
    /// The rule's name, or what the alert is (`Device offline`, `SIM mismatch`).
    pub title: String,
    pub severity: Severity,
    pub status: AlertStatus,
    /// What happened, one sentence.
    pub message: String,
    /// What raised it, if a reading did: the port's value (a number or a boolean), or the
    /// IMEI reported.
    pub value: Option<Value>,
    pub raised_at: Timestamp,
    pub acknowledged_at: Option<Timestamp>,
    pub acknowledged_by: Option<UserId>,
    /// The acknowledger's comment.
    pub comment: Option<String>,
    pub cleared_at: Option<Timestamp>,
    /// Who cleared it; none when the device did (or was not yet cleared).
    pub cleared_by: Option<UserId>,
    /// The comment of whoever cleared it by hand.
    #[serde(default)]
    pub clear_comment: Option<String>,
    /// Who is e-mailed when it is raised and cleared.
    pub recipients: Recipients,
}

impl Alert {
    fn raised_ms(&self) -> i64 {
        self.raised_at.unix_millis()
    }

    pub fn key(&self) -> crate::store::Key {
        keys::alert(self.organisation_id, self.device_id, self.raised_ms(), self.id)
    }

    /// Where the device was when the alert was raised: who reads and handles it.
    pub fn placement(&self) -> Placement {
        Placement::new(self.company_id, self.end_user_id)
    }

    /// The source whose open marker it holds while active.
    pub(crate) fn source(&self) -> String {
        match (self.kind, self.rule_id) {
            (AlertKind::Threshold, Some(rule)) => rule.to_string(),
            (AlertKind::Threshold, None) => "threshold".into(),
            (AlertKind::Offline, _) => OFFLINE.into(),
            (AlertKind::SimMismatch, _) => SIM_MISMATCH.into(),
        }
    }

    fn item(&self, version: u64) -> Item {
        let mut item = Item::from_record(self.key(), self)
            .with_gsi1(keys::alert_of_organisation(
                self.organisation_id,
                self.raised_ms(),
                self.id,
            ))
            .with_gsi2(keys::alert_in_status(
                self.organisation_id,
                self.status.as_str(),
                self.raised_ms(),
                self.id,
            ));
        item.version = version;
        item
    }
}

pub const OFFLINE: &str = "offline";
pub const SIM_MISMATCH: &str = "sim_mismatch";

/// A device as alerts need it.
#[derive(Debug, Clone)]
pub struct AlertedDevice {
    pub id: DeviceId,
    pub organisation: OrganisationId,
    pub name: Option<String>,
    pub company: Option<OrganisationId>,
    pub end_user: Option<UserId>,
    pub model: DeviceModelId,
    pub environment: Option<EnvironmentId>,
}

impl AlertedDevice {
    /// Where the device is: what its alerts and readings record.
    pub fn placement(&self) -> Placement {
        Placement::new(self.company, self.end_user)
    }
}

/// Who hears about alerts no rule raised (offline, SIM mismatch): those who handle alerts.
pub fn handlers() -> Recipients {
    Recipients {
        roles: vec![Role::Owner, Role::Operator],
        user_ids: vec![],
    }
}

/// What raises an alert.
#[derive(Clone)]
pub struct Raise {
    pub kind: AlertKind,
    pub rule: Option<AlertRuleId>,
    pub title: String,
    pub severity: Severity,
    pub message: String,
    pub value: Option<Value>,
    pub recipients: Recipients,
}

impl Raise {
    pub fn by_rule(rule: &AlertRule, value: &Value) -> Raise {
        Raise {
            kind: AlertKind::Threshold,
            rule: Some(rule.id),
            title: rule.name.clone(),
            severity: rule.severity,
            message: format!("{}: the value is {value}.", rule.describe()),
            value: Some(value.clone()),
            recipients: rule.recipients.clone(),
        }
    }
}

/// What changes an alert: a raise for a device (with writes that belong in its transaction:
/// the rule's pending breach removed, the silence parked), or a clear of an active alert read
/// at `version` (by a person, or by the device itself).
#[derive(Clone)]
pub enum Change {
    Raise {
        device: AlertedDevice,
        raise: Raise,
        also: Vec<Write>,
    },
    Clear {
        alert: Box<Alert>,
        version: u64,
        by: Option<ClearedBy>,
        comment: Option<String>,
    },
}

/// Who cleared an alert by hand, and from where.
#[derive(Clone)]
pub struct ClearedBy {
    pub actor: Actor,
    pub user: UserId,
    pub context: RequestContext,
}

impl Change {
    /// Writes the change takes in a transaction, its e-mails aside.
    pub fn writes(&self) -> usize {
        match self {
            Change::Raise { also, .. } => 4 + also.len(),
            Change::Clear { .. } => 3,
        }
    }
}

/// Writes of changes one transaction holds at most: their e-mails (one per person,
/// [`crate::recipients::MAX_RECIPIENTS`] at most) take the rest of DynamoDB's 100. Ten raises
/// of one message, each with its pending breach removed, fit.
pub const CHANGE_WRITES_PER_COMMIT: usize = 100 - crate::recipients::MAX_RECIPIENTS;

/// Whom a commit's e-mails tell of its changes.
#[derive(Clone)]
pub enum Tell {
    /// Nobody yet: the changes are told of with a later commit's.
    Nobody,
    /// Each person concerned, in one e-mail about these changes and the earlier ones given
    /// (each alert as it now is, and whether it was raised).
    AlsoOf(Vec<(Alert, bool)>),
}

/// The alert operations, on a store at one instant.
pub struct Alarms<'a> {
    pub store: &'a dyn Store,
    pub notices: &'a Notices,
    pub now: Timestamp,
}

/// Why a state change did not happen.
#[derive(Debug)]
pub enum Lost {
    /// The source already has an open alert (raise), or the alert changed meanwhile.
    Raced,
    Failed(DomainError),
}

impl From<StoreError> for Lost {
    fn from(error: StoreError) -> Self {
        Lost::Failed(error.into())
    }
}

impl Alarms<'_> {
    /// Raises an alert for `device` unless its source has one open (`Lost::Raced`), with
    /// `also` in the same transaction (the rule's pending breach removed, the silence parked).
    pub async fn raise(&self, device: &AlertedDevice, raise: Raise, also: Vec<Write>) -> Result<Alert, Lost> {
        let change = Change::Raise {
            device: device.clone(),
            raise,
            also,
        };
        Ok(self.commit(vec![change]).await?.remove(0))
    }

    /// Clears an active alert at `version` (`Lost::Raced` if it changed meanwhile): by
    /// `by`, or by the device itself (none).
    pub async fn clear(
        &self,
        alert: &Alert,
        version: u64,
        by: Option<ClearedBy>,
        comment: Option<String>,
    ) -> Result<Alert, Lost> {
        let change = Change::Clear {
            alert: Box::new(alert.clone()),
            version,
            by,
            comment,
        };
        Ok(self.commit(vec![change]).await?.remove(0))
    }

    /// Makes `changes` (of at most [`CHANGE_WRITES_PER_COMMIT`] writes) in one transaction,
    /// with one e-mail per person about all of them: every raise's open marker put only if
    /// absent, every clear's deleted only if it names the alert; `Lost::Raced` if any of that
    /// changed meanwhile (then nothing is changed). The alerts as they now are, in order.
    pub async fn commit(&self, changes: Vec<Change>) -> Result<Vec<Alert>, Lost> {
        self.commit_telling(changes, Tell::AlsoOf(vec![])).await
    }

    /// [`Alarms::commit`], its e-mails as `tell` says: none (a message's earlier clears, told
    /// of with its last changes), or about these changes and `earlier` ones already made.
    pub async fn commit_telling(&self, changes: Vec<Change>, tell: Tell) -> Result<Vec<Alert>, Lost> {
        debug_assert!(changes.iter().map(Change::writes).sum::<usize>() <= CHANGE_WRITES_PER_COMMIT);
        let mut unit = UnitOfWork::default();
        let mut changed: Vec<(Alert, bool)> = Vec::with_capacity(changes.len());
        for change in changes {
            match change {
                Change::Raise { device, raise, also } => {
                    let alert = self.raised(&device, raise);
                    let marker = Item::new(keys::open_alert(
                        device.organisation,
                        device.id,
                        &alert.placement(),
                        &alert.source(),
                    ))
                    .with("alert_id", json!(alert.id))
                    .with("alert_key", json!(alert.key().sk));
                    let event = self.event(&alert, "alert.raised", None, &RequestContext::default());
                    unit = unit
                        .write_or(
                            Write::Put {
                                item: marker,
                                condition: Some(Condition::NotExists),
                            },
                            Lost::Raced,
                        )
                        .write(Write::Put {
                            item: alert.item(1),
                            condition: Some(Condition::NotExists),
                        })
                        .write(Write::Put {
                            item: Item::new(keys::alert_pointer(alert.id))
                                .with("alert_pk", json!(alert.key().pk))
                                .with("alert_sk", json!(alert.key().sk)),
                            condition: Some(Condition::NotExists),
                        })
                        .writes(also)
                        .audit(event);
                    changed.push((alert, true));
                }
                Change::Clear {
                    alert,
                    version,
                    by,
                    comment,
                } => {
                    let mut cleared = (*alert).clone();
                    cleared.status = alert.status.cleared();
                    cleared.cleared_at = Some(self.now);
                    cleared.cleared_by = by.as_ref().map(|by| by.user);
                    cleared.clear_comment = comment;
                    let event = match &by {
                        Some(by) => self.event(&cleared, "alert.cleared", Some(by.actor.clone()), &by.context),
                        None => self.event(&cleared, "alert.cleared", None, &RequestContext::default()),
                    };
                    unit = unit
                        .write(Write::Delete {
                            key: keys::open_alert(
                                alert.organisation_id,
                                alert.device_id,
                                &alert.placement(),
                                &alert.source(),
                            ),
                            condition: Some(Condition::AttributeEquals("alert_id".into(), json!(alert.id))),
                        })
                        .write(Write::Put {
                            item: cleared.item(version + 1),
                            condition: Some(Condition::VersionIs(version)),
                        })
                        .audit(event);
                    changed.push((cleared, false));
                }
            }
        }
        let mails = match tell {
            Tell::Nobody => vec![],
            Tell::AlsoOf(earlier) => {
                let told: Vec<(Alert, bool)> = earlier.into_iter().chain(changed.iter().cloned()).collect();
                self.mails(&told).await.map_err(Lost::Failed)?
            }
        };
        unit.writes(mails)
            // What `also` guards changed meanwhile (a silent device's message came).
            .otherwise(Lost::Raced)
            .commit(self.store)
            .await?;
        Ok(changed.into_iter().map(|(alert, _)| alert).collect())
    }

    /// The alert `raise` makes for `device`, now.
    fn raised(&self, device: &AlertedDevice, raise: Raise) -> Alert {
        Alert {
            id: AlertId::generate(),
            organisation_id: device.organisation,
            device_id: device.id,
            device_name: device.name.clone(),
            company_id: device.company,
            end_user_id: device.end_user,
            kind: raise.kind,
            rule_id: raise.rule,
            title: raise.title,
            severity: raise.severity,
            status: AlertStatus::ActiveUnacknowledged,
            message: raise.message,
            value: raise.value,
            raised_at: self.now,
            acknowledged_at: None,
            acknowledged_by: None,
            comment: None,
            cleared_at: None,
            cleared_by: None,
            clear_comment: None,
            recipients: raise.recipients,
        }
    }

    /// Acknowledges an alert at `version`, with the acknowledger's comment.
    pub async fn acknowledge(
        &self,
        alert: &Alert,
        version: u64,
        principal: &crate::identity::Principal,
        context: &RequestContext,
        comment: String,
    ) -> Result<Alert, Lost> {
        let mut acknowledged = alert.clone();
        acknowledged.status = alert.status.acknowledged();
        acknowledged.acknowledged_at = Some(self.now);
        acknowledged.acknowledged_by = Some(principal.user.id);
        acknowledged.comment = Some(comment);
        let event = self.event(&acknowledged, "alert.acknowledged", Some(principal.actor()), context);
        UnitOfWork::default()
            .write(Write::Put {
                item: acknowledged.item(version + 1),
                condition: Some(Condition::VersionIs(version)),
            })
            .audit(event)
            .otherwise(Lost::Raced)
            .commit(self.store)
            .await?;
        Ok(acknowledged)
    }

    fn event(&self, alert: &Alert, action: &str, by: Option<Actor>, context: &RequestContext) -> AuditEvent {
        AuditEvent::by(by.unwrap_or_else(Actor::system))
            .did(action)
            .on("alert", alert.id)
            .in_organisation(alert.organisation_id)
            .changes(json!({
                "device_id": alert.device_id,
                "status": alert.status,
                "title": alert.title,
                "severity": alert.severity,
                "comment": alert.comment,
                "clear_comment": alert.clear_comment,
                "company_id": alert.company_id,
                "end_user_id": alert.end_user_id,
            }))
            .at(self.now, context)
    }

    /// The e-mails about `changed` alerts (each raised, or cleared): one per person, listing
    /// every alert of theirs, at most [`crate::recipients::MAX_RECIPIENTS`] people, within the
    /// organisation's hourly budget ([`Notices::writes`]).
    async fn mails(&self, changed: &[(Alert, bool)]) -> DomainResult<Vec<Write>> {
        let Some((first, _)) = changed.first() else {
            return Ok(vec![]);
        };
        let mut people: Vec<(User, Vec<AlertLine>)> = Vec::new();
        // Alerts of one device while with one holder reach the same members: read them once.
        let mut placements: Vec<Placement> = changed.iter().map(|(alert, _)| alert.placement()).collect();
        placements.sort_by_key(|placement| (placement.company_id, placement.end_user_id));
        placements.dedup();
        for placement in placements {
            let group: Vec<&(Alert, bool)> = changed
                .iter()
                .filter(|(alert, _)| alert.placement() == placement)
                .collect();
            let mut organisations = vec![first.organisation_id];
            organisations.extend(placement.company_id);
            let lists: Vec<&Recipients> = group.iter().map(|(alert, _)| &alert.recipients).collect();
            let resolved = Recipients::resolve_each(self.store, &organisations, placement.end_user_id, &lists).await?;
            for ((alert, raised), recipients) in group.into_iter().zip(resolved) {
                let line = self.line(alert, *raised);
                for person in recipients {
                    if let Some(known) = people.iter().position(|(known, _)| known.id == person.id) {
                        people[known].1.push(line.clone());
                    } else if people.len() < crate::recipients::MAX_RECIPIENTS {
                        people.push((person, vec![line.clone()]));
                    }
                }
            }
        }
        let device = first.device_name.clone().unwrap_or_else(|| first.device_id.to_string());
        let notices = people
            .into_iter()
            .map(|(person, alerts)| Notice {
                mail: EmailMessage::DeviceAlert {
                    to: person.email.clone(),
                    name: person.name.clone(),
                    device: device.clone(),
                    alerts,
                },
                to: person,
            })
            .collect();
        self.notices
            .writes(self.store, first.organisation_id, notices, self.now)
            .await
    }

    /// One alert as an e-mail lists it: linked through the device's company when it has one
    /// (its staff reach the alert there, and the root's reach it through any of its companies).
    fn line(&self, alert: &Alert, raised: bool) -> AlertLine {
        AlertLine {
            title: alert.title.clone(),
            severity: alert.severity.as_str().to_owned(),
            raised,
            what: alert.message.clone(),
            link: format!(
                "{}/organisations/{}/alerts/{}",
                self.notices.web_url,
                alert.company_id.unwrap_or(alert.organisation_id),
                alert.id
            ),
        }
    }
}

/// The update that parks a device's silence entry (its latest values' item, `latest`) once it
/// is handled, unless a message moved it meanwhile (`last_ts` and `last_seq` are no longer the
/// ones seen).
pub fn park_silence(latest: Key, organisation: OrganisationId, device: DeviceId, last: (i64, Option<i64>)) -> Write {
    let (last_ts, last_seq) = last;
    let mut unchanged = vec![Condition::AttributeEquals("last_ts".into(), json!(last_ts))];
    // A message of the same instant with a later sequence number moved it too.
    if let Some(seq) = last_seq {
        unchanged.push(Condition::AttributeEquals("last_seq".into(), json!(seq)));
    }
    Write::Update(
        Update::new(latest)
            .with_gsi1(keys::silent_after(organisation, device, None))
            .when(Condition::All(unchanged)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clearing_keeps_the_acknowledgement_and_acknowledging_keeps_the_state() {
        use AlertStatus::*;
        assert_eq!(ActiveUnacknowledged.cleared(), ClearedUnacknowledged);
        assert_eq!(ActiveAcknowledged.cleared(), ClearedAcknowledged);
        assert_eq!(ActiveUnacknowledged.acknowledged(), ActiveAcknowledged);
        assert_eq!(ClearedUnacknowledged.acknowledged(), ClearedAcknowledged);
    }
}
