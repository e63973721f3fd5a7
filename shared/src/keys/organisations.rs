//! Keys of organisations: API keys, payment providers, invitations, companies, the platform's
//! lists and settings, and the audit trail.

use super::compose;
use crate::ids::{ApiKeyId, AuditEventId, InvitationId, OrganisationId, UserId};
use crate::store::{IndexKey, Key};

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

/// The partition of an organisation's own items (profile, providers, contracts, plans, rules).
pub fn organisation_partition(organisation: OrganisationId) -> String {
    compose(&["ORG", &organisation.to_string()])
}
