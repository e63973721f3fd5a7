//! Bulk state changes (SPEC §6): one action on up to [`MAX_BULK_SIMS`] SIMs, named or chosen
//! by a filter, run as a job whose per-SIM report is kept like an import's. Each SIM goes
//! through the lifecycle on its own (its connector, its audit event, its rules' e-mails), so
//! one SIM that cannot change never holds up the others.

use super::digest::{Tallies, tally};
use super::lifecycle::{Notify, target_of};
use super::{Sim, Sims, sim_scope};
use crate::audit::{AuditEvent, RequestContext};
use crate::error::{DomainError, DomainResult};
use crate::identity::Principal;
use crate::ids::{ContractId, JobId, OrganisationId, PlanId};
use crate::jobs::{Job, JobKind, JobView, start_queued};
use crate::keys;
use crate::rows::{RawRow, RowOutcome, RowReport};
use crate::sims::wire::SimFilter;
use crate::store::{Index, Query, SortCondition};
use crate::telecom::{Iccid, SimAction, SimStatus};
use crate::tenancy::ManageSims;
use crate::validation::{Collector, ValidationErrors};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;

/// SIMs one bulk job changes at most (Soracom's and Hologram's limit too).
pub const MAX_BULK_SIMS: usize = 10_000;
/// SIMs per queued chunk: each is a read, a write and its rules, so a chunk ends well within
/// the worker's minute.
const SIMS_PER_CHUNK: usize = 250;

/// `POST …/sims/bulk`: an action on SIMs named by `iccids` or chosen by `filter`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkPayload {
    pub action: SimAction,
    pub iccids: Option<Vec<String>>,
    pub filter: Option<BulkFilterPayload>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkFilterPayload {
    pub company_id: Option<String>,
    pub status: Option<SimStatus>,
    pub contract_id: Option<String>,
    pub plan_id: Option<String>,
    pub label: Option<String>,
}

impl utoipa::PartialSchema for BulkPayload {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use crate::schema;
        use utoipa::openapi::schema::{AdditionalProperties, ArrayBuilder, ObjectBuilder, Type};
        let uuid = || schema::nullable(schema::uuid_input());
        let filter = ObjectBuilder::new()
            .schema_type(Type::Object)
            .additional_properties(Some(AdditionalProperties::FreeForm(false)))
            .property("company_id", uuid())
            .property(
                "status",
                schema::nullable(<SimStatus as utoipa::PartialSchema>::schema()),
            )
            .property("contract_id", uuid())
            .property("plan_id", uuid())
            .property(
                "label",
                schema::nullable(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .min_length(Some(1))
                        .max_length(Some(50)),
                ),
            )
            .build();
        let iccids = ArrayBuilder::new()
            .items(<Iccid as utoipa::PartialSchema>::schema())
            .min_items(Some(1))
            .max_items(Some(MAX_BULK_SIMS))
            .build();
        let object = ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(
                "The SIMs by `iccids`, or those matching `filter` (at most 10,000): exactly one of them.",
            ))
            .additional_properties(Some(AdditionalProperties::FreeForm(false)))
            .property("action", <SimAction as utoipa::PartialSchema>::schema())
            .required("action")
            .property("iccids", schema::nullable(iccids))
            .property("filter", schema::nullable(filter))
            .build();
        let exactly = |present: &str, absent: &str| json!({ "required": [present], "properties": { present: { "not": { "type": "null" } }, absent: { "type": "null" } } });
        schema::with_keywords(
            object,
            json!({ "oneOf": [exactly("iccids", "filter"), exactly("filter", "iccids")] }),
        )
        .into()
    }
}

impl utoipa::ToSchema for BulkPayload {
    fn name() -> std::borrow::Cow<'static, str> {
        "SimBulkRequest".into()
    }
}

/// Which SIMs a bulk job changes.
#[derive(Debug, Clone, PartialEq)]
pub enum BulkTarget {
    Iccids(Vec<String>),
    Filter(SimFilter),
}

impl BulkTarget {
    pub fn parse(raw: BulkPayload) -> Result<(SimAction, BulkTarget), ValidationErrors> {
        let target = match (raw.iccids, raw.filter) {
            (Some(iccids), None) if !iccids.is_empty() && iccids.len() <= MAX_BULK_SIMS => BulkTarget::Iccids(iccids),
            (Some(_), None) => {
                return Err(ValidationErrors::single(
                    "iccids",
                    "out_of_range",
                    format!("1 to {MAX_BULK_SIMS} ICCIDs"),
                ));
            }
            (None, Some(filter)) => {
                let mut errors = Collector::new();
                let company_id = filter
                    .company_id
                    .and_then(|id| errors.check(OrganisationId::parse(&id, "filter.company_id")));
                let contract_id = filter
                    .contract_id
                    .and_then(|id| errors.check(ContractId::parse(&id, "filter.contract_id")));
                let plan_id = filter
                    .plan_id
                    .and_then(|id| errors.check(PlanId::parse(&id, "filter.plan_id")));
                if filter
                    .label
                    .as_ref()
                    .is_some_and(|label| label.is_empty() || label.chars().count() > 50)
                {
                    errors.push("filter.label", "out_of_range", "a label of 1 to 50 characters");
                }
                errors.finish(|| {
                    BulkTarget::Filter(SimFilter {
                        company_id,
                        end_user_id: None,
                        status: filter.status,
                        contract_id,
                        plan_id,
                        label: filter.label,
                    })
                })?
            }
            _ => {
                return Err(ValidationErrors::single(
                    "iccids",
                    "one_target",
                    "name the SIMs by iccids or choose them by filter: exactly one",
                ));
            }
        };
        Ok((raw.action, target))
    }
}

impl Sims {
    /// Starts a job making `action` on the SIMs `target` names.
    pub async fn bulk_change(
        &self,
        principal: &Principal,
        context: &RequestContext,
        organisation_id: OrganisationId,
        action: SimAction,
        target: BulkTarget,
    ) -> DomainResult<JobView> {
        let scope = sim_scope::<ManageSims>(&*self.store, principal, organisation_id)
            .await?
            .shared()?;
        let iccids: Vec<Value> = match target {
            BulkTarget::Iccids(iccids) => {
                // Each SIM once, however its ICCID was typed; what does not parse is reported.
                let mut seen = std::collections::BTreeSet::new();
                iccids
                    .into_iter()
                    .filter(|text| Iccid::parse(text, "iccid").map_or(true, |iccid| seen.insert(iccid)))
                    .map(Value::String)
                    .collect()
            }
            BulkTarget::Filter(filter) => self.matching(scope.root, scope.company, &filter).await?,
        };
        if iccids.is_empty() {
            return Err(DomainError::Inconsistent(ValidationErrors::single(
                "filter",
                "no_sims",
                "no SIM matches the filter",
            )));
        }
        let now = self.now();
        let job_id = JobId::generate();
        let sims = iccids.len() as u64;
        let chunks = crate::jobs::chunk_rows(job_id, iccids, SIMS_PER_CHUNK, Some(action));
        let actor = principal.actor();
        let job = Job::new(
            job_id,
            JobKind::Bulk,
            actor.clone(),
            Some(scope.root),
            scope.company,
            sims,
            chunks.len() as u32,
            now,
        );
        let event = AuditEvent::by(actor)
            .did("sim.bulk_started")
            .on("job", job_id)
            .in_organisation(scope.root)
            .changes(json!({ "action": action, "sims": sims, "company_id": scope.company }))
            .at(now, context);
        start_queued(&*self.store, &*self.jobs, job, chunks, event, now).await
    }

    /// The ICCIDs of the SIMs in scope matching `filter`: a keyed query (company, status) with
    /// the other filters applied to what it reads; at most [`MAX_BULK_SIMS`].
    async fn matching(
        &self,
        root: OrganisationId,
        company: Option<OrganisationId>,
        filter: &SimFilter,
    ) -> DomainResult<Vec<Value>> {
        if let Some(wanted) = filter.company_id {
            let ours = match company {
                Some(own) => own == wanted,
                None => self.is_company_of(wanted, root).await?,
            };
            if !ours {
                return Ok(vec![]);
            }
        }
        let (index, partition) = match company.or(filter.company_id) {
            Some(company) => (Index::Gsi2, keys::sims_partition(company)),
            None => (Index::Gsi1, keys::sims_partition(root)),
        };
        let sort = match filter.status {
            Some(status) => SortCondition::BeginsWith(keys::sims_in_status(status.as_str())),
            None => SortCondition::Any,
        };
        let mut found = Vec::new();
        let mut cursor = None;
        loop {
            let page = self
                .store
                .query(
                    &Query::new(index, partition.clone())
                        .sort(sort.clone())
                        .limit(crate::store::MAX_PAGE)
                        .after(cursor),
                )
                .await?;
            for item in &page.items {
                let sim: Sim = item.record()?;
                if sim.organisation_id == root && filter.matches(&sim) {
                    found.push(Value::String(sim.iccid.to_string()));
                }
            }
            if found.len() > MAX_BULK_SIMS {
                return Err(DomainError::Inconsistent(ValidationErrors::single(
                    "filter",
                    "too_many_sims",
                    format!("the filter matches more than {MAX_BULK_SIMS} SIMs; narrow it"),
                )));
            }
            match page.next {
                Some(next) => cursor = Some(next),
                None => return Ok(found),
            }
        }
    }

    /// Makes `action` on each SIM of a bulk job's chunk, reporting each, and tallies what each
    /// status-change rule applies to for the job's digest (no e-mail per SIM).
    pub(crate) async fn change_rows(
        &self,
        job: &Job,
        action: SimAction,
        first_row: u64,
        rows: Vec<RawRow>,
    ) -> DomainResult<(Vec<RowReport>, Tallies)> {
        let context = RequestContext::default();
        let mut reports = Vec::with_capacity(rows.len());
        let mut tallies = Tallies::new();
        let mut rules = HashMap::new();
        for (offset, raw) in rows.into_iter().enumerate() {
            let row = first_row + offset as u64;
            let text = raw.as_str().unwrap_or_default().to_owned();
            let Ok(iccid) = Iccid::parse(&text, "iccid") else {
                reports.push(RowReport::error(row, Some(text), Some("iccid"), "invalid_iccid"));
                continue;
            };
            let shown = Some(iccid.to_string());
            let found = match job.organisation_id {
                Some(root) => match self.sim(root, &iccid).await {
                    Ok(found) => Some(found),
                    Err(DomainError::NotFound) => None,
                    Err(other) => return Err(other),
                },
                None => None,
            };
            let in_scope = |sim: &Sim| {
                Some(sim.organisation_id) == job.organisation_id
                    && job.company_id.is_none_or(|c| sim.company_id == Some(c))
            };
            let Some((sim, version)) = found.filter(|(sim, _)| in_scope(sim)) else {
                reports.push(RowReport::error(row, shown, Some("iccid"), "not_found"));
                continue;
            };
            if sim.status == target_of(action) {
                reports.push(RowReport::sim(row, shown, RowOutcome::Unchanged));
                continue;
            }
            let changed = self
                .apply(sim, version, action, job.actor.clone(), &context, Notify::InDigest)
                .await;
            let report = match changed {
                Ok((sim, _)) => {
                    let applying = self.status_rules_cached(&mut rules, &sim).await?;
                    tally(&mut tallies, &applying, &sim);
                    RowReport::sim(row, shown, RowOutcome::Changed)
                }
                Err(DomainError::Conflict { code, .. }) => RowReport::error(row, shown, None, code),
                Err(other) => return Err(other),
            };
            reports.push(report);
        }
        Ok((reports, tallies))
    }
}
