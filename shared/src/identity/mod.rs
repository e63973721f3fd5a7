//! Identity (SPEC §4, T2, T9, T10, T11): users, e-mail uniqueness, password registration and
//! confirmation, sessions with rotating refresh tokens, password reset, sign-in throttling,
//! the personal organisation, platform admins and suspension.
//!
//! [`Identity`] holds the ports the use cases need; each use case lives in its own module.

mod admin;
mod authenticate;
mod me;
mod records;
pub(crate) mod register;
mod reset;
mod session_list;
mod sessions;
mod throttle;
mod tokens;

pub use admin::UserView;
pub use authenticate::{API_KEY_PREFIX, PlatformAdmin, Principal, require_platform_admin};
pub use me::{MeUpdate, MeView, MembershipView};
/// The longest token, e-mailed or refresh, the API documents taking; ours are far shorter, and a
/// longer one names nothing (404 or 401).
pub const MAX_TOKEN_CHARS: usize = 512;
pub use records::*;
pub use register::Registration as NewRegistration;
pub use reset::{RESET_MAILS_PER_ADDRESS, RESET_MAILS_PER_ADDRESS_AND_SOURCE, RESET_REQUESTS_PER_SOURCE};
pub(crate) use sessions::holder_of;
pub use sessions::{LoginContext, SessionView, TokenPair};
pub use throttle::ThrottlePolicy;

use crate::accounts::Email;
use crate::audit::{Actor, AuditEvent, RequestContext};
use crate::ids::UserId;
use crate::ports::{AccessTokens, Clock, OutboxMessage, PasswordHasher, SecretBox, Secrets, Store};
use crate::time::Timestamp;
use std::sync::Arc;

/// Deployment settings of identity.
#[derive(Debug, Clone)]
pub struct IdentitySettings {
    /// Base URL of the web app, for links in e-mails (`{web_url}/confirm-email?token=…`).
    pub web_url: String,
    pub confirmation_hours: i64,
    pub reset_minutes: i64,
    pub session_days: i64,
    /// Failed sign-ins per (account, source).
    pub account_source_throttle: ThrottlePolicy,
    /// Failed sign-ins per source, whatever the account.
    pub source_throttle: ThrottlePolicy,
    /// Failed sign-ins per account from sources it never signed in from: the ceiling of a
    /// guesser spread over many addresses, which a familiar source does not meet.
    pub account_throttle: ThrottlePolicy,
}

impl IdentitySettings {
    pub fn new(web_url: impl Into<String>) -> Self {
        Self {
            web_url: web_url.into().trim_end_matches('/').to_owned(),
            confirmation_hours: 48,
            reset_minutes: 60,
            session_days: 30,
            account_source_throttle: ThrottlePolicy {
                free_attempts: 5,
                base_delay_seconds: 1,
                max_delay_seconds: 900,
            },
            account_throttle: ThrottlePolicy {
                free_attempts: 20,
                base_delay_seconds: 1,
                max_delay_seconds: 900,
            },
            source_throttle: ThrottlePolicy {
                free_attempts: 50,
                base_delay_seconds: 1,
                max_delay_seconds: 900,
            },
        }
    }
}

/// The identity use cases and the ports they run on.
#[derive(Clone)]
pub struct Identity {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub hasher: Arc<dyn PasswordHasher>,
    pub secrets: Arc<dyn Secrets>,
    pub tokens: Arc<dyn AccessTokens>,
    /// Seals secrets at rest (the data key), where a function holds it.
    pub secret_box: Arc<dyn SecretBox>,
    /// Seals e-mail for the notifier (its public key).
    pub mail_seal: Arc<dyn crate::ports::MailSeal>,
    pub settings: IdentitySettings,
}

impl Identity {
    pub(crate) fn now(&self) -> Timestamp {
        Timestamp::new(self.clock.now())
    }

    /// `email` as an outbox message, sealed, for the unit of work of its cause.
    pub(crate) fn mail(
        &self,
        email: &crate::mail::EmailMessage,
        now: Timestamp,
    ) -> crate::error::DomainResult<OutboxMessage> {
        OutboxMessage::email(&*self.mail_seal, email, now)
    }

    /// The audit event of a change to `user`'s account, filed in their personal
    /// organisation's trail (which only they, and platform admins, read).
    pub(crate) fn account_event(
        &self,
        actor: Actor,
        user: &User,
        action: &str,
        changes: serde_json::Value,
        context: &RequestContext,
    ) -> AuditEvent {
        AuditEvent::by(actor)
            .did(action)
            .on("user", user.id)
            .in_organisation(user.personal_organisation_id)
            .changes(changes)
            .at(self.now(), context)
    }
}

/// A display name guessed from an address's local part: `jane.doe` → `Jane Doe`.
pub fn name_from_email(email: &Email) -> String {
    email
        .local_part()
        .split(['.', '_', '-', '+'])
        .filter(|word| !word.is_empty())
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_guessed_from_the_local_part() {
        let guess = |raw: &str| name_from_email(&Email::parse(raw).unwrap());
        assert_eq!(guess("jane.doe@x.io"), "Jane Doe");
        assert_eq!(guess("bob_smith+test@x.io"), "Bob Smith Test");
        assert_eq!(guess("ops@x.io"), "Ops");
    }
}
