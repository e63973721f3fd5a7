//! Keys of alerts: rules, a device's alerts and alert state, open alerts, pending breaches, and
//! the sharded index of devices by when they fall silent.

use super::organisations::organisation_partition;
use super::{compose, prefix};
use crate::ids::{AlertId, AlertRuleId, DeviceId, OrganisationId};
use crate::placement::Placement;
use crate::store::{IndexKey, Key};

pub const ALERT_RULES_PREFIX: &str = "ALERTRULE#";

/// An alert rule, in its (root) organisation's partition (rules are few: one query reads them).
pub fn alert_rule(organisation: OrganisationId, rule: AlertRuleId) -> Key {
    Key::new(
        organisation_partition(organisation),
        format!("{ALERT_RULES_PREFIX}{rule}"),
    )
}

/// The partition of a device's alerts in an organisation: its alerts (`ALERT#…`, by time)
/// and its alert state (`STATE#…`: the open alert of each source, a rule's pending breach).
pub fn device_alerts_partition(organisation: OrganisationId, device: DeviceId) -> String {
    compose(&["DEVICE_ALERTS", &organisation.to_string(), &device.to_string()])
}

pub const DEVICE_ALERTS_PREFIX: &str = "ALERT#";

/// The sort-key prefix of a device's alert state (open alerts, pending breaches) while with
/// one holder: a device placed elsewhere starts with none, and what was open for the earlier
/// holder stays theirs to handle.
pub fn alert_state_of(placement: &Placement) -> String {
    let [company, end_user] = placement.segments();
    prefix(&["STATE", &company, &end_user])
}

/// An alert's sort keys: raise time (milliseconds, zero-padded) then id, so text order is
/// time order.
pub fn alert_sort_key(raised_ms: i64, alert: AlertId) -> String {
    format!("{raised_ms:013}#{alert}")
}

/// An alert, in its device's partition by time.
pub fn alert(organisation: OrganisationId, device: DeviceId, raised_ms: i64, alert: AlertId) -> Key {
    Key::new(
        device_alerts_partition(organisation, device),
        format!("{DEVICE_ALERTS_PREFIX}{}", alert_sort_key(raised_ms, alert)),
    )
}

/// Where an alert is, by its id alone (what acknowledging and clearing by id read first).
pub fn alert_pointer(alert: AlertId) -> Key {
    Key::new(compose(&["ALERT", &alert.to_string()]), "ALERT")
}

/// GSI1 key of an alert: its organisation's alerts, by time.
pub fn alert_of_organisation(organisation: OrganisationId, raised_ms: i64, alert: AlertId) -> IndexKey {
    IndexKey::new(alerts_partition(organisation), alert_sort_key(raised_ms, alert))
}

pub fn alerts_partition(organisation: OrganisationId) -> String {
    compose(&["ALERTS", &organisation.to_string()])
}

/// GSI2 key of an alert: its organisation's alerts in one status, by time (moved when the
/// status changes).
pub fn alert_in_status(organisation: OrganisationId, status: &str, raised_ms: i64, alert: AlertId) -> IndexKey {
    IndexKey::new(alerts_in_status(organisation, status), alert_sort_key(raised_ms, alert))
}

pub fn alerts_in_status(organisation: OrganisationId, status: &str) -> String {
    compose(&["ALERTS", &organisation.to_string(), status])
}

/// The open alert of one source (a rule's id, `offline`, `sim_mismatch`) for a device: one
/// item, put only if absent, so a source has at most one open alert per device.
pub fn open_alert(organisation: OrganisationId, device: DeviceId, placement: &Placement, source: &str) -> Key {
    Key::new(
        device_alerts_partition(organisation, device),
        format!("{}{}", alert_state_of(placement), compose(&["OPEN", source])),
    )
}

/// A rule's breach that has not yet held for the rule's duration.
pub fn pending_breach(organisation: OrganisationId, device: DeviceId, placement: &Placement, rule: AlertRuleId) -> Key {
    Key::new(
        device_alerts_partition(organisation, device),
        format!(
            "{}{}",
            alert_state_of(placement),
            compose(&["PENDING", &rule.to_string()])
        ),
    )
}

/// Shards of the index of devices by when they fall silent: every message moves its
/// device's entry, so the entries are spread over this many index partitions.
pub const SILENCE_SHARDS: u32 = 32;

/// The index partition of a silence shard.
pub fn silence_shard(shard: u32) -> String {
    compose(&["SILENT_AFTER", &shard.to_string()])
}

/// GSI1 key of a device's latest values: when it falls silent (milliseconds, zero-padded),
/// in its shard. A device whose silence was handled is parked (`PARKED#…` sorts after
/// every time) until its next message.
pub fn silent_after(organisation: OrganisationId, device: DeviceId, due_ms: Option<i64>) -> IndexKey {
    let ids = compose(&[&organisation.to_string(), &device.to_string()]);
    let device_text = device.to_string();
    let shard = device_text
        .bytes()
        .fold(0u32, |hash, byte| hash.wrapping_mul(31).wrapping_add(u32::from(byte)))
        % SILENCE_SHARDS;
    let sort = match due_ms {
        Some(due) => format!("{due:013}#{ids}"),
        None => format!("PARKED#{ids}"),
    };
    IndexKey::new(silence_shard(shard), sort)
}
