//! Raising, clearing and acknowledging alerts: each change its own conditional writes, committed
//! with its audit event and its e-mails, so however many messages race one of them raises.

use crate::alerts::{Alert, AlertKind, AlertRule, AlertStatus, AlertedDevice, Severity};
use crate::audit::{Actor, AuditEvent, RequestContext};
use crate::error::DomainError;
use crate::ids::{AlertId, AlertRuleId, DeviceId, OrganisationId, UserId};
use crate::keys;
use crate::notices::Notices;
use crate::ports::Store;
use crate::recipients::Recipients;
use crate::store::{Condition, Item, Key, StoreError, Update, Write};
use crate::time::Timestamp;
use crate::unit_of_work::UnitOfWork;
use serde_json::{Value, json};

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
    pub(super) fn raised(&self, device: &AlertedDevice, raise: Raise) -> Alert {
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

    pub(super) fn event(&self, alert: &Alert, action: &str, by: Option<Actor>, context: &RequestContext) -> AuditEvent {
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
