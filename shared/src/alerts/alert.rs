//! An alert as stored and shown: its kind, its status and how statuses move, the device it is
//! about and who handles it.

use crate::accounts::Role;
use crate::alerts::Severity;
use crate::ids::{AlertId, AlertRuleId, DeviceId, DeviceModelId, EnvironmentId, OrganisationId, UserId};
use crate::keys;
use crate::placement::Placement;
use crate::recipients::Recipients;
use crate::store::Item;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

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

    pub(super) fn cleared(self) -> Self {
        if self.is_acknowledged() {
            AlertStatus::ClearedAcknowledged
        } else {
            AlertStatus::ClearedUnacknowledged
        }
    }

    pub(super) fn acknowledged(self) -> Self {
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

    pub(super) fn item(&self, version: u64) -> Item {
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
