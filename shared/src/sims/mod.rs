//! SIM cards (SPEC §6, seed 000): operator contracts and plans, the SIM inventory of a root
//! organisation, its assignment to companies and end users, the lifecycle through an operator
//! connector, bulk imports as jobs, claiming by activation code, usage and SIM rules.
//!
//! A SIM is one item keyed by its ICCID, so platform-wide uniqueness is a conditional put. It
//! belongs to a root organisation and is indexed twice: under its root (GSI1) and, once
//! assigned, under its company (GSI2), both by status then ICCID, so "all SIMs", "a
//! company's SIMs" and either of them in one status are keyed queries. An end user's SIMs are
//! pointers in the end user's own partition, written with the assignment. Counts by company
//! and status (the summary) are kept in sharded counter items updated in the same transaction
//! as the SIM, so they never drift.
//!
//! Who sees what: on a root, its staff see every SIM; on a company, the company's staff (and
//! the root's) see the company's SIMs, and an end user only the SIMs assigned to them. Writes
//! need `ManageSims`; on a company they touch only that company's SIMs.

mod assignment;
mod bulk;
mod claim;
mod connector;
mod contracts;
mod counts;
mod digest;
mod firing;
mod holders;
mod import;
mod inventory;
mod jobs;
mod lifecycle;
mod plans;
mod records;
mod release;
mod rules;
mod usage;
mod usage_rules;
mod wire;

pub use bulk::{BulkPayload, BulkTarget, MAX_BULK_SIMS};
pub use claim::{
    ActivationCode, ActivationCodes, ActivationCodesPayload, CLAIMS_PER_PERSON, CLAIMS_PER_SOURCE, ClaimPayload,
    RefusedCode,
};
pub use connector::Connectors;
pub use contracts::{ContractPatch, ContractPayload, ContractView, Integration};
pub use holders::SimDuplicate;
pub use import::ImportRowPayload;
pub use plans::{BillingPeriod, PlanPatch, PlanPayload, PlanView};
pub(crate) use records::sim_write;
pub use release::EndUserRelease;
pub use rules::{BYTES_PER_MB, Firing, NewRule, RecipientsPayload, RuleAction, RuleKind, SimRule, SimRulePayload};
pub use usage::{PeriodTotals, Recorded, UsagePayload, UsageRecord};
pub use wire::{
    AssignmentPayload, NewSim, SimFilter, SimPatch, SimPatchPayload, SimPayload, SimView, Summary, SummaryRow,
};

use crate::accounts::OrganisationKind;
use crate::catalogue::Keeper;
use crate::error::{DomainError, DomainResult};
use crate::identity::Principal;
use crate::ids::{ContractId, OrganisationId, PlanId, UserId};
use crate::ports::{Clock, JobQueue, SecretBox, Secrets, Store};
use crate::telecom::{Iccid, Imei, Imsi, Msisdn, SimStatus};
use crate::tenancy::{Authorized, Grant, Permission, authorize};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::sync::Arc;

/// The SIM use cases, on the store, clock and secrets ports, the operator connectors and the
/// queue that runs bulk jobs.
#[derive(Clone)]
pub struct Sims {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub secrets: Arc<dyn Secrets>,
    pub connectors: Connectors,
    pub jobs: Arc<dyn JobQueue>,
    /// The data key: activation codes are kept as keyed digests under it.
    pub secret_box: Arc<dyn SecretBox>,
    /// What SIM rules' e-mails need: the notifier's sealing key, the web app's address, the
    /// organisations' hourly e-mail budget.
    pub notices: crate::notices::Notices,
}

impl Sims {
    pub(crate) fn now(&self) -> Timestamp {
        Timestamp::new(self.clock.now())
    }

    /// What alert e-mails need, as this service's own e-mails have it.
    pub fn notices(&self) -> crate::notices::Notices {
        self.notices.clone()
    }
}

/// Keeps operator contracts and plans.
impl Keeper for Sims {
    fn store(&self) -> &dyn Store {
        &*self.store
    }

    fn now(&self) -> Timestamp {
        Sims::now(self)
    }
}

/// A SIM as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sim {
    pub iccid: Iccid,
    /// The root organisation that holds it.
    pub organisation_id: OrganisationId,
    pub imsi: Option<Imsi>,
    pub msisdn: Option<Msisdn>,
    pub contract_id: Option<ContractId>,
    pub plan_id: Option<PlanId>,
    #[serde(default)]
    pub labels: BTreeSet<String>,
    pub imei_lock: Option<Imei>,
    /// The device it is installed in (whose IMEI is its lock).
    #[serde(default)]
    pub installed_in: Option<crate::ids::DeviceId>,
    #[serde(default)]
    pub termination_protection: bool,
    pub status: SimStatus,
    /// While an operator works on a change: the status to return to if it fails.
    #[serde(default)]
    pub previous_status: Option<SimStatus>,
    pub company_id: Option<OrganisationId>,
    pub end_user_id: Option<UserId>,
    /// The digest of its activation code, while one is outstanding.
    #[serde(default)]
    pub activation_code_digest: Option<String>,
    #[serde(default)]
    pub claimed_at: Option<Timestamp>,
    /// The import job that created it, so a redelivered chunk reports it as created.
    #[serde(default)]
    pub import_job_id: Option<crate::ids::JobId>,
    /// …and the row of its file.
    #[serde(default)]
    pub import_row: Option<u64>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Where a SIM request is addressed: a root organisation, or one of its companies, with the
/// caller's standing there.
pub(crate) struct SimScope<G: Grant> {
    pub access: Authorized<G>,
    pub root: OrganisationId,
    pub company: Option<OrganisationId>,
    pub user: UserId,
    /// Whether the caller reads every SIM in scope (staff) or only those assigned to them.
    pub staff: bool,
}

impl Sim {
    /// Where the SIM is now: the records written about it carry this.
    pub fn placement(&self) -> crate::placement::Placement {
        crate::placement::Placement::new(self.company_id, self.end_user_id)
    }
}

impl<G: Grant> SimScope<G> {
    /// The caller as a reader of records about SIMs.
    pub fn reader(&self) -> crate::placement::Reader {
        crate::placement::Reader {
            company: self.company,
            user: self.user,
            staff: self.staff,
        }
    }

    /// Whether the caller may see `sim` here.
    pub fn sees(&self, sim: &Sim) -> bool {
        sim.organisation_id == self.root
            && self.company.is_none_or(|company| sim.company_id == Some(company))
            && (self.staff || sim.end_user_id == Some(self.user))
    }

    /// `sim` if the caller may see it here; otherwise it does not exist for them.
    pub fn visible(&self, sim: Sim) -> DomainResult<Sim> {
        if self.sees(&sim) {
            Ok(sim)
        } else {
            Err(DomainError::NotFound)
        }
    }

    /// A shared organisation: personal ones hold no SIMs.
    pub fn shared(self) -> DomainResult<Self> {
        if self.access.organisation().kind == OrganisationKind::Personal {
            return Err(DomainError::conflict(
                "personal_organisation",
                "SIMs belong to shared organisations and their companies",
            ));
        }
        Ok(self)
    }
}

/// The caller's SIM scope on `organisation_id`, granted for `G`.
pub(crate) async fn sim_scope<G: Grant>(
    store: &dyn Store,
    principal: &Principal,
    organisation_id: OrganisationId,
) -> DomainResult<SimScope<G>> {
    let access = authorize::<G>(store, principal, organisation_id).await?;
    let organisation = access.organisation();
    let (root, company) = match organisation.parent_organisation_id {
        Some(root) => (root, Some(organisation.id)),
        None => (organisation.id, None),
    };
    let staff = access.may(Permission::ReadDevices);
    Ok(SimScope {
        root,
        company,
        user: principal.user.id,
        staff,
        access,
    })
}

/// The ICCID shard of a SIM's counters (see `counts`).
pub(crate) fn shard_of(iccid: &Iccid) -> u8 {
    let last_two = &iccid.as_str()[iccid.as_str().len() - 2..];
    last_two.parse::<u8>().unwrap_or(0) % counts::SHARDS
}
