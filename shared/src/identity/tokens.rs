//! Single-use e-mailed tokens (e-mail confirmation, password reset): 256 random bits, stored
//! only as a digest, expiring, and consumed by a conditional write so two uses cannot both
//! succeed.

use super::{Identity, OneTimeToken, TokenPurpose, User, UserId};
use crate::error::{DomainError, DomainResult};
use crate::keys;
use crate::store::{Condition, Item, Key, Update, Write};
use serde_json::json;

/// How long a token's record outlives its expiry, so a late use is told "expired", not
/// "unknown".
const KEEP_AFTER_EXPIRY_DAYS: i64 = 30;

/// A token that was presented and checked, ready to be consumed.
pub(crate) struct Redeemable {
    pub record: OneTimeToken,
    key: Key,
}

impl Redeemable {
    /// The write that consumes the token; it fails if another request consumed it first.
    pub fn consume(&self) -> Write {
        Write::Update(
            Update::new(self.key.clone())
                .set("used", true)
                .when(Condition::AttributeEquals("used".into(), json!(false))),
        )
    }
}

impl Identity {
    /// A new token for `user`: its text (for the e-mail) and the write that stores it.
    pub(crate) fn issue_one_time_token(
        &self,
        purpose: TokenPurpose,
        user_id: UserId,
        valid_for: chrono::Duration,
    ) -> (String, Write) {
        let token = self.secrets.token();
        let expires_at = self.now().plus(valid_for);
        let record = OneTimeToken {
            purpose,
            user_id,
            expires_at,
            used: false,
        };
        let item = Item::from_record(keys::one_time_token(&self.secrets.digest(&token)), &record).expiring_at(
            expires_at
                .plus(chrono::Duration::days(KEEP_AFTER_EXPIRY_DAYS))
                .unix_seconds(),
        );
        (
            token,
            Write::Put {
                item,
                condition: Some(Condition::NotExists),
            },
        )
    }

    /// Checks a presented token: unknown (or for another purpose) → 404; used or expired → 410.
    /// A presented token with the user it names and their profile's version.
    pub(crate) async fn redeem(&self, token: &str, purpose: TokenPurpose) -> DomainResult<(Redeemable, User, u64)> {
        let redeemable = self.check_one_time_token(token, purpose).await?;
        let item = self
            .store
            .get(&keys::user(redeemable.record.user_id))
            .await?
            .ok_or(DomainError::NotFound)?;
        Ok((redeemable, item.record()?, item.version))
    }

    pub(super) async fn check_one_time_token(&self, token: &str, purpose: TokenPurpose) -> DomainResult<Redeemable> {
        let key = keys::one_time_token(&self.secrets.digest(token));
        let item = self.store.get(&key).await?.ok_or(DomainError::NotFound)?;
        let record: OneTimeToken = item.record()?;
        if record.purpose != purpose {
            return Err(DomainError::NotFound);
        }
        if record.used {
            return Err(DomainError::gone("token_used", "this link has already been used"));
        }
        if record.expires_at <= self.now() {
            return Err(DomainError::gone("token_expired", "this link has expired"));
        }
        Ok(Redeemable { record, key })
    }
}
