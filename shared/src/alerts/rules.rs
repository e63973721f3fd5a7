//! Alert rules (issue 14, item 3; SPEC §7): an organisation's conditions on a port's
//! calibrated value — for one device, the devices of a model or of an environment, or every
//! device (no scope) — with how long a breach must hold, a clear threshold (hysteresis), a
//! severity and who is e-mailed. Catalogue entries of the root: owners write, staff read.

use crate::ids::{AlertRuleId, DeviceId, DeviceModelId, EnvironmentId, OrganisationId};
use crate::recipients::Recipients;
use crate::time::Timestamp;
use crate::validation::{Collector, storable_number};
use serde::{Deserialize, Serialize};

/// The longest a breach may be required to hold: a day.
pub const MAX_DURATION_SECONDS: u32 = 86_400;

/// What a rule compares a port's value with (`value`, and `value2` for a range).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub enum Comparison {
    #[serde(rename = ">")]
    Above,
    #[serde(rename = ">=")]
    AtLeast,
    #[serde(rename = "<")]
    Below,
    #[serde(rename = "<=")]
    AtMost,
    #[serde(rename = "==")]
    Equal,
    #[serde(rename = "!=")]
    NotEqual,
    /// Below `value` or above `value2`.
    #[serde(rename = "outside")]
    Outside,
    /// From `value` to `value2`, both included.
    #[serde(rename = "inside")]
    Inside,
}

impl Comparison {
    fn is_range(self) -> bool {
        matches!(self, Comparison::Outside | Comparison::Inside)
    }

    /// +1 for an upper threshold (`>`, `>=`), −1 for a lower one (`<`, `<=`), 0 otherwise:
    /// only thresholds have a side to clear on.
    fn side(self) -> i8 {
        match self {
            Comparison::Above | Comparison::AtLeast => 1,
            Comparison::Below | Comparison::AtMost => -1,
            _ => 0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Critical,
    Major,
    Minor,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Major => "major",
            Severity::Minor => "minor",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// Which devices a rule watches: one device, a model's, an environment's; none of them, all.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AlertScope)]
pub struct Scope {
    pub device_id: Option<DeviceId>,
    pub model_id: Option<DeviceModelId>,
    pub environment_id: Option<EnvironmentId>,
}

/// An alert rule as stored and shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AlertRule {
    pub id: AlertRuleId,
    pub organisation_id: OrganisationId,
    pub name: String,
    pub scope: Scope,
    pub port: u8,
    pub condition: Comparison,
    pub value: f64,
    pub value2: Option<f64>,
    /// How long (seconds, by the devices' message times) a breach must hold before it raises.
    pub duration_seconds: u32,
    /// For `>`/`>=` (`<`/`<=`): the alert clears only once the value is below (above) this;
    /// without it, once the condition no longer holds.
    pub clear_value: Option<f64>,
    pub severity: Severity,
    pub recipients: Recipients,
    pub enabled: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Whether a rule's scope takes in a device of `model` in `environment`.
pub(crate) struct Watched {
    pub device: DeviceId,
    pub model: DeviceModelId,
    pub environment: Option<EnvironmentId>,
}

impl AlertRule {
    pub(crate) fn watches(&self, device: &Watched) -> bool {
        let scope = &self.scope;
        self.enabled
            && scope.device_id.is_none_or(|id| id == device.device)
            && scope.model_id.is_none_or(|id| id == device.model)
            && scope.environment_id.is_none_or(|id| Some(id) == device.environment)
    }

    /// Whether `value` breaches the rule.
    pub fn breached_by(&self, value: f64) -> bool {
        let (low, high) = (self.value, self.value2.unwrap_or(self.value));
        match self.condition {
            Comparison::Above => value > low,
            Comparison::AtLeast => value >= low,
            Comparison::Below => value < low,
            Comparison::AtMost => value <= low,
            Comparison::Equal => value == low,
            Comparison::NotEqual => value != low,
            Comparison::Outside => value < low || value > high,
            Comparison::Inside => (low..=high).contains(&value),
        }
    }

    /// Whether `value` clears an open alert of the rule: past the clear threshold if there is
    /// one, else simply no longer breaching. Between the two, the alert stays as it is.
    pub fn cleared_by(&self, value: f64) -> bool {
        match (self.clear_value, self.condition.side()) {
            (Some(clear), 1) => value < clear,
            (Some(clear), -1) => value > clear,
            _ => !self.breached_by(value),
        }
    }

    /// The rule in a sentence, for e-mails and alerts: `port 3 > 40`.
    pub fn describe(&self) -> String {
        let condition = serde_json::to_value(self.condition)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        match self.value2 {
            Some(high) => format!("port {} {condition} {}..{high}", self.port, self.value),
            None => format!("port {} {condition} {}", self.port, self.value),
        }
    }
}

impl AlertRule {
    /// The rules' cross-field invariants, on the rule as it would be stored.
    pub(super) fn check(&self, errors: &mut Collector) {
        let scope = &self.scope;
        let scoped = [
            scope.device_id.is_some(),
            scope.model_id.is_some(),
            scope.environment_id.is_some(),
        ];
        if scoped.iter().filter(|named| **named).count() > 1 {
            errors.push(
                "scope",
                "one_scope",
                "a rule watches one device, one model's devices, one environment's devices, or all",
            );
        }
        if self.port == 0 {
            errors.push("port", "out_of_range", "ports are numbered 1 to 255");
        }
        for (field, value) in [
            ("value", Some(self.value)),
            ("value2", self.value2),
            ("clear_value", self.clear_value),
        ] {
            if value.is_some_and(|v| !storable_number(v)) {
                errors.push(
                    field,
                    "out_of_range",
                    "a number from 1e-130 to below 1e126 in magnitude, or 0",
                );
            }
        }
        match (self.condition.is_range(), self.value2) {
            (true, None) => errors.push("value2", "required", "a range has its upper end in value2"),
            (true, Some(high)) if high < self.value => errors.push(
                "value2",
                "out_of_range",
                "value2 is the range's upper end: at least value",
            ),
            (false, Some(_)) => errors.push("value2", "not_a_range", "only outside and inside take value2"),
            _ => {}
        }
        match (self.condition.side(), self.clear_value) {
            (0, Some(_)) => errors.push(
                "clear_value",
                "not_a_threshold",
                "only >, >=, < and <= have a clear threshold",
            ),
            (1, Some(clear)) if clear > self.value => errors.push(
                "clear_value",
                "wrong_side",
                "an upper threshold clears at or below its value",
            ),
            (-1, Some(clear)) if clear < self.value => errors.push(
                "clear_value",
                "wrong_side",
                "a lower threshold clears at or above its value",
            ),
            _ => {}
        }
        if self.duration_seconds > MAX_DURATION_SECONDS {
            errors.push("duration_seconds", "out_of_range", "0 to 86,400 seconds");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::CatalogueEntry;

    fn rule(condition: Comparison, value: f64, value2: Option<f64>, clear: Option<f64>) -> AlertRule {
        AlertRule {
            condition,
            value,
            value2,
            clear_value: clear,
            ..AlertRule::blank(
                AlertRuleId::generate(),
                OrganisationId::generate(),
                Timestamp::new(chrono::Utc::now()),
            )
        }
    }

    #[test]
    fn an_upper_threshold_with_hysteresis_raises_above_and_clears_only_below_its_clear_value() {
        let hot = rule(Comparison::Above, 40.0, None, Some(35.0));
        assert!(hot.breached_by(40.5) && !hot.breached_by(40.0));
        assert!(!hot.cleared_by(38.0), "between the thresholds the alert holds");
        assert!(hot.cleared_by(34.9));
        let cold = rule(Comparison::AtMost, 2.0, None, Some(4.0));
        assert!(cold.breached_by(2.0) && !cold.cleared_by(3.0) && cold.cleared_by(4.5));
    }

    #[test]
    fn ranges_include_their_ends_and_equality_compares_booleans_as_one_and_zero() {
        let inside = rule(Comparison::Inside, 1.0, Some(2.0), None);
        assert!(inside.breached_by(1.0) && inside.breached_by(2.0) && !inside.breached_by(2.1));
        let outside = rule(Comparison::Outside, 1.0, Some(2.0), None);
        assert!(outside.breached_by(0.5) && !outside.breached_by(1.5) && outside.cleared_by(1.5));
        let open = rule(Comparison::Equal, 1.0, None, None);
        assert!(open.breached_by(1.0) && open.cleared_by(0.0));
    }

    #[test]
    fn a_rule_is_checked_whole() {
        let codes = |rule: AlertRule| {
            let mut errors = Collector::new();
            rule.check(&mut errors);
            errors
                .finish(|| ())
                .err()
                .map(|e| e.errors().iter().map(|e| e.code).collect::<Vec<_>>())
                .unwrap_or_default()
        };
        assert_eq!(codes(rule(Comparison::Outside, 1.0, None, None)), ["required"]);
        assert_eq!(codes(rule(Comparison::Inside, 3.0, Some(2.0), None)), ["out_of_range"]);
        assert_eq!(codes(rule(Comparison::Above, 3.0, Some(4.0), None)), ["not_a_range"]);
        assert_eq!(codes(rule(Comparison::Above, 40.0, None, Some(45.0))), ["wrong_side"]);
        assert_eq!(
            codes(rule(Comparison::Equal, 1.0, None, Some(0.0))),
            ["not_a_threshold"]
        );
        assert!(codes(rule(Comparison::Below, 0.0, None, Some(5.0))).is_empty());
    }
}
