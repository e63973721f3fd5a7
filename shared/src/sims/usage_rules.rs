//! Usage against the SIM's rules: a data threshold crossed fires its rule once per period, and
//! a rule that suspends suspends the SIM.

use super::plans::Plan;
use super::rules::{Firing, RuleAction, RuleKind};
use super::{Sim, Sims};
use crate::audit::RequestContext;
use crate::error::{DomainError, DomainResult};
use crate::ids::OrganisationId;
use crate::keys;
use crate::sims::PeriodTotals;
use crate::telecom::{Iccid, SimAction};

impl Sims {
    /// Fires each data-usage rule whose threshold the period's total reached and that has not
    /// fired for this SIM in this period.
    pub(super) async fn check_data_rules(
        &self,
        sim: &Sim,
        plan: Option<&Plan>,
        totals: &PeriodTotals,
        context: &RequestContext,
    ) -> DomainResult<Vec<Firing>> {
        let mut fired = Vec::new();
        for rule in self.rules_for(sim, RuleKind::DataUsage).await? {
            let Some(threshold) = rule.threshold_bytes(plan.map(|plan| plan.data_mb)) else {
                continue;
            };
            if totals.data_bytes < threshold {
                continue;
            }
            let what = format!(
                "SIM {} used {} bytes of data in the period from {}, reaching the rule's threshold of {} bytes.",
                sim.iccid, totals.data_bytes, totals.period_start, threshold
            );
            if !self.fire_once(&rule, sim, &totals.period_start, &what).await? {
                continue;
            }
            if rule.actions.contains(&RuleAction::Suspend) {
                self.suspend_for_rule(sim.organisation_id, &sim.iccid, context).await?;
            }
            fired.push(Firing {
                rule_id: rule.id,
                actions: rule.actions.clone(),
            });
        }
        Ok(fired)
    }

    /// Suspends a SIM a rule fired for, trying again when a concurrent change moved it first.
    /// A SIM that cannot be suspended (suspended or terminated already, or its operator
    /// refusing) is left as it is: the firing and its e-mails stand, and the audit trail says
    /// what happened to the SIM.
    async fn suspend_for_rule(
        &self,
        root: OrganisationId,
        iccid: &Iccid,
        context: &RequestContext,
    ) -> DomainResult<()> {
        for _ in 0..3 {
            match self
                .change_state_as_system(root, iccid, SimAction::Suspend, context)
                .await
            {
                Err(DomainError::Conflict {
                    code: "concurrent_change",
                    ..
                }) => continue,
                Ok(()) | Err(DomainError::Conflict { .. }) => return Ok(()),
                Err(other) => return Err(other),
            }
        }
        Ok(())
    }

    /// The SIM's plan, from its root or its company.
    pub(super) async fn plan_of(&self, sim: &Sim) -> DomainResult<Option<Plan>> {
        let Some(plan) = sim.plan_id else {
            return Ok(None);
        };
        let mut keys = vec![keys::plan(sim.organisation_id, plan)];
        if let Some(company) = sim.company_id {
            keys.push(keys::plan(company, plan));
        }
        let found = self.store.batch_get(&keys).await?;
        Ok(found
            .into_iter()
            .flatten()
            .next()
            .map(|item| item.record())
            .transpose()?)
    }
}
