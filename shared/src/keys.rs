//! The one module that composes key strings. Every partition key, sort key and index key in
//! the single table is built here, so the data model in `docs/data-model.md` can be checked
//! against one file.
//!
//! A key is a sequence of segments joined by `#`, each segment `TYPE` or `TYPE` + value, e.g.
//! `ORG#2e8c…` / `MEMBER#USER#91ab…`. Segment values are ids, normalised e-mails or natural
//! keys; `#` inside a value is escaped so a value can never forge another segment.

use crate::accounts::Email;
use crate::ids::{
    AlertId, AlertRuleId, ApiKeyId, AuditEventId, CommandId, ContractId, DeviceId, DeviceModelId, EnvironmentId,
    InvitationId, JobId, MaintenanceId, MarkerId, MessageId, OrganisationId, PlanId, SessionId, SimRuleId, UserId,
};
use crate::mail::Lane;
use crate::placement::Placement;
use crate::store::{IndexKey, Key};
use crate::telecom::{Iccid, Imei};

const SEPARATOR: char = '#';

/// Joins key segments, escaping the separator (and the escape) inside values.
pub fn compose(segments: &[&str]) -> String {
    let mut key = String::new();
    for (i, segment) in segments.iter().enumerate() {
        if i > 0 {
            key.push(SEPARATOR);
        }
        for ch in segment.chars() {
            match ch {
                '\\' => key.push_str("\\\\"),
                SEPARATOR => key.push_str("\\#"),
                other => key.push(other),
            }
        }
    }
    key
}

/// The prefix that every key starting with `segments` shares (for `begins_with` queries).
pub fn prefix(segments: &[&str]) -> String {
    let mut key = compose(segments);
    key.push(SEPARATOR);
    key
}

/// A user's partition: their profile and their memberships (so one query answers "who is
/// this and where do they belong").
pub fn user_partition(user: UserId) -> String {
    compose(&["USER", &user.to_string()])
}

pub fn user(user: UserId) -> Key {
    Key::new(user_partition(user), "PROFILE")
}

/// Sort-key prefix of the memberships in a user's partition.
pub const MEMBERSHIP_PREFIX: &str = "MEMBER#";

pub fn membership(user: UserId, organisation: OrganisationId) -> Key {
    Key::new(user_partition(user), compose(&["MEMBER", &organisation.to_string()]))
}

/// GSI1 key of a membership: the organisation's members.
pub fn membership_by_organisation(organisation: OrganisationId, user: UserId) -> IndexKey {
    IndexKey::new(
        compose(&["ORG", &organisation.to_string()]),
        compose(&["MEMBER", &user.to_string()]),
    )
}

/// T10: one item per normalised e-mail address.
pub fn email(email: &Email) -> Key {
    Key::new(compose(&["EMAIL", email.as_str()]), "EMAIL")
}

pub fn organisation(organisation: OrganisationId) -> Key {
    Key::new(compose(&["ORG", &organisation.to_string()]), "PROFILE")
}

/// A root organisation (with its companies) a person blocked from adding them again, in their
/// partition.
pub fn blocked_organisation(user: UserId, root: OrganisationId) -> Key {
    Key::new(user_partition(user), compose(&["BLOCKED", &root.to_string()]))
}

/// The token of a "you were added" notice's links, by its digest.
pub fn membership_notice(digest: &str) -> Key {
    Key::new(compose(&["NOTICE", digest]), "NOTICE")
}

/// Sort-key prefix of session revocations in a user's partition.
pub const REVOCATION_PREFIX: &str = "REVOKED#";

/// A revoked session, kept in its user's partition for as long as its access tokens live, so
/// the read that authenticates a request sees it with no request of its own.
pub fn session_revocation(user: UserId, session: SessionId) -> Key {
    Key::new(user_partition(user), compose(&["REVOKED", &session.to_string()]))
}

/// A user's sessions live in a partition of their own, off the hot profile query.
pub fn sessions_partition(user: UserId) -> String {
    compose(&["SESSIONS", &user.to_string()])
}

pub fn session(user: UserId, session: SessionId) -> Key {
    Key::new(sessions_partition(user), compose(&["SESSION", &session.to_string()]))
}

/// A refresh token, by the hash of its value.
pub fn refresh_token(digest: &str) -> Key {
    Key::new(compose(&["REFRESH", digest]), "REFRESH")
}

/// A single-use e-mailed token, by the hash of its value.
pub fn one_time_token(digest: &str) -> Key {
    Key::new(compose(&["TOKEN", digest]), "TOKEN")
}

/// Sign-in throttling per account (by e-mail, so unknown addresses are throttled alike), for
/// attempts from sources the account never signed in from.
pub fn account_throttle(email: &Email) -> Key {
    Key::new(compose(&["THROTTLE", "ACCOUNT", email.as_str()]), "THROTTLE")
}

/// Sign-in throttling per (account, source): the back-off a guesser meets.
pub fn account_source_throttle(email: &Email, address: &str) -> Key {
    Key::new(compose(&["THROTTLE", "PAIR", email.as_str(), address]), "THROTTLE")
}

/// A source the account signed in from successfully: the account-wide throttle does not
/// apply to it, so nobody can lock a person out from their usual address (ASVS 5.0 §6.3).
pub fn familiar_source(email: &Email, address: &str) -> Key {
    Key::new(compose(&["THROTTLE", "FAMILIAR", email.as_str(), address]), "FAMILIAR")
}

/// Sign-in throttling per source address.
pub fn source_throttle(address: &str) -> Key {
    Key::new(compose(&["THROTTLE", "SOURCE", address]), "THROTTLE")
}

/// A budget's counter for one subject in one window (see `limits`).
pub fn budget(name: &str, subject: &str, window_start_unix: i64) -> Key {
    Key::new(
        compose(&["BUDGET", name, subject]),
        compose(&["WINDOW", &window_start_unix.to_string()]),
    )
}

/// The outbox: one partition per lane, sorted by time-ordered message id.
pub fn outbox_partition(lane: Lane) -> &'static str {
    match lane {
        Lane::Identity => "OUTBOX",
        Lane::Notices => "OUTBOX_NOTICES",
    }
}

pub fn outbox_message(lane: Lane, message: MessageId) -> Key {
    Key::new(outbox_partition(lane), compose(&["MESSAGE", &message.to_string()]))
}

/// Messages the relay set aside because the queue kept refusing them (or they could not be
/// read), kept for operators under the outbox item's own sort key.
pub const PARKED_MESSAGES: &str = "OUTBOX_PARKED";

pub fn parked_message(outbox_sort_key: &str) -> Key {
    Key::new(PARKED_MESSAGES, outbox_sort_key)
}

/// Marks a message as delivered, so a redelivered copy is not sent twice.
pub fn delivery(message: MessageId) -> Key {
    Key::new(compose(&["DELIVERY", &message.to_string()]), "DELIVERY")
}

/// An API key, by the digest of its value (authentication).
pub fn api_key(digest: &str) -> Key {
    Key::new(compose(&["APIKEY", digest]), "APIKEY")
}

/// A machine's API keys (listing, revocation).
pub fn machine_keys_partition(machine: UserId) -> String {
    compose(&["APIKEYS", &machine.to_string()])
}

pub fn machine_key(machine: UserId, key: ApiKeyId) -> Key {
    Key::new(machine_keys_partition(machine), compose(&["KEY", &key.to_string()]))
}

/// A payment provider account of an organisation.
pub fn payment_provider(organisation: OrganisationId, provider: &str) -> Key {
    Key::new(
        compose(&["ORG", &organisation.to_string()]),
        compose(&["PROVIDER", provider]),
    )
}

/// An invitation.
pub fn invitation(invitation: InvitationId) -> Key {
    Key::new(compose(&["INVITATION", &invitation.to_string()]), "INVITATION")
}

/// GSI1 key of an organisation invitation: the organisation's invitations.
pub fn invitation_of_organisation(organisation: OrganisationId, invitation: InvitationId) -> IndexKey {
    IndexKey::new(
        organisation_index_partition(organisation),
        compose(&["INVITATION", &invitation.to_string()]),
    )
}

pub const INVITATIONS_PREFIX: &str = "INVITATION#";

/// GSI2 key of an invitation: the invited user's invitations (claimed at registration).
pub fn invitation_of_user(user: UserId, invitation: InvitationId) -> IndexKey {
    IndexKey::new(
        compose(&["INVITED", &user.to_string()]),
        compose(&["INVITATION", &invitation.to_string()]),
    )
}

pub fn invited_user_partition(user: UserId) -> String {
    compose(&["INVITED", &user.to_string()])
}

/// An invitation token, by the digest of its value.
pub fn invitation_token(digest: &str) -> Key {
    Key::new(compose(&["INVITE_TOKEN", digest]), "TOKEN")
}

/// Pending invitations by expiry, for housekeeping.
pub const INVITATION_EXPIRIES: &str = "INVITATION_EXPIRY";

pub fn invitation_expiry(expires_at_unix: i64, invitation: InvitationId) -> Key {
    Key::new(INVITATION_EXPIRIES, format!("{expires_at_unix:012}#{invitation}"))
}

/// GSI1 key of a company: its root's companies.
pub fn company_of(root: OrganisationId, company: OrganisationId) -> IndexKey {
    IndexKey::new(
        compose(&["ORG", &root.to_string()]),
        compose(&["COMPANY", &company.to_string()]),
    )
}

/// GSI1 partition of an organisation: its members (`MEMBER#…`) and, for a root, its
/// companies (`COMPANY#…`).
pub fn organisation_index_partition(organisation: OrganisationId) -> String {
    compose(&["ORG", &organisation.to_string()])
}

pub const MEMBERS_PREFIX: &str = "MEMBER#";
pub const COMPANIES_PREFIX: &str = "COMPANY#";

/// GSI2 partition listing every shared organisation, for platform admins.
pub const ALL_ORGANISATIONS: &str = "ORGANISATIONS";

pub fn organisation_everywhere(organisation: OrganisationId) -> IndexKey {
    IndexKey::new(ALL_ORGANISATIONS, compose(&["ORG", &organisation.to_string()]))
}

/// The platform settings item.
pub fn platform_settings() -> Key {
    Key::new("PLATFORM", "SETTINGS")
}

/// An organisation's audit trail (or the platform's, for events outside any organisation),
/// in time order.
pub fn audit_partition(organisation: Option<OrganisationId>) -> String {
    match organisation {
        Some(organisation) => compose(&["AUDIT", &organisation.to_string()]),
        None => compose(&["AUDIT", "PLATFORM"]),
    }
}

pub fn audit_event(organisation: Option<OrganisationId>, event: AuditEventId) -> Key {
    Key::new(audit_partition(organisation), compose(&["EVENT", &event.to_string()]))
}

/// GSI2 partition with every audit event, for platform admins.
pub const ALL_AUDIT_EVENTS: &str = "AUDIT";

pub fn audit_event_everywhere(event: AuditEventId) -> IndexKey {
    IndexKey::new(ALL_AUDIT_EVENTS, compose(&["EVENT", &event.to_string()]))
}

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

/// The partition of an organisation's own items (profile, providers, contracts, plans, rules).
pub fn organisation_partition(organisation: OrganisationId) -> String {
    compose(&["ORG", &organisation.to_string()])
}

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

/// Device models: few, read by everyone signed in, in one partition.
pub const DEVICE_MODELS: &str = "DEVICE_MODELS";

pub fn device_model(model: DeviceModelId) -> Key {
    Key::new(DEVICE_MODELS, compose(&["MODEL", &model.to_string()]))
}

/// A device.
pub fn device(device: DeviceId) -> Key {
    Key::new(compose(&["DEVICE", &device.to_string()]), "DEVICE")
}

pub const ENVIRONMENTS_PREFIX: &str = "ENVIRONMENT#";

/// An environment, in its (root) organisation's partition.
pub fn environment(organisation: OrganisationId, environment: EnvironmentId) -> Key {
    Key::new(
        organisation_partition(organisation),
        format!("{ENVIRONMENTS_PREFIX}{environment}"),
    )
}

pub const MARKERS_PREFIX: &str = "MARKER#";

/// A map marker, in its (root) organisation's partition.
pub fn marker(organisation: OrganisationId, marker: MarkerId) -> Key {
    Key::new(
        organisation_partition(organisation),
        format!("{MARKERS_PREFIX}{marker}"),
    )
}

/// A device's credentials to reach the broker (what revokes them; never the secret).
pub fn device_credentials(device: DeviceId) -> Key {
    Key::new(compose(&["DEVICE", &device.to_string()]), "CREDENTIALS")
}

/// The sort-key prefix of the commands an organisation sent a device: a device handed on
/// keeps its history with each organisation apart.
pub fn device_commands_of(organisation: OrganisationId) -> String {
    compose(&["COMMAND", &organisation.to_string(), ""])
}

/// A command sent to a device, in its partition by organisation and time (ids are UUIDv7).
pub fn device_command(device: DeviceId, organisation: OrganisationId, command: CommandId) -> Key {
    Key::new(
        compose(&["DEVICE", &device.to_string()]),
        format!("{}{command}", device_commands_of(organisation)),
    )
}

/// The sort-key prefix of a device's maintenance entries made in an organisation.
pub fn maintenance_of(organisation: OrganisationId) -> String {
    compose(&["MAINTENANCE", &organisation.to_string(), ""])
}

/// An entry of a device's maintenance history, in its partition by organisation and time.
pub fn maintenance_entry(device: DeviceId, organisation: OrganisationId, entry: MaintenanceId) -> Key {
    Key::new(
        compose(&["DEVICE", &device.to_string()]),
        format!("{}{entry}", maintenance_of(organisation)),
    )
}

/// A device's latest values and last-seen in an organisation while with one holder (one item,
/// updated only by newer messages): a device handed on, or placed with another company or end
/// user, starts afresh, and what it reported before stays with whom it reported to.
pub fn device_latest(organisation: OrganisationId, placement: &Placement, device: DeviceId) -> Key {
    let [company, end_user] = placement.segments();
    Key::new(
        compose(&[
            "LATEST",
            &organisation.to_string(),
            &company,
            &end_user,
            &device.to_string(),
        ]),
        "LATEST",
    )
}

/// The partition of a device's telemetry points in an organisation.
pub fn telemetry_partition(organisation: OrganisationId, device: DeviceId) -> String {
    compose(&["TELEMETRY", &organisation.to_string(), &device.to_string()])
}

/// A telemetry point's sort key: time (milliseconds, zero-padded so text order is time
/// order) then sequence number, so one message is one key.
pub fn telemetry_sort_key(millis: i64, seq: u64) -> String {
    format!("{millis:013}#{seq:020}")
}

/// A telemetry point of a device, in its own partition by time.
pub fn telemetry_point(organisation: OrganisationId, device: DeviceId, millis: i64, seq: u64) -> Key {
    Key::new(
        telemetry_partition(organisation, device),
        telemetry_sort_key(millis, seq),
    )
}

/// An IMEI's claim: one item per IMEI platform-wide, naming its device.
pub fn imei(imei: &Imei) -> Key {
    Key::new(compose(&["IMEI", imei.as_str()]), "IMEI")
}

/// GSI1 key of an assigned device: its organisation's devices.
pub fn device_of_organisation(organisation: OrganisationId, device: DeviceId) -> IndexKey {
    IndexKey::new(
        devices_partition(organisation),
        compose(&["DEVICE", &device.to_string()]),
    )
}

pub fn devices_partition(organisation: OrganisationId) -> String {
    compose(&["DEVICES", &organisation.to_string()])
}

/// GSI2 key of a device: every device of the platform (what platform admins list; written
/// when a device is registered or handed over, never on the telemetry path).
pub fn device_everywhere(device: DeviceId) -> IndexKey {
    IndexKey::new(ALL_DEVICES, compose(&["DEVICE", &device.to_string()]))
}

pub const ALL_DEVICES: &str = "DEVICES";

pub const ALERT_RULES_PREFIX: &str = "ALERTRULE#";

/// An alert rule, in its (root) organisation's partition (rules are few: one query reads them).
pub fn alert_rule(organisation: OrganisationId, rule: AlertRuleId) -> Key {
    Key::new(
        organisation_partition(organisation),
        format!("{ALERT_RULES_PREFIX}{rule}"),
    )
}

/// The partition of a device's alerts in an organisation: its alerts (`ALERT#…`, by time)
/// and its alert state (`STATE#…`: the open alert of each source, a rule's pending breach).
pub fn device_alerts_partition(organisation: OrganisationId, device: DeviceId) -> String {
    compose(&["DEVICE_ALERTS", &organisation.to_string(), &device.to_string()])
}

pub const DEVICE_ALERTS_PREFIX: &str = "ALERT#";

/// The sort-key prefix of a device's alert state (open alerts, pending breaches) while with
/// one holder: a device placed elsewhere starts with none, and what was open for the earlier
/// holder stays theirs to handle.
pub fn alert_state_of(placement: &Placement) -> String {
    let [company, end_user] = placement.segments();
    prefix(&["STATE", &company, &end_user])
}

/// An alert's sort keys: raise time (milliseconds, zero-padded) then id, so text order is
/// time order.
pub fn alert_sort_key(raised_ms: i64, alert: AlertId) -> String {
    format!("{raised_ms:013}#{alert}")
}

/// An alert, in its device's partition by time.
pub fn alert(organisation: OrganisationId, device: DeviceId, raised_ms: i64, alert: AlertId) -> Key {
    Key::new(
        device_alerts_partition(organisation, device),
        format!("{DEVICE_ALERTS_PREFIX}{}", alert_sort_key(raised_ms, alert)),
    )
}

/// Where an alert is, by its id alone (what acknowledging and clearing by id read first).
pub fn alert_pointer(alert: AlertId) -> Key {
    Key::new(compose(&["ALERT", &alert.to_string()]), "ALERT")
}

/// GSI1 key of an alert: its organisation's alerts, by time.
pub fn alert_of_organisation(organisation: OrganisationId, raised_ms: i64, alert: AlertId) -> IndexKey {
    IndexKey::new(alerts_partition(organisation), alert_sort_key(raised_ms, alert))
}

pub fn alerts_partition(organisation: OrganisationId) -> String {
    compose(&["ALERTS", &organisation.to_string()])
}

/// GSI2 key of an alert: its organisation's alerts in one status, by time (moved when the
/// status changes).
pub fn alert_in_status(organisation: OrganisationId, status: &str, raised_ms: i64, alert: AlertId) -> IndexKey {
    IndexKey::new(alerts_in_status(organisation, status), alert_sort_key(raised_ms, alert))
}

pub fn alerts_in_status(organisation: OrganisationId, status: &str) -> String {
    compose(&["ALERTS", &organisation.to_string(), status])
}

/// The open alert of one source (a rule's id, `offline`, `sim_mismatch`) for a device: one
/// item, put only if absent, so a source has at most one open alert per device.
pub fn open_alert(organisation: OrganisationId, device: DeviceId, placement: &Placement, source: &str) -> Key {
    Key::new(
        device_alerts_partition(organisation, device),
        format!("{}{}", alert_state_of(placement), compose(&["OPEN", source])),
    )
}

/// A rule's breach that has not yet held for the rule's duration.
pub fn pending_breach(organisation: OrganisationId, device: DeviceId, placement: &Placement, rule: AlertRuleId) -> Key {
    Key::new(
        device_alerts_partition(organisation, device),
        format!(
            "{}{}",
            alert_state_of(placement),
            compose(&["PENDING", &rule.to_string()])
        ),
    )
}

/// Shards of the index of devices by when they fall silent: every message moves its
/// device's entry, so the entries are spread over this many index partitions.
pub const SILENCE_SHARDS: u32 = 32;

/// Index shards of the held notices due for their summary.
pub const HELD_SHARDS: u32 = 16;

/// A person's notices of one organisation held back in one hour (past its e-mail budget):
/// the entry housekeeping finds when the hour is over…
pub fn held_notices(root: OrganisationId, user: UserId, hour_start: i64) -> Key {
    Key::new(
        held_notices_partition(root, user),
        compose(&["HOUR", &hour_start.to_string()]),
    )
}

/// …and their count, an item of its own (outside the index, so counting moves nothing there).
pub fn held_notices_count(root: OrganisationId, user: UserId, hour_start: i64) -> Key {
    Key::new(
        held_notices_partition(root, user),
        compose(&["COUNT", &hour_start.to_string()]),
    )
}

fn held_notices_partition(root: OrganisationId, user: UserId) -> String {
    compose(&["HELD", &root.to_string(), &user.to_string()])
}

/// The index partition of one shard of held notices.
pub fn held_notices_shard(shard: u32) -> String {
    compose(&["NOTICES_HELD", &shard.to_string()])
}

/// GSI1 key of a person's held notices: when their summary is due, in a shard of the
/// organisation and person (written once per person, organisation and hour).
pub fn held_notices_due(root: OrganisationId, user: UserId, due_ms: i64) -> IndexKey {
    let ids = compose(&[&root.to_string(), &user.to_string()]);
    let shard = ids
        .bytes()
        .fold(0u32, |hash, byte| hash.wrapping_mul(31).wrapping_add(u32::from(byte)))
        % HELD_SHARDS;
    IndexKey::new(held_notices_shard(shard), format!("{due_ms:013}#{ids}"))
}

/// The index partition of a silence shard.
pub fn silence_shard(shard: u32) -> String {
    compose(&["SILENT_AFTER", &shard.to_string()])
}

/// GSI1 key of a device's latest values: when it falls silent (milliseconds, zero-padded),
/// in its shard. A device whose silence was handled is parked (`PARKED#…` sorts after
/// every time) until its next message.
pub fn silent_after(organisation: OrganisationId, device: DeviceId, due_ms: Option<i64>) -> IndexKey {
    let ids = compose(&[&organisation.to_string(), &device.to_string()]);
    let device_text = device.to_string();
    let shard = device_text
        .bytes()
        .fold(0u32, |hash, byte| hash.wrapping_mul(31).wrapping_add(u32::from(byte)))
        % SILENCE_SHARDS;
    let sort = match due_ms {
        Some(due) => format!("{due:013}#{ids}"),
        None => format!("PARKED#{ids}"),
    };
    IndexKey::new(silence_shard(shard), sort)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_joined_with_the_separator() {
        assert_eq!(compose(&["ORG", "42"]), "ORG#42");
        assert_eq!(prefix(&["ORG", "42"]), "ORG#42#");
    }

    #[test]
    fn a_value_containing_the_separator_cannot_forge_a_segment() {
        let forged = compose(&["EMAIL", "a#ORG"]);
        assert_ne!(forged, compose(&["EMAIL", "a", "ORG"]));
        assert!(!forged.starts_with(&prefix(&["EMAIL", "a"])));
    }

    #[test]
    fn escaping_is_unambiguous() {
        assert_ne!(compose(&["a\\", "b"]), compose(&["a\\#b"]));
    }
}
