//! Bulk import of SIMs: a CSV file (a header row naming the columns) or a JSON array of
//! objects, idempotent by ICCID. Each row is parsed on its own, so an invalid row never
//! blocks the valid ones; each SIM is one item, written with its counters in a transaction of
//! up to [`SIMS_PER_TRANSACTION`], so no row is half-written. Up to [`MAX_SYNC_ROWS`] rows are
//! answered at once with the per-row report; a larger file becomes a job (`jobs`).

use super::contracts::Contract;
use super::counts::CountDeltas;
use super::plans::Plan;
use super::{Sim, Sims, sim_scope};
use crate::audit::{Actor, AuditEvent, RequestContext};
use crate::error::{DomainError, DomainResult};
use crate::identity::Principal;
use crate::ids::{ContractId, JobId, OrganisationId, PlanId};
use crate::jobs::{ImportAnswer, Job, JobKind, MAX_SYNC_ROWS, ROWS_PER_CHUNK, chunk_rows, record_done, start_queued};
use crate::rows::{RawRow, RowFile, RowFormat, RowOutcome, RowReport, check_file};
use crate::sims::records::{HOLDING_ATTEMPTS, holding_raced, iccid_taken, sim_write};
use crate::sims::wire::{NewSim, SimPatch, parse_labels};
use crate::store::{Key, StoreError, Write};
use crate::telecom::{Iccid, Imsi, Msisdn};
use crate::tenancy::ManageSims;
use crate::unit_of_work::UnitOfWork;
use crate::validation::{Collector, ValidationErrors};
use crate::{keys, schema};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// SIMs per transaction, leaving room for the counters and the audit event (limit 100).
pub const SIMS_PER_TRANSACTION: usize = 45;

/// A SIM import file: a JSON array of rows, or CSV of their columns.
impl RowFile for ImportRowPayload {
    const FORMAT: RowFormat = RowFormat {
        columns: &["iccid", "imsi", "msisdn", "contract_id", "plan_id", "labels"],
        required: "iccid",
        lists: &["labels"],
        wrapper: None,
    };
}

/// One row of a JSON import; a CSV row has the same columns, with `labels` separated by `;`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SimImportRow)]
pub struct ImportRowPayload {
    #[schema(value_type = Iccid)]
    pub iccid: String,
    #[schema(value_type = Option<Imsi>)]
    pub imsi: Option<String>,
    #[schema(value_type = Option<Msisdn>)]
    pub msisdn: Option<String>,
    #[schema(schema_with = schema::optional_uuid)]
    pub contract_id: Option<String>,
    #[schema(schema_with = schema::optional_uuid)]
    pub plan_id: Option<String>,
    #[schema(schema_with = labels)]
    pub labels: Option<Vec<String>>,
}

fn labels() -> utoipa::openapi::schema::Schema {
    schema::nullable(super::wire::labels_schema())
}

/// A row parsed into a new SIM, or the report of why not.
fn parse_row(row_number: u64, raw: RawRow) -> Result<NewSim, RowReport> {
    let iccid_text = raw.get("iccid").and_then(Value::as_str).map(str::to_owned);
    let payload: ImportRowPayload = serde_json::from_value(raw)
        .map_err(|_| RowReport::error(row_number, iccid_text.clone(), None, "invalid_row"))?;
    let first_error = |errors: ValidationErrors, iccid: Option<String>| {
        let error = &errors.errors()[0];
        RowReport::error(row_number, iccid, Some(&error.field), error.code)
    };
    let iccid = Iccid::parse(&payload.iccid, "iccid").map_err(|e| first_error(e, iccid_text.clone()))?;
    let shown = Some(iccid.to_string());
    let mut errors = Collector::new();
    let mut optional = |text: Option<String>, parse: &dyn Fn(&str) -> Result<(), ValidationErrors>| {
        if let Some(text) = &text {
            errors.check(parse(text));
        }
        text.map(Some)
    };
    let imsi = optional(payload.imsi, &|t| Imsi::parse(t, "imsi").map(drop));
    let msisdn = optional(payload.msisdn, &|t| Msisdn::parse(t, "msisdn").map(drop));
    let contract = optional(payload.contract_id, &|t| ContractId::parse(t, "contract_id").map(drop));
    let plan = optional(payload.plan_id, &|t| PlanId::parse(t, "plan_id").map(drop));
    if let Some(labels) = &payload.labels {
        errors.check(parse_labels("labels", labels));
    }
    errors.finish(|| ()).map_err(|e| first_error(e, shown.clone()))?;
    let fields = SimPatch::parse(super::wire::SimPatchPayload {
        imsi,
        msisdn,
        contract_id: contract,
        plan_id: plan,
        labels: payload.labels,
        imei_lock: None,
        termination_protection: None,
    })
    .map_err(|e| first_error(e, shown))?;
    Ok(NewSim { iccid, fields })
}

impl Sims {
    /// Imports `rows` into the organisation (through a company: assigned to it): at once up
    /// to [`MAX_SYNC_ROWS`], as a job beyond.
    pub async fn import_sims(
        &self,
        principal: &Principal,
        context: &RequestContext,
        organisation_id: OrganisationId,
        rows: Vec<RawRow>,
    ) -> DomainResult<ImportAnswer> {
        // The file's own faults first, as for every body.
        check_file(&rows)?;
        let scope = sim_scope::<ManageSims>(&*self.store, principal, organisation_id)
            .await?
            .shared()?;
        let total = rows.len() as u64;
        let now = self.now();
        let job_id = JobId::generate();
        let actor = principal.actor();
        let event = AuditEvent::by(actor.clone())
            .did("sim.import_started")
            .on("job", job_id)
            .in_organisation(scope.root)
            .changes(json!({ "rows": total, "company_id": scope.company }))
            .at(now, context);
        if rows.len() <= MAX_SYNC_ROWS {
            // Done now: the job is written with its whole report, kept like any other.
            let job = Job::new(
                job_id,
                JobKind::Import,
                actor.clone(),
                Some(scope.root),
                scope.company,
                total,
                1,
                now,
            );
            let reports = self
                .import_rows(scope.root, scope.company, Some(job_id), 1, rows)
                .await?;
            let view = record_done(&*self.store, job, reports, event, self.now()).await?;
            return Ok(ImportAnswer::Done(view));
        }
        let chunks = chunk_rows(job_id, rows, ROWS_PER_CHUNK, None);
        let job = Job::new(
            job_id,
            JobKind::Import,
            actor,
            Some(scope.root),
            scope.company,
            total,
            chunks.len() as u32,
            now,
        );
        let view = start_queued(&*self.store, &*self.jobs, job, chunks, event, now).await?;
        Ok(ImportAnswer::Queued(view))
    }

    /// Imports rows numbered from `first_row`: parses each, checks what they refer to, writes
    /// the new SIMs, and reports on every row in order.
    pub(crate) async fn import_rows(
        &self,
        organisation: OrganisationId,
        company: Option<OrganisationId>,
        job: Option<JobId>,
        first_row: u64,
        rows: Vec<RawRow>,
    ) -> DomainResult<Vec<RowReport>> {
        let mut reports: BTreeMap<u64, RowReport> = BTreeMap::new();
        let mut candidates: Vec<(u64, NewSim)> = Vec::new();
        let mut seen = BTreeSet::new();
        for (offset, raw) in rows.into_iter().enumerate() {
            let row = first_row + offset as u64;
            match parse_row(row, raw) {
                Err(report) => {
                    reports.insert(row, report);
                }
                Ok(new) if !seen.insert(new.iccid.clone()) => {
                    let iccid = Some(new.iccid.to_string());
                    reports.insert(row, RowReport::error(row, iccid, Some("iccid"), "duplicate_in_file"));
                }
                Ok(new) if company.is_some() && new.fields.root_only_on_new().is_err() => {
                    let iccid = Some(new.iccid.to_string());
                    reports.insert(row, RowReport::error(row, iccid, Some("contract_id"), "root_only"));
                }
                Ok(new) => candidates.push((row, new)),
            }
        }
        let candidates = self
            .known_references(organisation, company, candidates, &mut reports)
            .await?;
        // Grouped by counter shard, so a transaction updates as few counters as it can and
        // concurrent chunks contend less on them.
        let mut candidates = candidates;
        candidates.sort_by_key(|(row, new)| (super::shard_of(&new.iccid), *row));
        for group in candidates.chunks(SIMS_PER_TRANSACTION) {
            for report in self.write_group(organisation, company, job, group).await? {
                reports.insert(report.row, report);
            }
        }
        Ok(reports.into_values().collect())
    }

    /// The rows whose contract and plan exist; the others are reported.
    async fn known_references(
        &self,
        organisation: OrganisationId,
        company: Option<OrganisationId>,
        candidates: Vec<(u64, NewSim)>,
        reports: &mut BTreeMap<u64, RowReport>,
    ) -> DomainResult<Vec<(u64, NewSim)>> {
        let contracts: BTreeSet<ContractId> = candidates
            .iter()
            .filter_map(|(_, n)| n.fields.contract_id.flatten())
            .collect();
        let plans: BTreeSet<PlanId> = candidates
            .iter()
            .filter_map(|(_, n)| n.fields.plan_id.flatten())
            .collect();
        let mut wanted: Vec<Key> = contracts.iter().map(|c| keys::contract(organisation, *c)).collect();
        for plan in &plans {
            wanted.push(keys::plan(organisation, *plan));
            if let Some(company) = company {
                wanted.push(keys::plan(company, *plan));
            }
        }
        let found = self.store.batch_get(&wanted).await?;
        let mut known_contracts = BTreeSet::new();
        let mut known_plans = BTreeSet::new();
        for item in found.into_iter().flatten() {
            if let Ok(contract) = item.record::<Contract>() {
                known_contracts.insert(contract.id);
            } else if let Ok(plan) = item.record::<Plan>() {
                known_plans.insert(plan.id);
            }
        }
        Ok(candidates
            .into_iter()
            .filter_map(|(row, new)| {
                let iccid = Some(new.iccid.to_string());
                if new
                    .fields
                    .contract_id
                    .flatten()
                    .is_some_and(|c| !known_contracts.contains(&c))
                {
                    reports.insert(
                        row,
                        RowReport::error(row, iccid, Some("contract_id"), "unknown_contract"),
                    );
                    None
                } else if new.fields.plan_id.flatten().is_some_and(|p| !known_plans.contains(&p)) {
                    reports.insert(row, RowReport::error(row, iccid, Some("plan_id"), "unknown_plan"));
                    None
                } else {
                    Some((row, new))
                }
            })
            .collect())
    }

    /// Writes one group of new SIMs in one transaction; rows whose ICCID exists are reported
    /// `unchanged` (this organisation's) or `iccid_taken`. A group that loses a race to a
    /// concurrent import is read and planned again.
    async fn write_group(
        &self,
        organisation: OrganisationId,
        company: Option<OrganisationId>,
        job: Option<JobId>,
        group: &[(u64, NewSim)],
    ) -> DomainResult<Vec<RowReport>> {
        let mut attempts = 0;
        loop {
            attempts += 1;
            // Each row's SIM in this organisation and its ICCID's first holder, in one read.
            let keys: Vec<Key> = group
                .iter()
                .flat_map(|(_, new)| {
                    [
                        keys::sim(organisation, &new.iccid),
                        keys::iccid_first_holder(&new.iccid),
                    ]
                })
                .collect();
            let mut found = self.store.batch_get(&keys).await?.into_iter();
            let now = self.now();
            let mut reports = Vec::new();
            let mut created: Vec<Sim> = Vec::new();
            let mut holdings: Vec<Write> = Vec::new();
            for (row, new) in group {
                let (existing, first) = (found.next().flatten(), found.next().flatten());
                let iccid = Some(new.iccid.to_string());
                match existing.map(|item| item.record::<Sim>()).transpose()? {
                    Some(sim)
                        if sim.organisation_id == organisation && company.is_none_or(|c| sim.company_id == Some(c)) =>
                    {
                        // Created by this very row before (a redelivered chunk), or already here.
                        let outcome = if job.is_some() && sim.import_job_id == job && sim.import_row == Some(*row) {
                            RowOutcome::Created
                        } else {
                            RowOutcome::Unchanged
                        };
                        reports.push(RowReport::sim(*row, iccid, outcome));
                    }
                    // The organisation's own, in another of its companies (or unassigned).
                    Some(_) => reports.push(RowReport::error(*row, iccid, Some("iccid"), "iccid_taken")),
                    None => {
                        let mut sim = new.clone().into_sim(organisation, company, now);
                        sim.import_job_id = job;
                        sim.import_row = Some(*row);
                        reports.push(RowReport::sim(*row, iccid, RowOutcome::Created));
                        holdings.extend(super::holders::holding_writes(
                            &sim,
                            super::holders::first_holder(first.as_ref()),
                            now,
                        ));
                        created.push(sim);
                    }
                }
            }
            if created.is_empty() {
                return Ok(reports);
            }
            let mut counts = CountDeltas::default();
            for sim in &created {
                counts.add(sim);
            }
            let iccids: Vec<&str> = created.iter().map(|sim| sim.iccid.as_str()).collect();
            let event = AuditEvent::by(Actor::system())
                .did("sim.imported")
                .on("organisation", company.unwrap_or(organisation))
                .in_organisation(organisation)
                .changes(json!({ "iccids": iccids, "job_id": job }))
                .at(now, &RequestContext::default());
            let unit = || {
                let sims = created.iter().fold(UnitOfWork::new(), |unit, sim| {
                    unit.write_or(sim_write(sim, None), iccid_taken())
                });
                holdings
                    .iter()
                    .fold(sims, |unit, write| unit.write_or(write.clone(), holding_raced()))
                    .audit(event.clone())
            };
            match self.commit_counted(unit, &counts, organisation).await {
                Ok(()) => return Ok(reports),
                Err(
                    DomainError::Conflict {
                        code: "iccid_taken" | "holding_raced",
                        ..
                    }
                    | DomainError::Store(StoreError::Contention),
                ) if attempts < HOLDING_ATTEMPTS => {
                    continue;
                }
                Err(other) => return Err(other),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_row_is_reported_with_its_first_field_error() {
        let report = parse_row(7, json!({ "iccid": "89445001021983048210" })).unwrap_err();
        assert_eq!(report.row, 7);
        assert_eq!(report.code.as_deref(), Some("invalid_check_digit"));
        let unknown = parse_row(8, json!({ "iccid": "1", "colour": "red" })).unwrap_err();
        assert_eq!(unknown.code.as_deref(), Some("invalid_row"));
    }

    #[test]
    fn an_oversized_row_travels_as_null_and_is_reported_invalid() {
        let rows = vec![json!({ "iccid": "1", "junk": "x".repeat(10_000) })];
        let chunks = crate::jobs::chunk_rows(JobId::generate(), rows, 1_000, None);
        assert_eq!(chunks[0].rows, [Value::Null]);
        assert_eq!(
            parse_row(1, Value::Null).unwrap_err().code.as_deref(),
            Some("invalid_row")
        );
    }
}
