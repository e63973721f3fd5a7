//! A SIM as the API takes and shows it: the view, the payloads, their parsing into a new SIM
//! or a patch, labels, filters and the summary.

use super::Sim;
use crate::error::{DomainError, DomainResult};
use crate::ids::{ContractId, OrganisationId, PlanId, UserId};
use crate::schema;
use crate::telecom::{Iccid, Imei, Imsi, Msisdn, SimStatus};
use crate::time::Timestamp;
use crate::validation::{Collector, ValidationErrors, free_text};
use serde::{Deserialize, Deserializer, Serialize};
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
    pub(super) fn apply(&self, sim: &Sim) -> Sim {
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
