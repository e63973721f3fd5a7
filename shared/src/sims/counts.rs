//! SIM counts by company and status (the summary), kept in counter items updated in the same
//! transaction as the SIMs they count, so they never drift. Counters are sharded by ICCID
//! ([`SHARDS`] items per company) so that concurrent imports and changes in one organisation do
//! not all contend for one item; the summary reads them with one query and adds them up.
//!
//! Counter items are created the first time a transaction needs one: the store's updates never
//! create items, so a transaction whose counter is missing fails on it, that company's counters
//! are created (a conditional put per shard, once in their life) and the change is tried again.

use super::{Sim, Sims, shard_of};
use crate::error::{DomainError, DomainResult};
use crate::ids::OrganisationId;
use crate::keys;
use crate::store::{Condition, Item, StoreError, Update, Write};
use crate::telecom::SimStatus;
use crate::unit_of_work::UnitOfWork;
use std::collections::BTreeMap;

/// Counter items per company (and per "unassigned").
pub(crate) const SHARDS: u8 = 4;

/// Changes to counts, by (company, shard) and status.
#[derive(Debug, Default, Clone)]
pub(crate) struct CountDeltas(BTreeMap<(Option<OrganisationId>, u8), BTreeMap<SimStatus, i64>>);

impl CountDeltas {
    pub fn add(&mut self, sim: &Sim) {
        self.change(sim, 1);
    }

    pub fn remove(&mut self, sim: &Sim) {
        self.change(sim, -1);
    }

    fn change(&mut self, sim: &Sim, by: i64) {
        *self
            .0
            .entry((sim.company_id, shard_of(&sim.iccid)))
            .or_default()
            .entry(sim.status)
            .or_default() += by;
    }

    /// One update per counter item that changes, with the company it counts.
    fn writes(&self, organisation: OrganisationId) -> Vec<(Option<OrganisationId>, Write)> {
        self.0
            .iter()
            .filter(|(_, by_status)| by_status.values().any(|n| *n != 0))
            .map(|((company, shard), by_status)| {
                let update = by_status.iter().filter(|(_, n)| **n != 0).fold(
                    Update::new(keys::sim_counts(organisation, *company, *shard)),
                    |update, (status, n)| update.add(status.as_str(), *n),
                );
                (*company, Write::Update(update))
            })
            .collect()
    }
}

/// What a counted commit can fail with: the change's own meanings, or a missing counter.
pub(crate) enum CountedFailure {
    Domain(DomainError),
    /// A counter of this company (none: unassigned SIMs) does not exist yet.
    CounterMissing(Option<OrganisationId>),
}

impl Sims {
    /// Commits the unit `build` makes together with `counts`; when a counter is missing,
    /// creates its company's counters (every shard, so the next change finds them) and tries
    /// again.
    pub(crate) async fn commit_counted(
        &self,
        build: impl Fn() -> UnitOfWork,
        counts: &CountDeltas,
        organisation: OrganisationId,
    ) -> DomainResult<()> {
        let mut created = 0;
        loop {
            let unit = counts.writes(organisation).into_iter().fold(
                build().map_meanings(CountedFailure::Domain),
                |unit, (company, write)| unit.write_or(write, CountedFailure::CounterMissing(company)),
            );
            match unit.commit(&*self.store).await {
                Ok(()) => return Ok(()),
                Err(CountedFailure::CounterMissing(company)) if created <= counts.0.len() => {
                    created += 1;
                    for shard in 0..SHARDS {
                        let counter = Item::new(keys::sim_counts(organisation, company, shard));
                        match self.store.put(counter, Some(Condition::NotExists)).await {
                            Ok(()) | Err(StoreError::ConditionFailed { .. }) => {}
                            Err(other) => return Err(other.into()),
                        }
                    }
                }
                Err(CountedFailure::CounterMissing(_)) => {
                    return Err(DomainError::Internal("SIM counters could not be created".into()));
                }
                Err(CountedFailure::Domain(error)) => return Err(error),
            }
        }
    }

    /// Counts of an organisation's SIMs by company and status (one query over its shards).
    pub(crate) async fn counts(
        &self,
        organisation: OrganisationId,
    ) -> DomainResult<BTreeMap<Option<OrganisationId>, BTreeMap<SimStatus, i64>>> {
        let mut totals: BTreeMap<Option<OrganisationId>, BTreeMap<SimStatus, i64>> = BTreeMap::new();
        let mut cursor = None;
        loop {
            let page = self
                .store
                .query(
                    &crate::store::Query::new(crate::store::Index::Table, keys::sim_counts_partition(organisation))
                        .limit(crate::store::MAX_PAGE)
                        .after(cursor),
                )
                .await?;
            for item in &page.items {
                let company = item
                    .key
                    .sk
                    .split('#')
                    .nth(1)
                    .and_then(|text| OrganisationId::parse(text, "company").ok());
                let by_status = totals.entry(company).or_default();
                for status in SimStatus::ALL {
                    if let Some(n) = item.attribute(status.as_str()).and_then(|v| v.as_i64()) {
                        *by_status.entry(status).or_default() += n;
                    }
                }
            }
            match page.next {
                Some(next) => cursor = Some(next),
                None => return Ok(totals),
            }
        }
    }
}

impl From<StoreError> for CountedFailure {
    fn from(error: StoreError) -> Self {
        CountedFailure::Domain(error.into())
    }
}
