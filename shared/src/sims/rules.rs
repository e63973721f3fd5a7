//! SIM rules (SPEC §6): on a root organisation (for every SIM) or a company (for its SIMs),
//! owners only. A data-usage rule fires when a SIM's usage in its billing period reaches
//! N MB or P % of its plan's allowance — once per SIM, rule and period, however many usage
//! records arrive at once: firing is a conditional put of a marker, committed with the
//! rule's e-mails (through the outbox) and audit event. A status-change rule e-mails on
//! every change of state, in the change's own transaction.

use super::{Sims, sim_scope};
#[cfg(test)]
use crate::accounts::Role;
use crate::audit::{AuditEvent, RequestContext};
use crate::error::{DomainError, DomainResult};
use crate::identity::Principal;
use crate::ids::{OrganisationId, SimRuleId};
use crate::keys;
use crate::limits::Cap;
use crate::store::{Condition, Index, Item, Query, SortCondition, Write};
use crate::tenancy::ManageSims;
use crate::time::Timestamp;
use crate::unit_of_work::UnitOfWork;
use crate::validation::{Collector, MAX_NAME_CHARS, ValidationErrors, free_text};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeSet;

/// Bytes in a megabyte, as operators bill data (SI).
pub const BYTES_PER_MB: u64 = 1_000_000;
pub use crate::recipients::{Recipients, RecipientsPayload};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    DataUsage,
    StatusChange,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RuleAction {
    Notify,
    Suspend,
}

/// A SIM rule as stored and shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = SimRule)]
pub struct SimRule {
    pub id: SimRuleId,
    /// The root organisation or company it belongs to.
    pub organisation_id: OrganisationId,
    pub name: String,
    pub kind: RuleKind,
    pub threshold_mb: Option<u64>,
    pub threshold_percent: Option<u32>,
    pub actions: Vec<RuleAction>,
    pub recipients: Recipients,
    pub created_at: Timestamp,
}

impl SimRule {
    /// The data threshold in bytes for a SIM whose plan allows `plan_mb` (none: no plan).
    pub fn threshold_bytes(&self, plan_mb: Option<u64>) -> Option<u64> {
        match (self.threshold_mb, self.threshold_percent, plan_mb) {
            (Some(mb), _, _) => Some(mb * BYTES_PER_MB),
            (None, Some(percent), Some(plan)) => Some(plan * BYTES_PER_MB * u64::from(percent) / 100),
            _ => None,
        }
    }
}

/// `POST …/sim-rules`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SimRuleRequest)]
pub struct SimRulePayload {
    #[schema(schema_with = crate::schema::name_text)]
    pub name: String,
    pub kind: RuleKind,
    /// Data-usage rules: megabytes (10⁶ bytes) used in the billing period…
    #[serde(default, deserialize_with = "optional_whole_number")]
    #[schema(minimum = 1, maximum = 1_000_000_000)]
    pub threshold_mb: Option<u64>,
    /// …or a percentage of the plan's data allowance (SIMs without a plan are not matched).
    #[serde(default, deserialize_with = "optional_whole_number")]
    #[schema(minimum = 1, maximum = 1000)]
    pub threshold_percent: Option<u32>,
    /// `notify` e-mails the recipients; `suspend` (data-usage rules) suspends the SIM.
    #[schema(min_items = 1)]
    pub actions: Vec<RuleAction>,
    #[serde(default)]
    pub recipients: Option<RecipientsPayload>,
}

fn optional_whole_number<'de, D: serde::Deserializer<'de>, T: TryFrom<i64>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    #[derive(Deserialize)]
    #[serde(bound = "T: TryFrom<i64>")]
    struct Whole<T>(#[serde(deserialize_with = "crate::schema::whole_number")] T);
    Option::<Whole<T>>::deserialize(deserializer).map(|whole| whole.map(|Whole(n)| n))
}

/// A rule's fields, parsed and checked together.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRule {
    pub name: String,
    pub kind: RuleKind,
    pub threshold_mb: Option<u64>,
    pub threshold_percent: Option<u32>,
    pub actions: Vec<RuleAction>,
    pub recipients: Recipients,
}

impl NewRule {
    pub fn parse(raw: SimRulePayload) -> Result<NewRule, ValidationErrors> {
        let mut errors = Collector::new();
        let name = errors.check(free_text("name", &raw.name, MAX_NAME_CHARS));
        match (raw.kind, raw.threshold_mb, raw.threshold_percent) {
            (RuleKind::DataUsage, Some(_), Some(_)) | (RuleKind::DataUsage, None, None) => errors.push(
                "threshold_mb",
                "one_threshold",
                "a data-usage rule has threshold_mb or threshold_percent, not both",
            ),
            (RuleKind::StatusChange, None, None) | (RuleKind::DataUsage, _, _) => {}
            (RuleKind::StatusChange, _, _) => {
                errors.push("threshold_mb", "no_threshold", "a status-change rule has no threshold")
            }
        }
        if raw.threshold_mb.is_some_and(|mb| mb == 0 || mb > 1_000_000_000) {
            errors.push("threshold_mb", "out_of_range", "1 to 1,000,000,000 MB");
        }
        if raw.threshold_percent.is_some_and(|p| p == 0 || p > 1000) {
            errors.push("threshold_percent", "out_of_range", "1 to 1000 %");
        }
        let actions: BTreeSet<RuleAction> = raw.actions.iter().copied().collect();
        if actions.is_empty() {
            errors.push("actions", "required", "at least one action");
        }
        if raw.kind == RuleKind::StatusChange && actions.contains(&RuleAction::Suspend) {
            errors.push("actions", "invalid_action", "a status-change rule notifies only");
        }
        let recipients = Recipients::parse(raw.recipients, &mut errors);
        let notifies = actions.contains(&RuleAction::Notify);
        if notifies && recipients.as_ref().is_some_and(Recipients::is_empty) {
            errors.push("recipients", "required", "a rule that notifies names roles or users");
        }
        errors.finish(|| NewRule {
            name: name.expect("checked"),
            kind: raw.kind,
            threshold_mb: raw.threshold_mb,
            threshold_percent: raw.threshold_percent,
            actions: actions.into_iter().collect(),
            recipients: recipients.expect("checked"),
        })
    }
}

/// A rule that fired for a SIM, and what it did.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Firing {
    pub rule_id: SimRuleId,
    pub actions: Vec<RuleAction>,
}

impl Sims {
    /// Adds a rule to a root organisation or company (owners).
    pub async fn create_rule(
        &self,
        principal: &Principal,
        context: &RequestContext,
        organisation_id: OrganisationId,
        rule: NewRule,
    ) -> DomainResult<SimRule> {
        let scope = sim_scope::<ManageSims>(&*self.store, principal, organisation_id)
            .await?
            .shared()?;
        if !rule.recipients.user_ids.is_empty() {
            let keys: Vec<_> = rule
                .recipients
                .user_ids
                .iter()
                .map(|user| keys::membership(*user, organisation_id))
                .collect();
            let found = self.store.batch_get(&keys).await?;
            let mut errors = Collector::new();
            for (i, membership) in found.iter().enumerate() {
                if membership.is_none() {
                    errors.push(
                        format!("recipients.user_ids[{i}]"),
                        "not_a_member",
                        "recipients are members of the rule's organisation",
                    );
                }
            }
            errors.finish(|| ()).map_err(DomainError::Inconsistent)?;
        }
        let (counted, full) = Cap::SimRules.one_more(&*self.store, organisation_id).await?;
        let now = self.now();
        let stored = SimRule {
            id: SimRuleId::generate(),
            organisation_id,
            name: rule.name,
            kind: rule.kind,
            threshold_mb: rule.threshold_mb,
            threshold_percent: rule.threshold_percent,
            actions: rule.actions,
            recipients: rule.recipients,
            created_at: now,
        };
        let event = AuditEvent::by(principal.actor())
            .did("sim_rule.created")
            .on("sim_rule", stored.id)
            .in_organisation(scope.root)
            .changes(json!(stored))
            .at(now, context);
        UnitOfWork::new()
            .write(Write::Put {
                item: Item::from_record(keys::sim_rule(organisation_id, stored.id), &stored),
                condition: Some(Condition::NotExists),
            })
            .write_or(counted, full)
            .audit(event)
            .commit(&*self.store)
            .await?;
        Ok(stored)
    }

    /// A page of the rules of a root organisation or company (owners).
    pub async fn rules(
        &self,
        principal: &Principal,
        organisation_id: OrganisationId,
        limit: u32,
        cursor: Option<crate::store::Cursor>,
    ) -> DomainResult<(Vec<SimRule>, Option<crate::store::Cursor>)> {
        sim_scope::<ManageSims>(&*self.store, principal, organisation_id).await?;
        let page = self
            .store
            .query(
                &Query::new(Index::Table, keys::organisation_partition(organisation_id))
                    .sort(SortCondition::BeginsWith(keys::SIM_RULES_PREFIX.to_owned()))
                    .limit(limit)
                    .after(cursor),
            )
            .await?;
        let rules = page.items.iter().map(Item::record).collect::<Result<_, _>>()?;
        Ok((rules, page.next))
    }

    pub async fn rule(
        &self,
        principal: &Principal,
        organisation_id: OrganisationId,
        rule: SimRuleId,
    ) -> DomainResult<SimRule> {
        sim_scope::<ManageSims>(&*self.store, principal, organisation_id).await?;
        Ok(self
            .store
            .get(&keys::sim_rule(organisation_id, rule))
            .await?
            .ok_or(DomainError::NotFound)?
            .record()?)
    }

    pub async fn delete_rule(
        &self,
        principal: &Principal,
        context: &RequestContext,
        organisation_id: OrganisationId,
        rule: SimRuleId,
    ) -> DomainResult<()> {
        let scope = sim_scope::<ManageSims>(&*self.store, principal, organisation_id).await?;
        let event = AuditEvent::by(principal.actor())
            .did("sim_rule.deleted")
            .on("sim_rule", rule)
            .in_organisation(scope.root)
            .at(self.now(), context);
        UnitOfWork::new()
            .write_or(
                Write::Delete {
                    key: keys::sim_rule(organisation_id, rule),
                    condition: Some(Condition::Exists),
                },
                DomainError::NotFound,
            )
            .write(Cap::SimRules.one_less(&*self.store, organisation_id).await?)
            .audit(event)
            .commit(&*self.store)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(kind: RuleKind, mb: Option<u64>, percent: Option<u32>, actions: Vec<RuleAction>) -> SimRulePayload {
        SimRulePayload {
            name: "Rule".into(),
            kind,
            threshold_mb: mb,
            threshold_percent: percent,
            actions,
            recipients: Some(RecipientsPayload {
                roles: Some(vec!["owner".into()]),
                user_ids: None,
            }),
        }
    }

    fn codes(result: Result<NewRule, ValidationErrors>) -> Vec<&'static str> {
        result.unwrap_err().errors().iter().map(|e| e.code).collect()
    }

    #[test]
    fn a_data_usage_rule_has_exactly_one_threshold() {
        use RuleAction::*;
        assert_eq!(
            codes(NewRule::parse(payload(RuleKind::DataUsage, None, None, vec![Notify]))),
            ["one_threshold"]
        );
        assert_eq!(
            codes(NewRule::parse(payload(
                RuleKind::DataUsage,
                Some(1),
                Some(80),
                vec![Notify]
            ))),
            ["one_threshold"]
        );
        assert!(NewRule::parse(payload(RuleKind::DataUsage, None, Some(80), vec![Suspend])).is_ok());
    }

    #[test]
    fn a_status_change_rule_only_notifies_and_has_no_threshold() {
        use RuleAction::*;
        assert_eq!(
            codes(NewRule::parse(payload(
                RuleKind::StatusChange,
                Some(5),
                None,
                vec![Suspend]
            ))),
            ["no_threshold", "invalid_action"]
        );
        let rule = NewRule::parse(payload(RuleKind::StatusChange, None, None, vec![Notify, Notify])).unwrap();
        assert_eq!(rule.actions, [Notify]);
        assert_eq!(rule.recipients.roles, [Role::Owner], "member is not implied");
    }

    #[test]
    fn percent_thresholds_need_a_plan() {
        let rule = SimRule {
            id: SimRuleId::generate(),
            organisation_id: OrganisationId::generate(),
            name: "80 %".into(),
            kind: RuleKind::DataUsage,
            threshold_mb: None,
            threshold_percent: Some(80),
            actions: vec![RuleAction::Notify],
            recipients: Recipients::default(),
            created_at: Timestamp::new(chrono::Utc::now()),
        };
        assert_eq!(rule.threshold_bytes(Some(1000)), Some(800 * BYTES_PER_MB));
        assert_eq!(rule.threshold_bytes(None), None);
    }
}
