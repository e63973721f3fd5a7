//! The SIM inventory: adding SIMs one by one, reading, changing and listing them, assigning
//! them to companies and end users, and counting them by company and status.

use super::catalogue::{Contract, Plan};
use super::counts::CountDeltas;
use super::{Sim, SimScope, SimStatus, Sims, sim_scope};
use crate::audit::{AuditEvent, RequestContext};
use crate::error::{DomainError, DomainResult};
use crate::identity::{Membership, Organisation, Principal};
use crate::ids::{ContractId, OrganisationId, PlanId, UserId};
use crate::keys;
use crate::schema;
use crate::store::{Condition, Cursor, Index, Item, Key, Query, SortCondition, Write};
use crate::telecom::{Iccid, Imei, Imsi, Msisdn};
use crate::tenancy::{ManageSims, ReadDevices, ViewOrganisation};
use crate::time::Timestamp;
use crate::unit_of_work::UnitOfWork;
use crate::validation::{Collector, ValidationErrors, free_text};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::json;
use std::collections::BTreeSet;
use utoipa::openapi::schema::Schema;

pub const MAX_LABELS: usize = 20;
pub const MAX_LABEL_CHARS: usize = 50;

/// A SIM as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = Sim)]
pub struct SimView {
    pub iccid: Iccid,
    pub organisation_id: OrganisationId,
    pub imsi: Option<Imsi>,
    pub msisdn: Option<Msisdn>,
    pub contract_id: Option<ContractId>,
    pub plan_id: Option<PlanId>,
    pub labels: BTreeSet<String>,
    /// The IMEI of the only device this SIM may be used in, if locked.
    pub imei_lock: Option<Imei>,
    /// The device it is installed in.
    pub device_id: Option<crate::ids::DeviceId>,
    pub termination_protection: bool,
    pub status: SimStatus,
    pub company_id: Option<OrganisationId>,
    pub end_user_id: Option<UserId>,
    /// Whether an activation code is outstanding for it.
    pub claimable: bool,
    pub claimed_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl From<Sim> for SimView {
    fn from(sim: Sim) -> Self {
        SimView {
            iccid: sim.iccid,
            organisation_id: sim.organisation_id,
            imsi: sim.imsi,
            msisdn: sim.msisdn,
            contract_id: sim.contract_id,
            plan_id: sim.plan_id,
            labels: sim.labels,
            imei_lock: sim.imei_lock,
            device_id: sim.installed_in,
            termination_protection: sim.termination_protection,
            status: sim.status,
            company_id: sim.company_id,
            end_user_id: sim.end_user_id,
            claimable: sim.activation_code_digest.is_some() && sim.end_user_id.is_none(),
            claimed_at: sim.claimed_at,
            created_at: sim.created_at,
            updated_at: sim.updated_at,
        }
    }
}

/// `POST …/sims`: a SIM to add.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SimRequest)]
pub struct SimPayload {
    #[schema(value_type = Iccid)]
    pub iccid: String,
    #[schema(schema_with = optional_imsi)]
    pub imsi: Option<String>,
    #[schema(schema_with = optional_msisdn)]
    pub msisdn: Option<String>,
    #[schema(schema_with = schema::optional_uuid)]
    pub contract_id: Option<String>,
    #[schema(schema_with = schema::optional_uuid)]
    pub plan_id: Option<String>,
    #[schema(schema_with = optional_labels)]
    pub labels: Option<Vec<String>>,
    #[schema(schema_with = optional_imei)]
    pub imei_lock: Option<String>,
    pub termination_protection: Option<bool>,
}

/// `PATCH …/sims/{iccid}`: the fields to change; `null` clears a field that may be empty.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SimPatch)]
pub struct SimPatchPayload {
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = optional_imsi)]
    pub imsi: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = optional_msisdn)]
    pub msisdn: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = schema::optional_uuid)]
    pub contract_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = schema::optional_uuid)]
    pub plan_id: Option<Option<String>>,
    #[schema(schema_with = optional_labels)]
    pub labels: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = optional_imei)]
    pub imei_lock: Option<Option<String>>,
    pub termination_protection: Option<bool>,
}

/// A field that is present (maybe `null`) as `Some`, absent as `None` (by `default`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

fn optional_imsi() -> Schema {
    schema::nullable(<Imsi as utoipa::PartialSchema>::schema())
}
fn optional_msisdn() -> Schema {
    schema::nullable(<Msisdn as utoipa::PartialSchema>::schema())
}
fn optional_imei() -> Schema {
    schema::nullable(<Imei as utoipa::PartialSchema>::schema())
}
pub(crate) fn labels_schema() -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(schema::free_text(MAX_LABEL_CHARS))
        .max_items(Some(MAX_LABELS))
        .build()
}
fn optional_labels() -> Schema {
    schema::nullable(labels_schema())
}

/// A SIM's optional fields, parsed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SimPatch {
    pub imsi: Option<Option<Imsi>>,
    pub msisdn: Option<Option<Msisdn>>,
    pub contract_id: Option<Option<ContractId>>,
    pub plan_id: Option<Option<PlanId>>,
    pub labels: Option<BTreeSet<String>>,
    pub imei_lock: Option<Option<Imei>>,
    pub termination_protection: Option<bool>,
}

impl SimPatch {
    pub fn parse(raw: SimPatchPayload) -> Result<SimPatch, ValidationErrors> {
        let mut errors = Collector::new();
        fn each<T>(
            errors: &mut Collector,
            value: Option<Option<String>>,
            parse: impl Fn(&str) -> Result<T, ValidationErrors>,
        ) -> Option<Option<T>> {
            match value {
                None => None,
                Some(None) => Some(None),
                Some(Some(text)) => errors.check(parse(&text)).map(Some),
            }
        }
        let patch = SimPatch {
            imsi: each(&mut errors, raw.imsi, |t| Imsi::parse(t, "imsi")),
            msisdn: each(&mut errors, raw.msisdn, |t| Msisdn::parse(t, "msisdn")),
            contract_id: each(&mut errors, raw.contract_id, |t| ContractId::parse(t, "contract_id")),
            plan_id: each(&mut errors, raw.plan_id, |t| PlanId::parse(t, "plan_id")),
            labels: raw
                .labels
                .and_then(|labels| errors.check(parse_labels("labels", &labels))),
            imei_lock: each(&mut errors, raw.imei_lock, |t| Imei::parse(t, "imei_lock")),
            termination_protection: raw.termination_protection,
        };
        errors.finish(|| patch)
    }

    /// Refuses what only a SIM's root decides: which operator contract it runs under and
    /// whether it may be terminated (through a company: `409 root_only`).
    pub(crate) fn root_only(&self) -> DomainResult<()> {
        self.root_only_unless(self.contract_id.is_some() || self.termination_protection.is_some())
    }

    /// [`SimPatch::root_only`] for a new SIM, whose defaults (no contract, no protection)
    /// are anyone's to state.
    pub(crate) fn root_only_on_new(&self) -> DomainResult<()> {
        self.root_only_unless(self.contract_id.flatten().is_some() || self.termination_protection == Some(true))
    }

    fn root_only_unless(&self, root_decides: bool) -> DomainResult<()> {
        if root_decides {
            return Err(DomainError::conflict(
                "root_only",
                "a SIM's contract and termination protection are set by its root organisation",
            ));
        }
        Ok(())
    }

    /// `sim` with this patch applied.
    fn apply(&self, sim: &Sim) -> Sim {
        let mut next = sim.clone();
        if let Some(imsi) = &self.imsi {
            next.imsi = imsi.clone();
        }
        if let Some(msisdn) = &self.msisdn {
            next.msisdn = msisdn.clone();
        }
        if let Some(contract) = self.contract_id {
            next.contract_id = contract;
        }
        if let Some(plan) = self.plan_id {
            next.plan_id = plan;
        }
        if let Some(labels) = &self.labels {
            next.labels = labels.clone();
        }
        if let Some(imei) = &self.imei_lock {
            next.imei_lock = imei.clone();
        }
        if let Some(protection) = self.termination_protection {
            next.termination_protection = protection;
        }
        next
    }
}

/// Labels: each free text of at most [`MAX_LABEL_CHARS`], at most [`MAX_LABELS`], duplicates
/// merged.
pub fn parse_labels(field: &str, labels: &[String]) -> Result<BTreeSet<String>, ValidationErrors> {
    if labels.len() > MAX_LABELS {
        return Err(ValidationErrors::single(
            field,
            "too_many",
            format!("at most {MAX_LABELS} labels"),
        ));
    }
    let mut errors = Collector::new();
    let parsed: BTreeSet<String> = labels
        .iter()
        .enumerate()
        .filter_map(|(i, label)| errors.check(free_text(&format!("{field}[{i}]"), label, MAX_LABEL_CHARS)))
        .collect();
    errors.finish(|| parsed)
}

/// A new SIM's fields, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSim {
    pub iccid: Iccid,
    pub fields: SimPatch,
}

impl NewSim {
    pub fn parse(raw: SimPayload) -> Result<NewSim, ValidationErrors> {
        let mut errors = Collector::new();
        let iccid = errors.check(Iccid::parse(&raw.iccid, "iccid"));
        let fields = errors.check(SimPatch::parse(SimPatchPayload {
            imsi: raw.imsi.map(Some),
            msisdn: raw.msisdn.map(Some),
            contract_id: raw.contract_id.map(Some),
            plan_id: raw.plan_id.map(Some),
            labels: raw.labels,
            imei_lock: raw.imei_lock.map(Some),
            termination_protection: raw.termination_protection,
        }));
        errors.finish(|| NewSim {
            iccid: iccid.expect("checked"),
            fields: fields.expect("checked"),
        })
    }

    /// The SIM it makes in `organisation` (assigned to `company` when added through one).
    pub(crate) fn into_sim(self, organisation: OrganisationId, company: Option<OrganisationId>, now: Timestamp) -> Sim {
        let blank = Sim {
            iccid: self.iccid,
            organisation_id: organisation,
            imsi: None,
            msisdn: None,
            contract_id: None,
            plan_id: None,
            labels: BTreeSet::new(),
            imei_lock: None,
            installed_in: None,
            termination_protection: false,
            status: SimStatus::Inventory,
            previous_status: None,
            company_id: company,
            end_user_id: None,
            activation_code_digest: None,
            claimed_at: None,
            import_job_id: None,
            import_row: None,
            created_at: now,
            updated_at: now,
        };
        self.fields.apply(&blank)
    }
}

/// `PUT …/sims/{iccid}/assignment`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SimAssignment)]
pub struct AssignmentPayload {
    pub company_id: OrganisationId,
    /// An end user (any member) of that company; none leaves the SIM with the company.
    pub end_user_id: Option<UserId>,
}

/// Filters of `GET …/sims`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SimFilter {
    pub company_id: Option<OrganisationId>,
    pub end_user_id: Option<UserId>,
    pub status: Option<SimStatus>,
    pub contract_id: Option<ContractId>,
    pub plan_id: Option<PlanId>,
    pub label: Option<String>,
}

impl SimFilter {
    pub(crate) fn matches(&self, sim: &Sim) -> bool {
        self.company_id.is_none_or(|c| sim.company_id == Some(c))
            && self.end_user_id.is_none_or(|u| sim.end_user_id == Some(u))
            && self.status.is_none_or(|s| sim.status == s)
            && self.contract_id.is_none_or(|c| sim.contract_id == Some(c))
            && self.plan_id.is_none_or(|p| sim.plan_id == Some(p))
            && self.label.as_ref().is_none_or(|l| sim.labels.contains(l))
    }
}

/// One row of the summary: how many SIMs a company (none: unassigned) holds in a status.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SummaryRow {
    pub company_id: Option<OrganisationId>,
    pub status: SimStatus,
    pub count: i64,
}

/// `GET …/sims/summary`: which client holds how many SIMs in which state.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = SimSummary)]
pub struct Summary {
    pub total: i64,
    pub items: Vec<SummaryRow>,
}

/// The item of `sim` (its version `version + 1`, or 1 when new), indexed under its
/// organisation and, when assigned, its company, by status then ICCID.
pub(crate) fn sim_write(sim: &Sim, version: Option<u64>) -> Write {
    let mut item = Item::from_record(keys::sim(sim.organisation_id, &sim.iccid), sim).with_gsi1(
        keys::sim_of_organisation(sim.organisation_id, sim.status.as_str(), &sim.iccid),
    );
    if let Some(company) = sim.company_id {
        item = item.with_gsi2(keys::sim_of_company(company, sim.status.as_str(), &sim.iccid));
    }
    item.version = version.map_or(1, |v| v + 1);
    let condition = match version {
        Some(version) => Condition::VersionIs(version),
        None => Condition::NotExists,
    };
    Write::Put {
        item,
        condition: Some(condition),
    }
}

/// The writes that move a SIM's end-user pointer from where `before` had it to where `after`
/// has it (none when the end user and company stay).
pub(crate) fn pointer_writes(before: &Sim, after: &Sim) -> Vec<Write> {
    let pointer = |sim: &Sim| {
        Some(keys::end_user_sim(
            sim.organisation_id,
            sim.end_user_id?,
            sim.company_id?,
            &sim.iccid,
        ))
    };
    let (old, new) = (pointer(before), pointer(after));
    if old == new {
        return vec![];
    }
    let mut writes: Vec<Write> = old
        .map(|key| Write::Delete { key, condition: None })
        .into_iter()
        .collect();
    if let Some(key) = new {
        writes.push(Write::Put {
            item: Item::from_record(key, &json!({ "iccid": after.iccid })),
            condition: None,
        });
    }
    writes
}

/// The answer to adding an ICCID the organisation holds already.
pub(crate) fn iccid_taken() -> DomainError {
    DomainError::conflict("iccid_taken", "a SIM with this ICCID is already registered")
}

/// Another root became an ICCID's first holder between the read and the write: planned again.
pub(crate) fn holding_raced() -> DomainError {
    DomainError::conflict("holding_raced", "another organisation added this ICCID meanwhile")
}

/// Attempts at adding SIMs whose ICCIDs other roots are adding at the same moment.
pub(crate) const HOLDING_ATTEMPTS: usize = 5;

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

    /// Assigns a SIM to a company of its organisation and, optionally, an end user of that
    /// company (`None` for `assignment`: unassigns it).
    pub async fn assign_sim(
        &self,
        principal: &Principal,
        context: &RequestContext,
        organisation_id: OrganisationId,
        iccid: &Iccid,
        assignment: Option<(OrganisationId, Option<UserId>)>,
    ) -> DomainResult<(SimView, u64)> {
        let scope = sim_scope::<ManageSims>(&*self.store, principal, organisation_id).await?;
        // The SIM, and the company and membership the assignment names, in one read.
        let mut wanted = vec![keys::sim(scope.root, iccid)];
        if let Some((company, end_user)) = assignment {
            wanted.push(keys::organisation(company));
            if let Some(user) = end_user {
                wanted.push(keys::membership(user, company));
            }
        }
        let found = self.store.batch_get(&wanted).await?;
        let sim_item = found[0].as_ref().ok_or(DomainError::NotFound)?;
        let version = sim_item.version;
        let sim = scope.visible(sim_item.record()?)?;
        let mut checks = Vec::new();
        if let Some((company, end_user)) = assignment {
            if scope.company.is_some_and(|own| own != company) {
                return Err(DomainError::Inconsistent(ValidationErrors::single(
                    "company_id",
                    "not_this_company",
                    "through a company, SIMs are assigned within that company",
                )));
            }
            let company_item = found[1]
                .as_ref()
                .map(|item| item.record::<Organisation>())
                .transpose()?;
            if company_item.is_none_or(|c| c.parent_organisation_id != Some(scope.root) || c.deleted_at.is_some()) {
                return Err(DomainError::Inconsistent(ValidationErrors::single(
                    "company_id",
                    "unknown_company",
                    "no company of this organisation has this id",
                )));
            }
            if end_user.is_some() {
                let membership = found[2]
                    .as_ref()
                    .map(|item| (item.record::<Membership>(), item.key.clone()));
                match membership {
                    Some((Ok(membership), key)) if membership.active => checks.push(Write::Check {
                        key,
                        condition: Condition::AttributeEquals("active".into(), json!(true)),
                    }),
                    _ => {
                        return Err(DomainError::Inconsistent(ValidationErrors::single(
                            "end_user_id",
                            "not_a_member",
                            "the end user must be a member of the company",
                        )));
                    }
                }
            }
        }
        let now = self.now();
        let (company, end_user) = match (assignment, scope.company) {
            (Some((company, end_user)), _) => (Some(company), end_user),
            // Through a company, taking a SIM back frees it from its end user; the company
            // keeps it (it is the root's to take away).
            (None, Some(own)) => (Some(own), None),
            (None, None) => (None, None),
        };
        let moved = company != sim.company_id || end_user != sim.end_user_id;
        let next = Sim {
            company_id: company,
            end_user_id: end_user,
            // A code printed for the SIM where it was claims nothing where it goes.
            activation_code_digest: if moved {
                None
            } else {
                sim.activation_code_digest.clone()
            },
            claimed_at: if moved { None } else { sim.claimed_at },
            updated_at: now,
            ..sim.clone()
        };
        let mut counts = CountDeltas::default();
        counts.remove(&sim);
        counts.add(&next);
        let mut pointers = pointer_writes(&sim, &next);
        pointers.extend(super::claim::code_pointer_writes(&sim, &next));
        let action = if assignment.is_some() {
            "sim.assigned"
        } else {
            "sim.unassigned"
        };
        let event = AuditEvent::by(principal.actor())
            .did(action)
            .on("sim", iccid)
            .in_organisation(scope.root)
            .changes(json!({ "company_id": company, "end_user_id": end_user }))
            .at(now, context);
        let unit = || {
            UnitOfWork::new()
                .write_or(
                    sim_write(&next, Some(version)),
                    DomainError::conflict("concurrent_change", "the SIM changed meanwhile; try again"),
                )
                .writes(pointers.clone())
                .writes(checks.clone())
                .audit(event.clone())
                .otherwise(DomainError::conflict(
                    "concurrent_change",
                    "the end user's membership changed meanwhile; try again",
                ))
        };
        self.commit_counted(unit, &counts, scope.root).await?;
        Ok((next.into(), version + 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_merged_and_bounded() {
        let labels = parse_labels("labels", &["fleet".into(), "fleet".into(), " eu ".into()]).unwrap();
        assert_eq!(labels.into_iter().collect::<Vec<_>>(), ["eu", "fleet"]);
        let many: Vec<String> = (0..=MAX_LABELS).map(|n| n.to_string()).collect();
        assert_eq!(parse_labels("labels", &many).unwrap_err().errors()[0].code, "too_many");
        assert_eq!(
            parse_labels("labels", &["a\nb".into()]).unwrap_err().errors()[0].field,
            "labels[0]"
        );
    }

    #[test]
    fn a_new_sim_reports_every_bad_field() {
        let raw = SimPayload {
            iccid: "123".into(),
            imsi: Some("12".into()),
            msisdn: Some("12345".into()),
            contract_id: None,
            plan_id: Some("x".into()),
            labels: None,
            imei_lock: None,
            termination_protection: None,
        };
        let fields: Vec<String> = NewSim::parse(raw)
            .unwrap_err()
            .errors()
            .iter()
            .map(|e| e.field.clone())
            .collect();
        assert_eq!(fields, ["iccid", "imsi", "msisdn", "plan_id"]);
    }
}
