//! When a SIM rule fires: the rules that watch a SIM (its root's and its company's), who they
//! tell, and each firing recorded once per period so a threshold crossed twice tells once.

use super::rules::{RuleAction, RuleKind, SimRule};
use super::{Sim, Sims};
use crate::audit::{Actor, AuditEvent, RequestContext};
use crate::error::{DomainError, DomainResult};
use crate::identity::User;
use crate::ids::OrganisationId;
use crate::keys;
use crate::mail::EmailMessage;
use crate::notices::Notice;
use crate::recipients::MAX_RECIPIENTS;
use crate::store::{Condition, Index, Item, Query, SortCondition, StoreError, Write};
use crate::telecom::SimStatus;
use crate::unit_of_work::UnitOfWork;
use serde_json::json;
use std::collections::BTreeSet;

impl Sims {
    /// Every rule of one organisation (rules are few: one query).
    pub(crate) async fn rules_of(&self, organisation_id: OrganisationId) -> DomainResult<Vec<SimRule>> {
        let page = self
            .store
            .query(
                &Query::new(Index::Table, keys::organisation_partition(organisation_id))
                    .sort(SortCondition::BeginsWith(keys::SIM_RULES_PREFIX.to_owned()))
                    .limit(crate::store::MAX_PAGE),
            )
            .await?;
        Ok(page.items.iter().map(Item::record).collect::<Result<_, _>>()?)
    }

    /// The rules that apply to `sim`: its organisation's and its company's.
    pub(crate) async fn rules_for(&self, sim: &Sim, kind: RuleKind) -> DomainResult<Vec<SimRule>> {
        let mut rules = self.rules_of(sim.organisation_id).await?;
        if let Some(company) = sim.company_id {
            rules.extend(self.rules_of(company).await?);
        }
        rules.retain(|rule| rule.kind == kind);
        Ok(rules)
    }

    /// Who a rule e-mails about `sim` (see [`Recipients::resolve`]): a company's rule reaches
    /// its members and the root's.
    async fn recipients(&self, rule: &SimRule, sim: &Sim) -> DomainResult<Vec<User>> {
        if !rule.actions.contains(&RuleAction::Notify) {
            return Ok(vec![]);
        }
        let mut organisations = vec![rule.organisation_id];
        if rule.organisation_id != sim.organisation_id {
            organisations.push(sim.organisation_id);
        }
        rule.recipients
            .resolve(&*self.store, &organisations, sim.end_user_id)
            .await
    }

    /// The notice about `sim` for each of `recipients`.
    fn alerts(&self, rule_name: &str, sim: &Sim, what: &str, recipients: Vec<User>) -> Vec<Notice> {
        let link = format!(
            "{}/organisations/{}/sims/{}",
            self.notices.web_url, sim.organisation_id, sim.iccid
        );
        recipients
            .into_iter()
            .map(|user| Notice {
                mail: EmailMessage::SimAlert {
                    to: user.email.clone(),
                    name: user.name.clone(),
                    rule: rule_name.to_owned(),
                    iccid: sim.iccid.to_string(),
                    what: what.to_owned(),
                    link: link.clone(),
                },
                to: user,
            })
            .collect()
    }

    /// Fires `rule` for `sim` in the period starting `period`, unless it fired already: its
    /// marker, e-mails and audit event in one transaction. Whether this call fired it.
    pub(crate) async fn fire_once(&self, rule: &SimRule, sim: &Sim, period: &str, what: &str) -> DomainResult<bool> {
        let now = self.now();
        let marker_key = keys::rule_firing(sim.organisation_id, &sim.iccid, rule.id, period, &sim.placement());
        // Fired already this period (every usage record past the threshold asks again): no
        // recipients read, no e-mail budget spent on mail that would not go.
        if self.store.get(&marker_key).await?.is_some() {
            return Ok(false);
        }
        let notices = self.alerts(&rule.name, sim, what, self.recipients(rule, sim).await?);
        let mails = self
            .notices
            .writes(&*self.store, sim.organisation_id, notices, now)
            .await?;
        let event = AuditEvent::by(Actor::system())
            .did("sim_rule.fired")
            .on("sim", &sim.iccid)
            .in_organisation(sim.organisation_id)
            .changes(json!({ "rule_id": rule.id, "period": period, "what": what, "mails": mails.len() }))
            .at(now, &RequestContext::default());
        let marker = Item::new(marker_key).with("fired_at", json!(now));
        let committed = UnitOfWork::new()
            .write(Write::Put {
                item: marker,
                condition: Some(Condition::NotExists),
            })
            .writes(mails)
            .audit(event)
            .commit(&*self.store)
            .await;
        match committed {
            Ok(()) => Ok(true),
            Err(DomainError::Store(StoreError::ConditionFailed { .. })) => Ok(false),
            Err(other) => Err(other),
        }
    }

    /// The e-mails of the status-change rules for a SIM moving from `from` to `sim.status`, as
    /// writes for the change's transaction: one per person however many rules name them
    /// (under the first rule's name), at most [`MAX_RECIPIENTS`], within the organisation's
    /// hourly budget.
    pub(crate) async fn status_mails(&self, sim: &Sim, from: SimStatus) -> DomainResult<Vec<Write>> {
        let what = format!(
            "SIM {} changed from {} to {}.",
            sim.iccid,
            from.as_str(),
            sim.status.as_str()
        );
        let mut mails = Vec::new();
        let mut mailed = BTreeSet::new();
        for rule in self.rules_for(sim, RuleKind::StatusChange).await? {
            let recipients: Vec<User> = self
                .recipients(&rule, sim)
                .await?
                .into_iter()
                .filter(|user| mailed.len() < MAX_RECIPIENTS && mailed.insert(user.id))
                .collect();
            mails.extend(self.alerts(&rule.name, sim, &what, recipients));
        }
        self.notices
            .writes(&*self.store, sim.organisation_id, mails, self.now())
            .await
    }
}
