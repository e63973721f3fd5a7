//! A bulk change's e-mails (issue 21, item 1): one digest per status-change rule and person
//! for the whole request, with the count and the first ICCIDs, never one e-mail per SIM.
//!
//! Each chunk tallies, per rule, the SIMs it changed that the rule applies to, and keeps the
//! tally in its report (written once, with the report, so a redelivered chunk counts nothing
//! twice). Whichever chunk completes the job sends the digests: per rule one transaction of
//! its e-mails and a mark that it was sent (a put only if absent), so racing workers send
//! each digest once.

use super::rules::{RuleAction, RuleKind, SimRule};
use super::{Sim, Sims};
use crate::audit::{Actor, AuditEvent, RequestContext};
use crate::error::{DomainError, DomainResult};
use crate::ids::{JobId, OrganisationId, SimRuleId};
use crate::keys;
use crate::mail::{DIGEST_ICCIDS, EmailMessage};
use crate::notices::Notice;
use crate::store::{Condition, Index, Item, Query, SortCondition, StoreError, Write};
use crate::telecom::SimAction;
use crate::unit_of_work::UnitOfWork;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{BTreeMap, HashMap};

/// What one rule applied to in a chunk (or a whole job): how many SIMs, the first of them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Tally {
    /// The rule's organisation (a root or a company), where it is read when the digest goes.
    pub organisation_id: Option<OrganisationId>,
    pub count: u64,
    pub first: Vec<String>,
}

/// The tallies of a chunk (or a job) by rule.
pub(crate) type Tallies = BTreeMap<SimRuleId, Tally>;

/// Adds a changed SIM to the tallies of the rules that apply to it.
pub(crate) fn tally(tallies: &mut Tallies, rules: &[SimRule], sim: &Sim) {
    for rule in rules.iter().filter(|rule| rule.actions.contains(&RuleAction::Notify)) {
        let tally = tallies.entry(rule.id).or_default();
        tally.organisation_id = Some(rule.organisation_id);
        tally.count += 1;
        if tally.first.len() < DIGEST_ICCIDS {
            tally.first.push(sim.iccid.to_string());
        }
    }
}

/// Merges one chunk's tallies into a job's.
fn merge(into: &mut Tallies, chunk: Tallies) {
    for (rule, tally) in chunk {
        let total = into.entry(rule).or_default();
        total.organisation_id = tally.organisation_id;
        total.count += tally.count;
        for iccid in tally.first {
            if total.first.len() < DIGEST_ICCIDS {
                total.first.push(iccid);
            }
        }
    }
}

impl Sims {
    /// The status-change rules that apply to `sim`, each organisation's read once per chunk.
    pub(crate) async fn status_rules_cached(
        &self,
        cache: &mut HashMap<OrganisationId, Vec<SimRule>>,
        sim: &Sim,
    ) -> DomainResult<Vec<SimRule>> {
        let mut rules = Vec::new();
        for organisation in [Some(sim.organisation_id), sim.company_id].into_iter().flatten() {
            if let std::collections::hash_map::Entry::Vacant(entry) = cache.entry(organisation) {
                entry.insert(self.rules_of(organisation).await?);
            }
            rules.extend(
                cache[&organisation]
                    .iter()
                    .filter(|rule| rule.kind == RuleKind::StatusChange)
                    .cloned(),
            );
        }
        Ok(rules)
    }

    /// Sends a completed bulk job's digests, if they were not sent yet: the chunks' tallies
    /// read from their reports, then per rule its e-mails with the mark that it was sent.
    pub(crate) async fn send_digests(
        &self,
        job_id: JobId,
        root: OrganisationId,
        action: SimAction,
    ) -> DomainResult<()> {
        let mut tallies = Tallies::new();
        let mut cursor = None;
        loop {
            let page = self
                .store
                .query(
                    &Query::new(Index::Table, keys::job_partition(job_id))
                        .sort(SortCondition::BeginsWith(keys::JOB_REPORT_PREFIX.to_owned()))
                        .limit(100)
                        .after(cursor),
                )
                .await?;
            for item in &page.items {
                if let Some(digest) = item.attribute("digest") {
                    let chunk: Tallies = serde_json::from_value(digest.clone())
                        .map_err(|e| DomainError::Internal(format!("a report's digest: {e}")))?;
                    merge(&mut tallies, chunk);
                }
            }
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        for (rule_id, tally) in tallies {
            self.send_digest(job_id, root, action, rule_id, tally).await?;
        }
        Ok(())
    }

    async fn send_digest(
        &self,
        job_id: JobId,
        root: OrganisationId,
        action: SimAction,
        rule_id: SimRuleId,
        tally: Tally,
    ) -> DomainResult<()> {
        let sent = keys::job_digest(job_id, rule_id);
        if self.store.get(&sent).await?.is_some() {
            return Ok(());
        }
        let organisation = tally.organisation_id.unwrap_or(root);
        // A rule deleted since: nobody asked for its e-mails any more.
        let Some(item) = self.store.get(&keys::sim_rule(organisation, rule_id)).await? else {
            return Ok(());
        };
        let rule: SimRule = item.record()?;
        let mut organisations = vec![organisation];
        if organisation != root {
            organisations.push(root);
        }
        // A digest goes to staff: it names the job's SIMs, and an end user hears only of their
        // own (a change made to their SIM alone, not in bulk).
        let people = rule.recipients.resolve(&*self.store, &organisations, None).await?;
        let what = format!(
            "A bulk change ({}) moved {} SIM{} to {}.",
            action.as_str(),
            tally.count,
            if tally.count == 1 { "" } else { "s" },
            super::lifecycle::target_of(action).as_str()
        );
        let link = format!("{}/organisations/{}/sims/bulk/{job_id}", self.notices.web_url, root);
        let now = self.now();
        let notices = people
            .into_iter()
            .map(|person| Notice {
                mail: EmailMessage::SimDigest {
                    to: person.email.clone(),
                    name: person.name.clone(),
                    rule: rule.name.clone(),
                    count: tally.count,
                    first: tally.first.clone(),
                    what: what.clone(),
                    link: link.clone(),
                },
                to: person,
            })
            .collect();
        let mails = self.notices.writes(&*self.store, root, notices, now).await?;
        let event = AuditEvent::by(Actor::system())
            .did("sim_rule.digest_sent")
            .on("job", job_id)
            .in_organisation(root)
            .changes(json!({ "rule_id": rule_id, "sims": tally.count, "mails": mails.len() }))
            .at(now, &RequestContext::default());
        let committed = UnitOfWork::new()
            .write(Write::Put {
                item: Item::new(sent)
                    .with("sent_at", json!(now))
                    .expiring_at(now.unix_seconds() + crate::jobs::JOB_RETENTION_DAYS * 86_400),
                condition: Some(Condition::NotExists),
            })
            .writes(mails)
            .audit(event)
            .commit(&*self.store)
            .await;
        match committed {
            // Another worker finishing the job sent it meanwhile.
            Ok(()) | Err(DomainError::Store(StoreError::ConditionFailed { .. })) => Ok(()),
            Err(other) => Err(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jobs_tallies_add_up_and_keep_the_first_iccids() {
        let rule = SimRuleId::generate();
        let chunk = |count: u64, first: &[&str]| {
            Tallies::from([(
                rule,
                Tally {
                    organisation_id: None,
                    count,
                    first: first.iter().map(|s| s.to_string()).collect(),
                },
            )])
        };
        let mut job = Tallies::new();
        merge(&mut job, chunk(8, &["1", "2", "3", "4", "5", "6", "7", "8"]));
        merge(&mut job, chunk(250, &["9", "10", "11"]));
        assert_eq!(job[&rule].count, 258);
        assert_eq!(job[&rule].first.len(), DIGEST_ICCIDS);
        assert_eq!(job[&rule].first[9], "10");
    }
}
