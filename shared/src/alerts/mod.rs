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

mod alarms;
mod alert;
mod mails;
mod rule_entries;
mod rules;

pub use crate::notices::Notices;
pub use alarms::{Alarms, CHANGE_WRITES_PER_COMMIT, Change, ClearedBy, Lost, Raise, Tell, park_silence};
pub use alert::{Alert, AlertKind, AlertStatus, AlertedDevice, OFFLINE, SIM_MISMATCH, handlers};
pub use rule_entries::{AlertRulePatch, AlertRulePayload};
pub(crate) use rules::Watched;
pub use rules::{AlertRule, Comparison, MAX_DURATION_SECONDS, Scope, Severity};
