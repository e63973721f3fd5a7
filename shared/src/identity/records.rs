//! The identity records as stored. Views shown to clients are separate types, so a stored
//! secret (a password hash) cannot leak through a response by accident.

use crate::accounts::{Email, OrganisationKind, Role, UserKind};
use crate::ids::{ApiKeyId, OrganisationId, SessionId, UserId};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// How far a user has come through registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Registration {
    /// Registered with a password; the e-mail address is not confirmed yet.
    PendingConfirmation,
    Registered,
    /// Invited by someone, not registered yet: holds the address (T10) until they register.
    Invited,
}

/// T9: a suspended user cannot authenticate at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    Active,
    Suspended,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlatformRole {
    PlatformAdmin,
    SupportEngineer,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub email: Email,
    pub name: String,
    pub kind: UserKind,
    pub registration: Registration,
    pub access: Access,
    #[serde(default)]
    pub platform_roles: Vec<PlatformRole>,
    /// PHC string (argon2id, parameters included). Never leaves the store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_hash: Option<String>,
    pub personal_organisation_id: OrganisationId,
    pub default_organisation_id: OrganisationId,
    /// For a machine: the organisation whose owners manage it and its API keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_organisation_id: Option<OrganisationId>,
    /// Every session that began before this has ended (a password reset, a suspension): set in
    /// the same transaction as its cause, so their tokens stop working at once even if
    /// removing the sessions one by one is cut short.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sessions_ended_at: Option<Timestamp>,
    /// Whether alert e-mails (alert rules, SIM rules) reach them: their own choice, on by
    /// default, until settings exist (SPEC §8's `notifications.email.alerts`).
    #[serde(default = "crate::identity::records::on")]
    pub alert_emails: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

fn on() -> bool {
    true
}

impl User {
    pub fn is_platform_admin(&self) -> bool {
        self.platform_roles.contains(&PlatformRole::PlatformAdmin)
    }

    /// Whether a session that began at `started_at` was ended by ending them all (one that
    /// began in the same millisecond as the reset verified the new password: a sign-in that
    /// checked the old one cannot commit after the reset).
    pub fn session_ended(&self, started_at: Timestamp) -> bool {
        self.sessions_ended_at.is_some_and(|ended| started_at < ended)
    }

    pub(crate) fn ended(&self, session: &Session) -> bool {
        self.session_ended(session.created_at)
    }
}

/// The e-mail uniqueness record (T10): one per address, naming the user who holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmailClaim {
    pub user_id: UserId,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrganisationStatus {
    #[default]
    Active,
    /// Created by a platform admin for an owner who has not registered yet.
    PendingOwner,
}

/// The details of seed 002's organisation payload; personal organisations have none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, utoipa::ToSchema)]
pub struct OrganisationDetails {
    #[serde(rename = "type")]
    pub organisation_type: Option<String>,
    pub company_registered_date: Option<Timestamp>,
    pub address: Option<String>,
    pub email: Option<Email>,
    pub phone: Option<String>,
    /// ISO 3166-1 alpha-2, lower case (as seed 002 shows it).
    pub country_code: Option<String>,
    /// Days its devices' telemetry points are kept (`telemetry.retention_days`, 1 to 3,650);
    /// none: 90. A root's applies to every device it holds.
    #[serde(default)]
    pub telemetry_retention_days: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Organisation {
    pub id: OrganisationId,
    pub name: String,
    pub kind: OrganisationKind,
    pub parent_organisation_id: Option<OrganisationId>,
    /// Roots only; read it through [`Organisation::billing_subscriber`].
    pub billing_subscriber_id: Option<UserId>,
    #[serde(default)]
    pub status: OrganisationStatus,
    #[serde(flatten)]
    pub details: OrganisationDetails,
    /// The address a `pending_owner` organisation waits for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_owner_email: Option<Email>,
    /// Counts kept in step with memberships and companies in the same transactions, so the
    /// invariants that depend on them (T3, T8) are checked against one versioned item.
    #[serde(default)]
    pub counts: MemberCounts,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub deleted_at: Option<Timestamp>,
}

impl Organisation {
    /// The billing subscriber (T3, T7), who exists at the root only: a company is billed
    /// through its root and has none of its own (a copy an earlier version stored on a
    /// company is ignored, so it can never go stale).
    pub fn billing_subscriber(&self) -> Option<UserId> {
        match self.parent_organisation_id {
            None => self.billing_subscriber_id,
            Some(_) => None,
        }
    }

    /// A personal organisation (T2): its only member is its user, who is its subscriber if
    /// they are a person (machines hold neither owner nor billing admin, T4).
    pub fn personal(id: OrganisationId, name: &str, subscriber: Option<UserId>, now: Timestamp) -> Self {
        let staff = i64::from(subscriber.is_some());
        Self {
            id,
            name: name.to_owned(),
            kind: OrganisationKind::Personal,
            parent_organisation_id: None,
            billing_subscriber_id: subscriber,
            status: OrganisationStatus::Active,
            details: OrganisationDetails::default(),
            pending_owner_email: None,
            counts: MemberCounts {
                members: 1,
                owners: staff,
                billing_admins: staff,
                companies: 0,
            },
            created_at: now,
            updated_at: now,
            deleted_at: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct MemberCounts {
    pub members: i64,
    pub owners: i64,
    pub billing_admins: i64,
    /// Companies not deleted (roots only).
    pub companies: i64,
}

/// A user's membership of an organisation, with the organisation's name and place
/// denormalised so one query of the user's partition answers "who am I and where".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Membership {
    pub user_id: UserId,
    pub organisation_id: OrganisationId,
    pub organisation_name: String,
    pub parent_organisation_id: Option<OrganisationId>,
    pub organisation_kind: OrganisationKind,
    pub roles: Vec<Role>,
    pub active: bool,
    /// Whether they took the membership themselves or accepted it: one someone else gave them
    /// (added by an owner) sends them no rule or alert e-mail until they accept it.
    #[serde(default = "crate::identity::records::on")]
    pub accepted: bool,
    pub joined_at: Timestamp,
    /// The member's address and name when they joined, for member lists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_email: Option<Email>,
    #[serde(default)]
    pub member_name: String,
    #[serde(default = "person")]
    pub member_kind: UserKind,
}

fn person() -> UserKind {
    UserKind::Person
}

/// What a single-use e-mailed token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenPurpose {
    ConfirmEmail,
    ResetPassword,
}

/// A single-use token sent by e-mail, stored under the hash of its value. Kept past its
/// expiry (the item's TTL is later) so a late or second use can be told apart from a
/// token that never existed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OneTimeToken {
    pub purpose: TokenPurpose,
    pub user_id: UserId,
    pub expires_at: Timestamp,
    pub used: bool,
}

/// One sign-in: the family of refresh tokens rotated from one login.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub id: SessionId,
    pub user_id: UserId,
    pub created_at: Timestamp,
    pub last_used_at: Timestamp,
    pub expires_at: Timestamp,
    pub user_agent: Option<String>,
    pub source_address: Option<String>,
}

/// A refresh token, stored under the hash of its value. A rotated token stays (until the
/// session would have expired) so that its reuse is recognised and revokes the session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefreshToken {
    pub user_id: UserId,
    pub session_id: SessionId,
    pub rotated: bool,
    /// Where the session's audit events are filed (the user's personal organisation).
    #[serde(default)]
    pub personal_organisation_id: Option<OrganisationId>,
}

/// A machine's API key, stored under the digest of its value (for authentication) and, with
/// that digest, in the machine's key list (for listing and revocation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub machine_id: UserId,
    pub name: String,
    /// The key's first characters, so a leaked key can be matched to its record.
    pub prefix: String,
    pub digest: String,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
}

/// Failed-attempt bookkeeping for sign-in throttling.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Throttle {
    /// Signed: a refund racing the record's deletion may take it below zero, which counts as
    /// none.
    pub failures: i64,
    /// Unix seconds before which no attempt is allowed.
    pub locked_until: i64,
}
