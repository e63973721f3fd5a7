//! Password reset by e-mailed single-use token. Asking for a reset answers the same whether
//! or not the address is registered; completing one ends every session.

use super::{Identity, Registration, TokenPurpose, User};
use crate::accounts::{Email, Password};
use crate::audit::{Actor, AuditEvent, RequestContext};
use crate::error::{DomainError, DomainResult};
use crate::keys;
use crate::limits::{Budget, Spent};
use crate::mail::EmailMessage;
use crate::store::{Condition, Update, Write};
use crate::unit_of_work::UnitOfWork;
use serde_json::json;

/// Reset mails one address receives per hour from one source: a forgotten password needs one.
pub const RESET_MAILS_PER_ADDRESS_AND_SOURCE: Budget = Budget {
    name: "reset_mails_from_source",
    per_window: 3,
    window_seconds: 3600,
    code: "too_many_reset_mails",
};

/// Reset mails one address receives per hour from anywhere: a mail bomb needs many. Higher
/// than the per-source allowance, so one requester cannot use up the owner's.
pub const RESET_MAILS_PER_ADDRESS: Budget = Budget {
    name: "reset_mails",
    per_window: 10,
    window_seconds: 3600,
    code: "too_many_reset_mails",
};

/// Reset requests one source makes per hour, whatever the addresses.
pub const RESET_REQUESTS_PER_SOURCE: Budget = Budget {
    name: "reset_requests",
    per_window: 20,
    window_seconds: 3600,
    code: "too_many_requests",
};

impl Identity {
    /// E-mails a reset link if `email` belongs to a person with a password, at most
    /// [`RESET_MAILS_PER_ADDRESS_AND_SOURCE`] times an hour per requesting source and
    /// [`RESET_MAILS_PER_ADDRESS`] in all; otherwise does nothing. Either way the
    /// caller learns nothing: the address's budget is spent whether or not it is registered,
    /// and the HTTP layer answers no sooner than a fixed time. A source asking too often is
    /// refused (429), which says nothing about any address.
    pub async fn forgot_password(&self, email: &str, context: &RequestContext) -> DomainResult<()> {
        let now = self.now();
        if let Some(source) = &context.source_address {
            RESET_REQUESTS_PER_SOURCE.require(&*self.store, source, now).await?;
        }
        let Ok(email) = Email::parse(email) else {
            return Ok(());
        };
        let user = self.user_by_email(&email).await?;
        let source = context.source_address.as_deref().unwrap_or("unknown");
        let from_source = format!("{email}#{source}");
        let allowed = RESET_MAILS_PER_ADDRESS_AND_SOURCE
            .spend(&*self.store, &from_source, now)
            .await?
            == Spent::Allowed
            && RESET_MAILS_PER_ADDRESS.spend(&*self.store, email.as_str(), now).await? == Spent::Allowed;
        let Some(user) = user.filter(|user| user.password_hash.is_some()) else {
            return Ok(());
        };
        if !allowed {
            return Ok(());
        }
        let (token, token_write) = self.issue_one_time_token(
            TokenPurpose::ResetPassword,
            user.id,
            chrono::Duration::minutes(self.settings.reset_minutes),
        );
        let event = self.account_event(
            Actor::user(user.id),
            &user,
            "user.password_reset_requested",
            json!({}),
            context,
        );
        let mail = EmailMessage::ResetPassword {
            to: user.email,
            name: user.name,
            link: format!("{}/reset-password?token={token}", self.settings.web_url),
        };
        UnitOfWork::new()
            .write(token_write)
            .outbox(self.mail(&mail, now)?)
            .audit(event)
            .commit(&*self.store)
            .await
    }

    /// The plan of a password reset with the token from a reset e-mail: the new password
    /// hashed, the address counted as confirmed (the e-mailed link proves the mailbox), and
    /// the writes that consume the token and update the profile — conditioned on the version
    /// read, so a sign-in that checked the old password cannot commit after it (that sign-in
    /// conditions on the old hash). Sessions are ended by [`Identity::revoke_all_sessions`]
    /// once it commits.
    pub(crate) async fn password_reset(
        &self,
        token: &str,
        password: &str,
        context: &RequestContext,
    ) -> DomainResult<ProvenAddress> {
        let (redeemable, user, version) = self.redeem(token, TokenPurpose::ResetPassword).await?;
        let password = Password::parse(password, &[user.email.as_str(), &user.name])?;
        let hash = self.hasher.hash(&password).await;
        let now = self.now();
        let profile = Update::new(keys::user(user.id))
            .set("password_hash", hash)
            .set("registration", json!(Registration::Registered))
            .set("updated_at", json!(now))
            .set("sessions_ended_at", json!(now))
            .when(Condition::VersionIs(version));
        let event = self.account_event(Actor::user(user.id), &user, "user.password_reset", json!({}), context);
        // Whoever was guessing the old password from unfamiliar places, the owner starts anew.
        let unthrottle = Write::Delete {
            key: keys::account_throttle(&user.email),
            condition: None,
        };
        Ok(ProvenAddress {
            consume: redeemable.consume(),
            profile,
            event,
            also: vec![unthrottle],
            user,
        })
    }

    /// The plan of an e-mail confirmation with the token from the confirmation e-mail and the
    /// password chosen at registration. Both are needed: the token proves the mailbox, the
    /// password proves that whoever holds the mailbox is who registered — so the owner of an
    /// address clicking the link of a registration someone else made confirms nothing (they
    /// take the address back with a password reset instead).
    pub(crate) async fn email_confirmation(
        &self,
        token: &str,
        password: &str,
        context: &RequestContext,
    ) -> DomainResult<ProvenAddress> {
        let (redeemable, user, version) = self.redeem(token, TokenPurpose::ConfirmEmail).await?;
        let registered_with = user.password_hash.as_deref().unwrap_or_default();
        if !self.hasher.verify(password, registered_with).await {
            return Err(DomainError::denied(
                "not_the_registrant",
                "this is not the password the registration was made with; if you did not register, reset the password instead",
            ));
        }
        let profile = Update::new(keys::user(user.id))
            .set("registration", json!(Registration::Registered))
            .set("updated_at", json!(self.now()))
            .when(Condition::VersionIs(version));
        let event = self.account_event(Actor::user(user.id), &user, "user.email_confirmed", json!({}), context);
        Ok(ProvenAddress {
            consume: redeemable.consume(),
            profile,
            event,
            also: vec![],
            user,
        })
    }
}

/// A mailbox proven by an e-mailed token (confirmation or reset): what the proof changes,
/// before the invitations it claims are added to the same transaction.
pub(crate) struct ProvenAddress {
    /// Consumes the token (fails if it was used meanwhile): the transaction's first write.
    pub consume: Write,
    /// The profile's update, conditioned on the version read: the second write.
    pub profile: Update,
    pub event: AuditEvent,
    /// Other writes of the proof (a reset lifts the account-wide sign-in throttle).
    pub also: Vec<Write>,
    pub user: User,
}
