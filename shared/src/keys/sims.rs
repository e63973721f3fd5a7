//! Keys of SIM cards: contracts, plans, SIM rules, SIMs and their pointers, activation codes,
//! counts, jobs and usage.

use super::organisations::organisation_partition;
use super::{compose, prefix};
use crate::ids::{ContractId, DeviceId, JobId, OrganisationId, PlanId, SimRuleId, UserId};
use crate::placement::Placement;
use crate::store::{IndexKey, Key};
use crate::telecom::Iccid;

/// An operator contract, in its organisation's partition.
pub fn contract(organisation: OrganisationId, contract: ContractId) -> Key {
    Key::new(
        compose(&["ORG", &organisation.to_string()]),
        compose(&["CONTRACT", &contract.to_string()]),
    )
}

pub const CONTRACTS_PREFIX: &str = "CONTRACT#";

/// A plan, in its organisation's (root's or company's) partition.
pub fn plan(organisation: OrganisationId, plan: PlanId) -> Key {
    Key::new(
        compose(&["ORG", &organisation.to_string()]),
        compose(&["PLAN", &plan.to_string()]),
    )
}

pub const PLANS_PREFIX: &str = "PLAN#";

/// A SIM rule, in its organisation's (root's or company's) partition.
pub fn sim_rule(organisation: OrganisationId, rule: SimRuleId) -> Key {
    Key::new(
        compose(&["ORG", &organisation.to_string()]),
        compose(&["SIMRULE", &rule.to_string()]),
    )
}

pub const SIM_RULES_PREFIX: &str = "SIMRULE#";

/// A SIM of a root organisation, by ICCID: unique within the root (a conditional put), so the
/// same ICCID in another root is another item and nobody's holding blocks anybody else's.
pub fn sim(root: OrganisationId, iccid: &Iccid) -> Key {
    Key::new(compose(&["SIM", &root.to_string(), iccid.as_str()]), "SIM")
}

/// The first root to hold an ICCID: put only if absent, so a later holder knows it is one and
/// records the duplicate (`sim_duplicate`).
pub fn iccid_first_holder(iccid: &Iccid) -> Key {
    Key::new(compose(&["ICCID", iccid.as_str()]), "FIRST")
}

/// The partition of the ICCIDs held by more than one root, for platform admins: one item per
/// later holder, written only when a duplicate appears.
pub const SIM_DUPLICATES: &str = "SIM_DUPLICATES";

pub fn sim_duplicate(iccid: &Iccid, root: OrganisationId) -> Key {
    Key::new(SIM_DUPLICATES, compose(&[iccid.as_str(), &root.to_string()]))
}

/// An outstanding activation code, by its digest: which root's SIM it claims. A claim names an
/// ICCID and a code but no organisation; the digest (an HMAC under a server key) finds the
/// one SIM the code was printed for, whoever else holds the same ICCID.
pub fn activation_code(digest: &str) -> Key {
    Key::new(compose(&["ACTIVATION", digest]), "ACTIVATION")
}

/// GSI1 key of a SIM: its root organisation's SIMs, by status then ICCID.
pub fn sim_of_organisation(organisation: OrganisationId, status: &str, iccid: &Iccid) -> IndexKey {
    IndexKey::new(sims_partition(organisation), compose(&[status, iccid.as_str()]))
}

/// GSI2 key of an assigned SIM: its company's SIMs, by status then ICCID.
pub fn sim_of_company(company: OrganisationId, status: &str, iccid: &Iccid) -> IndexKey {
    IndexKey::new(sims_partition(company), compose(&[status, iccid.as_str()]))
}

/// The index partition of an organisation's (GSI1) or a company's (GSI2) SIMs.
pub fn sims_partition(organisation: OrganisationId) -> String {
    compose(&["SIMS", &organisation.to_string()])
}

/// The sort-key prefix of SIMs in one status, in either index.
pub fn sims_in_status(status: &str) -> String {
    prefix(&[status])
}

/// An end user's SIM: a pointer in the end user's partition within the SIM's root, sorted by
/// company, written with the assignment. Keyed per root so a query of it never reads another
/// organisation's SIMs (nor reveals them in a cursor).
pub fn end_user_sim(root: OrganisationId, user: UserId, company: OrganisationId, iccid: &Iccid) -> Key {
    Key::new(
        end_user_sims_partition(root, user),
        compose(&[&company.to_string(), iccid.as_str()]),
    )
}

pub fn end_user_sims_partition(root: OrganisationId, user: UserId) -> String {
    compose(&["USERSIMS", &root.to_string(), &user.to_string()])
}

/// An end user's device: a pointer in the end user's partition within the device's root, sorted
/// by company, written with the placement, so their devices are found when they leave.
pub fn end_user_device(root: OrganisationId, user: UserId, company: OrganisationId, device: DeviceId) -> Key {
    Key::new(
        end_user_devices_partition(root, user),
        compose(&[&company.to_string(), &device.to_string()]),
    )
}

pub fn end_user_devices_partition(root: OrganisationId, user: UserId) -> String {
    compose(&["USERDEVICES", &root.to_string(), &user.to_string()])
}

/// The sort-key prefix of an end user's SIMs (or devices) in one company.
pub fn end_user_sims_in(company: OrganisationId) -> String {
    prefix(&[&company.to_string()])
}

/// One shard of the SIM counts of an organisation, per company (or none) and status.
pub fn sim_counts(organisation: OrganisationId, company: Option<OrganisationId>, shard: u8) -> Key {
    let company = company.map_or_else(|| "-".to_owned(), |c| c.to_string());
    Key::new(
        sim_counts_partition(organisation),
        compose(&["COMPANY", &company, &shard.to_string()]),
    )
}

pub fn sim_counts_partition(organisation: OrganisationId) -> String {
    compose(&["SIMCOUNTS", &organisation.to_string()])
}

/// A bulk job (import, bulk state change) and its per-row report, in one partition.
pub fn job(job: JobId) -> Key {
    Key::new(job_partition(job), "JOB")
}

pub fn job_partition(job: JobId) -> String {
    compose(&["JOB", &job.to_string()])
}

/// The report of one chunk of a job's rows.
pub fn job_report(job: JobId, chunk: u32) -> Key {
    Key::new(job_partition(job), compose(&["REPORT", &format!("{chunk:06}")]))
}

pub const JOB_REPORT_PREFIX: &str = "REPORT#";

/// That a bulk job's digest of one rule was sent: put only if absent, so it goes once.
pub fn job_digest(job: JobId, rule: SimRuleId) -> Key {
    Key::new(job_partition(job), compose(&["DIGEST", &rule.to_string()]))
}

/// A SIM's usage, in its root: one item per usage record (idempotency) and one per billing
/// period (totals).
pub fn usage_record(root: OrganisationId, iccid: &Iccid, record: &str) -> Key {
    Key::new(usage_partition(root, iccid), compose(&["RECORD", record]))
}

/// A period's totals of what the SIM used while with one holder (`placement`): a SIM that
/// moves mid-period starts new totals with its new holder.
pub fn usage_period(root: OrganisationId, iccid: &Iccid, period_start: &str, placement: &Placement) -> Key {
    let [company, end_user] = placement.segments();
    Key::new(
        usage_partition(root, iccid),
        compose(&["PERIOD", period_start, &company, &end_user]),
    )
}

pub fn usage_partition(root: OrganisationId, iccid: &Iccid) -> String {
    compose(&["USAGE", &root.to_string(), iccid.as_str()])
}

pub const USAGE_PERIODS_PREFIX: &str = "PERIOD#";

/// That a rule fired for a SIM in a period with one holder: written conditionally, so it
/// fires once.
pub fn rule_firing(
    root: OrganisationId,
    iccid: &Iccid,
    rule: SimRuleId,
    period_start: &str,
    placement: &Placement,
) -> Key {
    let [company, end_user] = placement.segments();
    Key::new(
        usage_partition(root, iccid),
        compose(&["FIRED", &rule.to_string(), period_start, &company, &end_user]),
    )
}

/// How many things of a kind (`alert_rules`, `sim_rules`) an organisation holds, for its cap.
pub fn held_count(organisation: OrganisationId, kind: &str) -> Key {
    Key::new(organisation_partition(organisation), compose(&["COUNT", kind]))
}
