//! Password reset by e-mailed single-use token. Asking for a reset answers the same whether
//! or not the address is registered; completing one ends every session.

use super::{Email, Identity, Password, Registration, TokenPurpose, User};
use crate::audit::{Actor, RequestContext};
use crate::error::{DomainError, DomainResult};
use crate::keys;
use crate::mail::EmailMessage;
use crate::store::{StoreError, Update, Write};
use serde_json::json;

impl Identity {
    /// E-mails a reset link if `email` belongs to a registered person; otherwise does
    /// nothing. Either way the caller learns nothing.
    pub async fn forgot_password(&self, email: &str, context: &RequestContext) -> DomainResult<()> {
        let Ok(email) = Email::parse(email) else {
            return Ok(());
        };
        let Some(user) = self.user_by_email(&email).await? else {
            return Ok(());
        };
        if user.password_hash.is_none() {
            return Ok(());
        }
        let now = self.now();
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
        self.store
            .transact(vec![token_write, self.mail(&mail, now), event])
            .await?;
        Ok(())
    }

    /// Sets a new password with the token from a reset e-mail and ends every session. Using
    /// the e-mailed link also proves the address, so it counts as confirmed.
    pub async fn reset_password(&self, token: &str, password: &str, context: &RequestContext) -> DomainResult<()> {
        let redeemable = self.check_one_time_token(token, TokenPurpose::ResetPassword).await?;
        let user_key = keys::user(redeemable.record.user_id);
        let user: User = self
            .store
            .get(&user_key)
            .await?
            .ok_or(DomainError::NotFound)?
            .record()?;
        let password = Password::parse(password, &[user.email.as_str(), &user.name])?;
        let hash = self.hasher.hash(&password).await;
        let update = Update::new(user_key)
            .set("password_hash", hash)
            .set("registration", json!(Registration::Registered))
            .set("updated_at", json!(self.now()));
        match self
            .store
            .transact(vec![
                redeemable.consume(),
                Write::Update(update),
                self.account_event(Actor::user(user.id), &user, "user.password_reset", json!({}), context),
            ])
            .await
        {
            Ok(()) => {}
            Err(StoreError::ConditionFailed { index: 0 }) => {
                return Err(DomainError::gone("token_used", "this link has already been used"));
            }
            Err(other) => return Err(other.into()),
        }
        self.revoke_all_sessions(user.id).await
    }
}
