//! Keys of people: profiles, memberships, e-mail claims, sessions, tokens, sign-in throttles
//! and budgets.

use super::compose;
use crate::accounts::Email;
use crate::ids::{OrganisationId, SessionId, UserId};
use crate::store::{IndexKey, Key};

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
