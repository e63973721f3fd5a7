//! The SIM inventory: adding SIMs one by one, reading, changing and listing them, assigning
//! them to companies and end users, and counting them by company and status.

use super::contracts::Contract;
use super::counts::CountDeltas;
use super::plans::Plan;
use super::{Sim, SimScope, Sims, sim_scope};
use crate::audit::{AuditEvent, RequestContext};
use crate::error::{DomainError, DomainResult};
use crate::identity::{Organisation, Principal};
use crate::ids::OrganisationId;
use crate::keys;
use crate::sims::records::{HOLDING_ATTEMPTS, holding_raced, iccid_taken, sim_write};
use crate::sims::wire::{NewSim, SimFilter, SimPatch, SimView, Summary, SummaryRow};
use crate::store::{Cursor, Index, Key, Query, SortCondition};
use crate::telecom::{Iccid, SimStatus};
use crate::tenancy::{ManageSims, ReadDevices, ViewOrganisation};
use crate::unit_of_work::UnitOfWork;
use crate::validation::Collector;
use serde_json::json;

impl Sims {
    /// Adds one SIM to the organisation (through a company: assigned to it).
    pub async fn add_sim(
        &self,
        principal: &Principal,
        context: &RequestContext,
        organisation_id: OrganisationId,
        new: NewSim,
    ) -> DomainResult<(SimView, u64)> {
        let scope = sim_scope::<ManageSims>(&*self.store, principal, organisation_id)
            .await?
            .shared()?;
        if scope.company.is_some() {
            new.fields.root_only_on_new()?;
        }
        self.check_references(&scope, &new.fields, scope.company).await?;
        let now = self.now();
        let sim = new.into_sim(scope.root, scope.company, now);
        let mut counts = CountDeltas::default();
        counts.add(&sim);
        let event = AuditEvent::by(principal.actor())
            .did("sim.added")
            .on("sim", &sim.iccid)
            .in_organisation(scope.root)
            .changes(json!(SimView::from(sim.clone())))
            .at(now, context);
        for _ in 0..HOLDING_ATTEMPTS {
            let first = self.store.get(&keys::iccid_first_holder(&sim.iccid)).await?;
            let holding = super::holders::holding_writes(&sim, super::holders::first_holder(first.as_ref()), now);
            let unit = || {
                holding.iter().fold(
                    UnitOfWork::new()
                        .write_or(sim_write(&sim, None), iccid_taken())
                        .audit(event.clone()),
                    |unit, write| unit.write_or(write.clone(), holding_raced()),
                )
            };
            match self.commit_counted(unit, &counts, scope.root).await {
                Err(DomainError::Conflict {
                    code: "holding_raced", ..
                }) => continue,
                other => other?,
            }
            return Ok((sim.into(), 1));
        }
        Err(holding_raced())
    }

    /// A SIM the caller may see here, with its version.
    pub async fn get_sim(
        &self,
        principal: &Principal,
        organisation_id: OrganisationId,
        iccid: &Iccid,
    ) -> DomainResult<(SimView, u64)> {
        let scope = sim_scope::<ViewOrganisation>(&*self.store, principal, organisation_id).await?;
        let (sim, version) = self.sim(scope.root, iccid).await?;
        Ok((scope.visible(sim)?.into(), version))
    }

    /// Changes a SIM's fields, if it is still at `if_match`'s version.
    pub async fn update_sim(
        &self,
        principal: &Principal,
        context: &RequestContext,
        organisation_id: OrganisationId,
        iccid: &Iccid,
        patch: SimPatch,
        if_match: Option<u64>,
    ) -> DomainResult<(SimView, u64)> {
        let scope = sim_scope::<ManageSims>(&*self.store, principal, organisation_id).await?;
        let (sim, version) = self.sim(scope.root, iccid).await?;
        let sim = scope.visible(sim)?;
        if if_match.is_some_and(|wanted| wanted != version) {
            return Err(DomainError::PreconditionFailed);
        }
        if scope.company.is_some() {
            patch.root_only()?;
        }
        self.check_references(&scope, &patch, sim.company_id).await?;
        let now = self.now();
        let next = Sim {
            updated_at: now,
            ..patch.apply(&sim)
        };
        let event = AuditEvent::by(principal.actor())
            .did("sim.changed")
            .on("sim", iccid)
            .in_organisation(scope.root)
            .changes(json!(SimView::from(next.clone())))
            .at(now, context);
        UnitOfWork::new()
            .write_or(sim_write(&next, Some(version)), DomainError::PreconditionFailed)
            .audit(event)
            .commit(&*self.store)
            .await?;
        Ok((next.into(), version + 1))
    }

    /// That the contract and plan a SIM names exist: the contract in the root, the plan in
    /// the root or the SIM's company.
    async fn check_references<G: crate::tenancy::Grant>(
        &self,
        scope: &SimScope<G>,
        fields: &SimPatch,
        company: Option<OrganisationId>,
    ) -> DomainResult<()> {
        let contract = fields.contract_id.flatten();
        let plan = fields.plan_id.flatten();
        let mut keys: Vec<Key> = Vec::new();
        if let Some(contract) = contract {
            keys.push(keys::contract(scope.root, contract));
        }
        if let Some(plan) = plan {
            keys.push(keys::plan(scope.root, plan));
            if let Some(company) = company {
                keys.push(keys::plan(company, plan));
            }
        }
        if keys.is_empty() {
            return Ok(());
        }
        let found = self.store.batch_get(&keys).await?;
        let mut errors = Collector::new();
        let mut found = found.into_iter();
        if contract.is_some() && found.next().flatten().map(|item| item.record::<Contract>()).is_none() {
            errors.push(
                "contract_id",
                "unknown_contract",
                "no contract of this organisation has this id",
            );
        }
        if plan.is_some() && !found.any(|item| item.is_some_and(|item| item.record::<Plan>().is_ok())) {
            errors.push(
                "plan_id",
                "unknown_plan",
                "no plan of this organisation or company has this id",
            );
        }
        errors.finish(|| ()).map_err(DomainError::Inconsistent)
    }

    /// A page of the SIMs the caller may see here, filtered. Each filter is served by a
    /// keyed query where one exists (organisation, company, end user, status); contract, plan
    /// and label filter the page read (docs/data-model.md states the read amplification), so
    /// a page may hold fewer than `limit` SIMs while `next` is not `None`.
    pub async fn list_sims(
        &self,
        principal: &Principal,
        organisation_id: OrganisationId,
        mut filter: SimFilter,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> DomainResult<(Vec<SimView>, Option<Cursor>)> {
        let scope = sim_scope::<ViewOrganisation>(&*self.store, principal, organisation_id).await?;
        if !scope.staff {
            // An end user sees the SIMs assigned to them, whatever they ask for.
            if filter.end_user_id.is_some_and(|user| user != scope.user) {
                return Ok((vec![], None));
            }
            filter.end_user_id = Some(scope.user);
        }
        if let (Some(company), Some(wanted)) = (scope.company, filter.company_id)
            && company != wanted
        {
            return Ok((vec![], None));
        }
        if scope.company.is_none()
            && let Some(wanted) = filter.company_id
            && !self.is_company_of(wanted, scope.root).await?
        {
            // Another organisation's company: nothing of it is read, not even a cursor.
            return Ok((vec![], None));
        }
        let company = scope.company.or(filter.company_id);
        let status_sort = |status: Option<SimStatus>| match status {
            Some(status) => SortCondition::BeginsWith(keys::sims_in_status(status.as_str())),
            None => SortCondition::Any,
        };
        let (query, pointers) = match (filter.end_user_id, company) {
            (Some(user), company) => {
                let sort = match company {
                    Some(company) => SortCondition::BeginsWith(keys::end_user_sims_in(company)),
                    None => SortCondition::Any,
                };
                (
                    Query::new(Index::Table, keys::end_user_sims_partition(scope.root, user)).sort(sort),
                    true,
                )
            }
            (None, Some(company)) => (
                Query::new(Index::Gsi2, keys::sims_partition(company)).sort(status_sort(filter.status)),
                false,
            ),
            (None, None) => (
                Query::new(Index::Gsi1, keys::sims_partition(scope.root)).sort(status_sort(filter.status)),
                false,
            ),
        };
        let page = self.store.query(&query.limit(limit).after(cursor)).await?;
        let items = if pointers {
            let keys: Vec<Key> = page
                .items
                .iter()
                .filter_map(|pointer| pointer.attribute("iccid")?.as_str().map(str::to_owned))
                .filter_map(|iccid| Iccid::parse(&iccid, "iccid").ok())
                .map(|iccid| keys::sim(scope.root, &iccid))
                .collect();
            self.store.batch_get(&keys).await?.into_iter().flatten().collect()
        } else {
            page.items
        };
        let sims = items
            .iter()
            .map(|item| item.record::<Sim>())
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .filter(|sim| scope.sees(sim) && filter.matches(sim))
            .map(SimView::from)
            .collect();
        Ok((sims, page.next))
    }

    /// Whether `company` is a live company of `root`.
    pub(crate) async fn is_company_of(&self, company: OrganisationId, root: OrganisationId) -> DomainResult<bool> {
        let item = self.store.get(&keys::organisation(company)).await?;
        let organisation = item.map(|item| item.record::<Organisation>()).transpose()?;
        Ok(organisation.is_some_and(|c| c.parent_organisation_id == Some(root) && c.deleted_at.is_none()))
    }

    /// SIM counts by company and status: the root's staff see every company's, a company's
    /// staff their company's.
    pub async fn summary(&self, principal: &Principal, organisation_id: OrganisationId) -> DomainResult<Summary> {
        let scope = sim_scope::<ReadDevices>(&*self.store, principal, organisation_id).await?;
        let counts = self.counts(scope.root).await?;
        let items: Vec<SummaryRow> = counts
            .into_iter()
            .filter(|(company, _)| scope.company.is_none() || *company == scope.company)
            .flat_map(|(company, by_status)| {
                by_status
                    .into_iter()
                    .filter(|(_, count)| *count != 0)
                    .map(move |(status, count)| SummaryRow {
                        company_id: company,
                        status,
                        count,
                    })
            })
            .collect();
        Ok(Summary {
            total: items.iter().map(|row| row.count).sum(),
            items,
        })
    }
}
