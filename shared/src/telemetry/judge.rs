//! Watching devices (issue 14, item 4): each stored message that became its device's latest
//! is judged against the organisation's alert rules, its SIM's lock and the device's open
//! `offline` alert; and, once a minute, devices silent past their model's inactivity timeout
//! raise `offline`.
//!
//! No read per message: rules are cached per organisation for [`RULES_TTL_SECONDS`] and each
//! device's alert state (open alerts, pending breaches) for [`TARGET_TTL_SECONDS`]; writes happen
//! only when the state changes, each conditional (see [`crate::alerts`]), so a stale cache
//! never makes a second alert or e-mail. What staleness can do is delay: an alert cleared by
//! hand (or by another container) is raised again by a breach only once this process reads
//! the device's state afresh, within [`TARGET_TTL_SECONDS`].
//!
//! Silence is found without a Scan and without a write of its own: each message's update of
//! the device's latest values also moves the item's index key (GSI1) to when the device will
//! be silent, in one of [`keys::SILENCE_SHARDS`] index partitions; the sweep reads each
//! shard up to now. An `offline` alert parks the entry until the next message moves it again.

use super::cache::Book;
use super::{Judgement, Plan, Telemetry};
use crate::alerts::{
    Alarms, Alert, AlertKind, AlertRule, AlertedDevice, CHANGE_WRITES_PER_COMMIT, Change, Lost, OFFLINE, Raise,
    SIM_MISMATCH, Severity, Tell, Watched, handlers,
};
use crate::error::DomainResult;
use crate::ids::AlertRuleId;
use crate::keys;
use crate::store::{Condition, Item, Key, Write};
use serde_json::{Value, json};

/// A value as a rule compares it: numbers as they are, booleans as 1 and 0.
pub(super) fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Bool(on) => Some(if *on { 1.0 } else { 0.0 }),
        other => other.as_f64(),
    }
}

/// Alerts one message raises at most, the most severe first: a device whose message trips
/// every rule of its organisation raises these now and the rest with its next messages, so no
/// message holds up the ones behind it for long, and its e-mails stay one per person.
pub const MAX_ALERTS_PER_MESSAGE: usize = 10;

const _: () = assert!(MAX_ALERTS_PER_MESSAGE * 5 <= CHANGE_WRITES_PER_COMMIT);

/// Writes a clear takes (marker, alert, audit).
const CLEAR_WRITES: usize = 3;

/// Records in `book` the open alerts a committed `batch` raised.
fn note_raised(book: &mut Book, batch: &[(String, Change)], alerts: &[Alert]) {
    for ((source, change), alert) in batch.iter().zip(alerts) {
        if matches!(change, Change::Raise { .. }) {
            book.open.insert(source.clone(), alert.key().sk);
        }
    }
}

impl Telemetry {
    /// Judges a stored message that became its device's latest against its alert rules, its
    /// SIM's lock and an open `offline`.
    pub async fn judge_stored(&self, judgement: &Judgement) -> DomainResult<()> {
        self.judge(&judgement.0).await
    }

    pub(super) fn alarms(&self) -> Alarms<'_> {
        Alarms {
            store: &*self.store,
            notices: &self.notices,
            now: self.now(),
        }
    }

    /// Judges a stored message that became its device's latest: every change it makes to the
    /// device's alerts (clears, and at most [`MAX_ALERTS_PER_MESSAGE`] raises, the most severe
    /// first) is made together, with one e-mail per person about all of them.
    pub(crate) async fn judge(&self, plan: &Plan) -> DomainResult<()> {
        let Some(target) = plan.target.as_ref() else {
            return Ok(());
        };
        let Some(device) = target.alerted.as_ref() else {
            return Ok(());
        };
        let placement = device.placement();
        let rules = self.rules(device.organisation).await?;
        let mut book = self.book(device).await?;
        let watched = Watched {
            device: device.id,
            model: device.model,
            environment: device.environment,
        };
        let mut raced = false;
        let mut clears: Vec<String> = Vec::new();
        let mut raises: Vec<(String, Raise, Vec<Write>)> = Vec::new();
        if book.open.contains_key(OFFLINE) {
            clears.push(OFFLINE.into());
        }
        let mismatch = matches!(
            plan.stored,
            crate::telemetry::Outcome::Stored { sim_mismatch: true, .. }
        );
        match (mismatch, book.open.contains_key(SIM_MISMATCH)) {
            (true, false) => {
                let raise = Raise {
                    kind: AlertKind::SimMismatch,
                    rule: None,
                    title: "SIM mismatch".into(),
                    severity: Severity::Major,
                    message: format!(
                        "The device reported IMEI {}, not the one its SIM is locked to.",
                        plan.imei.as_deref().unwrap_or_default()
                    ),
                    value: plan.imei.as_ref().map(|imei| json!(imei)),
                    recipients: handlers(),
                };
                raises.push((SIM_MISMATCH.into(), raise, vec![]));
            }
            // Cleared by a message naming the right IMEI again.
            (false, true) if plan.imei.is_some() => clears.push(SIM_MISMATCH.into()),
            _ => {}
        }
        let mut rules = rules;
        let unknown = |rules: &[AlertRule], book: &Book| {
            let watches = |id: &str| {
                rules
                    .iter()
                    .any(|rule| rule.watches(&watched) && rule.id.to_string() == id)
            };
            book.open
                .keys()
                .any(|source| source != OFFLINE && source != SIM_MISMATCH && !watches(source))
                || book.pending.keys().any(|rule| !watches(&rule.to_string()))
        };
        if unknown(&rules, &book) {
            // Another process may know a rule this one has not read yet: read them afresh
            // before ending anything of a rule that seems gone.
            rules = self.read_rules(device.organisation).await?;
        }
        let watching: Vec<&AlertRule> = rules.iter().filter(|rule| rule.watches(&watched)).collect();
        // An alert (or a pending breach) of a rule deleted, disabled or no longer watching the
        // device clears (or is forgotten): nothing else would ever end it.
        clears.extend(
            book.open
                .keys()
                .filter(|source| source.as_str() != OFFLINE && source.as_str() != SIM_MISMATCH)
                .filter(|source| !watching.iter().any(|rule| rule.id.to_string() == **source))
                .cloned(),
        );
        let forgotten: Vec<AlertRuleId> = book
            .pending
            .keys()
            .filter(|rule| !watching.iter().any(|watched| watched.id == **rule))
            .copied()
            .collect();
        for rule in forgotten {
            book.pending.remove(&rule);
            self.store
                .delete(
                    &keys::pending_breach(device.organisation, device.id, &placement, rule),
                    None,
                )
                .await?;
        }
        for rule in watching {
            let Some(raw) = plan.values.get(&rule.port) else {
                continue;
            };
            let Some(value) = number(raw) else {
                continue;
            };
            let source = rule.id.to_string();
            if book.open.contains_key(&source) {
                if rule.cleared_by(value) {
                    clears.push(source);
                }
                continue;
            }
            let pending = keys::pending_breach(device.organisation, device.id, &placement, rule.id);
            if !rule.breached_by(value) {
                if book.pending.remove(&rule.id).is_some() {
                    self.store.delete(&pending, None).await?;
                }
                continue;
            }
            let stamp = rule.updated_at.unix_millis();
            let since = book
                .pending
                .get(&rule.id)
                .filter(|(_, pending_stamp)| *pending_stamp == stamp)
                .map(|(since, _)| *since);
            let held = i64::from(rule.duration_seconds) * 1000;
            if held == 0 || since.is_some_and(|since| plan.ts_ms - since >= held) {
                let also = if since.is_some() {
                    vec![Write::Delete {
                        key: pending,
                        condition: None,
                    }]
                } else {
                    vec![]
                };
                raises.push((source, Raise::by_rule(rule, raw), also));
            } else if since.is_none() {
                // A breach begins (or a pending one of the rule as it was before starts afresh).
                let stale = book.pending.contains_key(&rule.id);
                let marker = Item::new(pending)
                    .with("rule_id", json!(rule.id))
                    .with("since_ms", json!(plan.ts_ms))
                    .with("rule_stamp", json!(stamp));
                match self.store.put(marker, (!stale).then_some(Condition::NotExists)).await {
                    Ok(()) => {
                        book.pending.insert(rule.id, (plan.ts_ms, stamp));
                    }
                    Err(crate::store::StoreError::ConditionFailed { .. }) => raced = true,
                    Err(other) => return Err(other.into()),
                }
            }
        }
        // Bounded fan-out: the most severe first; the rest stay breached (or pending) and the
        // device's next messages raise them.
        raises.sort_by_key(|(_, raise, _)| raise.severity);
        raises.truncate(MAX_ALERTS_PER_MESSAGE);
        for (source, _, _) in &raises {
            if let Ok(rule) = AlertRuleId::parse(source, "rule") {
                book.pending.remove(&rule);
            }
        }
        raced |= self.change(device, &mut book, clears, raises).await?;
        self.remember(device, (!raced).then_some(book));
        Ok(())
    }

    /// Makes a message's changes to its device's alerts with one e-mail per person about all
    /// of them: the clears that do not fit beside its raises first, in transactions of their
    /// own without e-mail, then the raises and the other clears in one transaction with the
    /// e-mails ([`CHANGE_WRITES_PER_COMMIT`]). A transaction that loses a race (a rare second
    /// delivery at once) is made change by change, so only what raced is left out. Whether
    /// anything raced.
    async fn change(
        &self,
        device: &AlertedDevice,
        book: &mut Book,
        clears: Vec<String>,
        raises: Vec<(String, Raise, Vec<Write>)>,
    ) -> DomainResult<bool> {
        let mut raced = false;
        let partition = keys::device_alerts_partition(device.organisation, device.id);
        let open: Vec<(String, Key)> = clears
            .into_iter()
            .filter_map(|source| {
                let sort_key = book.open.remove(&source)?;
                Some((source, Key::new(partition.clone(), sort_key)))
            })
            .collect();
        let read = self
            .store
            .batch_get(&open.iter().map(|(_, key)| key.clone()).collect::<Vec<_>>())
            .await?;
        let mut changes: Vec<(String, Change)> = Vec::new();
        for ((source, _), item) in open.into_iter().zip(read) {
            let Some(item) = item else {
                raced = true;
                continue;
            };
            let alert: Alert = item.record()?;
            if !alert.status.is_active() {
                raced = true;
                continue;
            }
            let change = Change::Clear {
                alert: Box::new(alert),
                version: item.version,
                by: None,
                comment: None,
            };
            changes.push((source, change));
        }
        for (source, raise, also) in raises {
            let change = Change::Raise {
                device: device.clone(),
                raise,
                also,
            };
            changes.push((source, change));
        }
        if changes.is_empty() {
            return Ok(raced);
        }
        // Clears come first in `changes`: those that do not fit beside the raises go ahead.
        let raise_writes: usize = changes
            .iter()
            .filter(|(_, change)| matches!(change, Change::Raise { .. }))
            .map(|(_, change)| change.writes())
            .sum();
        let clears = changes.len()
            - changes
                .iter()
                .filter(|(_, c)| matches!(c, Change::Raise { .. }))
                .count();
        let beside = (CHANGE_WRITES_PER_COMMIT.saturating_sub(raise_writes) / CLEAR_WRITES).min(clears);
        let (ahead, last) = changes.split_at(clears - beside);
        let mut earlier: Vec<(Alert, bool)> = Vec::new();
        for run in ahead.chunks(CHANGE_WRITES_PER_COMMIT / CLEAR_WRITES) {
            raced |= self.commit_run(book, run, Tell::Nobody, &mut earlier).await?;
        }
        raced |= self
            .commit_run(book, last, Tell::AlsoOf(earlier), &mut Vec::new())
            .await?;
        Ok(raced)
    }

    /// Commits `run` (made change by change if it loses a race, the e-mail going with the
    /// first that commits), noting its raises in `book` and what it changed in `made`.
    /// Whether anything raced.
    async fn commit_run(
        &self,
        book: &mut Book,
        run: &[(String, Change)],
        tell: Tell,
        made: &mut Vec<(Alert, bool)>,
    ) -> DomainResult<bool> {
        let mut note = |book: &mut Book, run: &[(String, Change)], alerts: Vec<Alert>| {
            note_raised(book, run, &alerts);
            for ((_, change), alert) in run.iter().zip(alerts) {
                made.push((alert, matches!(change, Change::Raise { .. })));
            }
        };
        let changes = run.iter().map(|(_, change)| change.clone()).collect();
        match self.alarms().commit_telling(changes, tell.clone()).await {
            Ok(alerts) => {
                note(book, run, alerts);
                return Ok(false);
            }
            Err(Lost::Failed(error)) => return Err(error),
            Err(Lost::Raced) => {}
        }
        let mut raced = false;
        let mut untold = tell;
        for one in run {
            let tell = std::mem::replace(&mut untold, Tell::Nobody);
            match self.alarms().commit_telling(vec![one.1.clone()], tell.clone()).await {
                Ok(alerts) => note(book, std::slice::from_ref(one), alerts),
                Err(Lost::Raced) => {
                    untold = tell;
                    raced = true;
                }
                Err(Lost::Failed(error)) => return Err(error),
            }
        }
        Ok(raced)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_compare_as_one_and_zero() {
        assert_eq!(number(&json!(true)), Some(1.0));
        assert_eq!(number(&json!(false)), Some(0.0));
        assert_eq!(number(&json!(2.5)), Some(2.5));
        assert_eq!(number(&json!("x")), None);
    }
}
