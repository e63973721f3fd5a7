//! Sign-in, refresh-token rotation with reuse detection, sign-out, and the user's sessions.

use super::throttle::claim;
use super::{Access, Identity, RefreshToken, Registration, Session, User};
use crate::accounts::Email;
use crate::audit::{Actor, AuditEvent, RequestContext};
use crate::error::{DomainError, DomainResult};
use crate::ids::{SessionId, UserId};
use crate::keys;
use crate::ports::{AccessClaims, Store};
use crate::store::{Condition, Item, StoreError, Update, Write};
use crate::time::Timestamp;
use crate::unit_of_work::UnitOfWork;
use serde::Serialize;
use serde_json::json;

/// Where a sign-in comes from, for throttling, the session list and the audit trail.
#[derive(Debug, Clone, Default)]
pub struct LoginContext {
    pub request: RequestContext,
    pub user_agent: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: &'static str,
    pub expires_in: u64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SessionView {
    pub id: SessionId,
    pub created_at: Timestamp,
    pub last_used_at: Timestamp,
    pub expires_at: Timestamp,
    pub user_agent: Option<String>,
    pub source_address: Option<String>,
    /// Whether this is the session the request was made with.
    pub current: bool,
}

/// How long a revocation outlives the access tokens it revokes (clock leeway included).
const REVOCATION_MARGIN_SECONDS: i64 = 60;

/// How long a source stays familiar to an account after its last successful sign-in.
const FAMILIAR_FOR_SECONDS: i64 = 90 * 24 * 3600;

/// Longest user agent kept with a session.
const MAX_USER_AGENT_CHARS: usize = 256;

impl Identity {
    /// Signs a person in with e-mail and password. Wrong address and wrong password answer
    /// the same, after the same work.
    pub async fn login(&self, email: &str, password: &str, context: &LoginContext) -> DomainResult<TokenPair> {
        let now = self.now();
        let email = Email::parse(email).map_err(|_| DomainError::Unauthenticated)?;
        // One batch reads the address, the throttles and whether the source is familiar to
        // the account; the claims come before any password check, and the user is read only
        // once they all succeeded. Failures are throttled per (account, source) and per
        // source; per account only from unfamiliar sources, so a guesser cannot lock a
        // person out from where they usually sign in.
        let source = context.request.source_address.as_deref().unwrap_or("unknown");
        let pair_throttle = keys::account_source_throttle(&email, source);
        let familiar = keys::familiar_source(&email, source);
        let account_throttle = keys::account_throttle(&email);
        let source_throttle = context.request.source_address.as_deref().map(keys::source_throttle);
        let mut reads = vec![
            keys::email(&email),
            pair_throttle.clone(),
            familiar.clone(),
            account_throttle.clone(),
        ];
        reads.extend(source_throttle.clone());
        let mut read = self.store.batch_get(&reads).await?.into_iter();
        let (address, pair, is_familiar, account, source_read) = (
            read.next().flatten(),
            read.next(),
            read.next().flatten().is_some(),
            read.next(),
            read.next(),
        );
        let mut refunds = Vec::new();
        if let Some(key) = &source_throttle {
            refunds.push(claim(&*self.store, key, &self.settings.source_throttle, now, source_read).await?);
        }
        claim(
            &*self.store,
            &pair_throttle,
            &self.settings.account_source_throttle,
            now,
            pair,
        )
        .await?;
        if !is_familiar {
            refunds.push(
                claim(
                    &*self.store,
                    &account_throttle,
                    &self.settings.account_throttle,
                    now,
                    account,
                )
                .await?,
            );
        }

        let user = match address {
            Some(address) => {
                let user_id = address.record::<super::EmailClaim>()?.user_id;
                self.store
                    .get(&keys::user(user_id))
                    .await?
                    .map(|item| item.record::<User>())
                    .transpose()?
            }
            None => None,
        };
        let Some((user, hash)) = user.and_then(|user| user.password_hash.clone().map(|hash| (user, hash))) else {
            self.hasher.waste_time(password).await;
            return Err(DomainError::Unauthenticated);
        };
        if !self.hasher.verify(password, &hash).await {
            return Err(DomainError::Unauthenticated);
        }
        if user.access == Access::Suspended {
            return Err(DomainError::denied("account_suspended", "this account is suspended"));
        }
        if user.registration != Registration::Registered {
            return Err(DomainError::denied(
                "email_not_confirmed",
                "confirm your e-mail address before signing in",
            ));
        }
        // The session begins now, after the password check: a reset committed meanwhile ended
        // every session begun before it, and this one must not look older than it is.
        let (tokens, session) = self.open_session(&user, context, self.now())?;
        // The session commits only if the password it checked is still the account's: a
        // reset that lands first makes this sign-in fail instead of outliving it.
        let still_the_password = Write::Check {
            key: keys::user(user.id),
            condition: Condition::All(vec![
                Condition::AttributeEquals("password_hash".into(), json!(hash)),
                Condition::AttributeEquals("access".into(), json!(Access::Active)),
            ]),
        };
        UnitOfWork::new()
            .writes(session)
            .write_or(still_the_password, DomainError::Unauthenticated)
            .write(Write::Delete {
                key: pair_throttle,
                condition: None,
            })
            .write(Write::Put {
                item: Item::new(familiar).expiring_at(now.unix_seconds() + FAMILIAR_FOR_SECONDS),
                condition: None,
            })
            .audit(self.account_event(
                Actor::user(user.id),
                &user,
                "session.created",
                json!({}),
                &context.request,
            ))
            .otherwise(DomainError::Unauthenticated)
            .commit(&*self.store)
            .await?;
        // Successes never count against the source or the account.
        for refund in refunds {
            refund.refund(&*self.store).await?;
        }
        Ok(tokens)
    }

    /// The write that revokes `session`'s access tokens for as long as any can live.
    pub(super) fn revocation(&self, user_id: UserId, session: SessionId) -> Write {
        let until = self.now().unix_seconds() + self.tokens.lifetime_seconds() as i64 + REVOCATION_MARGIN_SECONDS;
        Write::Put {
            item: Item::new(keys::session_revocation(user_id, session)).expiring_at(until),
            condition: None,
        }
    }

    pub(crate) async fn user_by_email(&self, email: &Email) -> DomainResult<Option<User>> {
        Ok(holder_of(&*self.store, email).await?.map(|(user, _)| user))
    }

    /// A new session for `user` and the writes that store it.
    fn open_session(
        &self,
        user: &User,
        context: &LoginContext,
        now: Timestamp,
    ) -> DomainResult<(TokenPair, Vec<Write>)> {
        let expires_at = now.plus(chrono::Duration::days(self.settings.session_days));
        let session = Session {
            id: SessionId::generate(),
            user_id: user.id,
            created_at: now,
            last_used_at: now,
            expires_at,
            user_agent: context
                .user_agent
                .as_ref()
                .map(|agent| agent.chars().take(MAX_USER_AGENT_CHARS).collect()),
            source_address: context.request.source_address.clone(),
        };
        let session_item =
            Item::from_record(keys::session(user.id, session.id), &session).expiring_at(expires_at.unix_seconds());
        let (pair, refresh_write) = self.issue_tokens(user, &session, now)?;
        Ok((
            pair,
            vec![
                Write::Put {
                    item: session_item,
                    condition: Some(Condition::NotExists),
                },
                refresh_write,
            ],
        ))
    }

    fn issue_tokens(&self, user: &User, session: &Session, now: Timestamp) -> DomainResult<(TokenPair, Write)> {
        let (user_id, session_id, session_expires_at) = (user.id, session.id, session.expires_at);
        let refresh_token = self.secrets.token();
        let record = RefreshToken {
            user_id,
            session_id,
            rotated: false,
            personal_organisation_id: Some(user.personal_organisation_id),
        };
        let item = Item::from_record(keys::refresh_token(&self.secrets.digest(&refresh_token)), &record)
            .expiring_at(session_expires_at.unix_seconds());
        let pair = TokenPair {
            access_token: self.tokens.issue(
                &AccessClaims {
                    user_id,
                    session_id,
                    session_started_at: session.created_at,
                },
                now,
            )?,
            refresh_token,
            token_type: "Bearer",
            expires_in: self.tokens.lifetime_seconds(),
        };
        Ok((
            pair,
            Write::Put {
                item,
                condition: Some(Condition::NotExists),
            },
        ))
    }

    /// Exchanges a refresh token for a new pair. The old token is rotated out; presenting a
    /// rotated token again means it leaked, and ends the whole session.
    pub async fn refresh(&self, refresh_token: &str, context: &RequestContext) -> DomainResult<TokenPair> {
        let now = self.now();
        let token_key = keys::refresh_token(&self.secrets.digest(refresh_token));
        let token_item = self.store.get(&token_key).await?.ok_or(DomainError::Unauthenticated)?;
        let token: RefreshToken = token_item.record()?;
        let session_key = keys::session(token.user_id, token.session_id);
        if token.rotated {
            self.end_session_on_reuse(&token, context).await?;
            return Err(DomainError::Unauthenticated);
        }
        let found = self
            .store
            .batch_get(&[session_key.clone(), keys::user(token.user_id)])
            .await?;
        let (Some(session_item), Some(user_item)) = (&found[0], &found[1]) else {
            return Err(DomainError::Unauthenticated);
        };
        let session: Session = session_item.record()?;
        let user: User = user_item.record()?;
        if user.access != Access::Active || user.ended(&session) {
            return Err(DomainError::Unauthenticated);
        }
        let (pair, new_token) = self.issue_tokens(&user, &session, now)?;
        let rotate = Update::new(token_key)
            .set("rotated", true)
            .when(Condition::AttributeEquals("rotated".into(), json!(false)));
        let touch = Update::new(session_key.clone()).set("last_used_at", json!(now));
        let event = self.account_event(
            Actor::user(user.id),
            &user,
            "session.refreshed",
            json!({ "session_id": session.id }),
            context,
        );
        let rotation = UnitOfWork::default()
            // A concurrent refresh with the same token won: this is a reuse.
            .write_or(Write::Update(rotate), Rotation::Reused)
            .write(new_token)
            .write(Write::Update(touch))
            .audit(event)
            .otherwise(Rotation::Refused)
            .commit(&*self.store)
            .await;
        match rotation {
            Ok(()) => Ok(pair),
            Err(Rotation::Reused) => {
                self.end_session_on_reuse(&token, context).await?;
                Err(DomainError::Unauthenticated)
            }
            Err(Rotation::Refused) => Err(DomainError::Unauthenticated),
            Err(Rotation::Failed(error)) => Err(error.into()),
        }
    }

    /// A rotated token came back: it leaked, so its whole session ends.
    async fn end_session_on_reuse(&self, token: &RefreshToken, context: &RequestContext) -> DomainResult<()> {
        self.end_session(token, "session.revoked_on_reuse", context).await
    }

    async fn end_session(&self, token: &RefreshToken, action: &str, context: &RequestContext) -> DomainResult<()> {
        let event = AuditEvent::by(Actor::user(token.user_id))
            .did(action)
            .on("user", token.user_id)
            .in_organisation(token.personal_organisation_id)
            .changes(json!({ "session_id": token.session_id }))
            .at(self.now(), context);
        let end = Write::Delete {
            key: keys::session(token.user_id, token.session_id),
            condition: None,
        };
        UnitOfWork::new()
            .write(end)
            .write(self.revocation(token.user_id, token.session_id))
            .audit(event)
            .commit(&*self.store)
            .await
    }

    /// Ends the session a refresh token belongs to. Unknown tokens are ignored.
    pub async fn logout(&self, refresh_token: &str, context: &RequestContext) -> DomainResult<()> {
        let token_key = keys::refresh_token(&self.secrets.digest(refresh_token));
        if let Some(item) = self.store.get(&token_key).await? {
            self.end_session(&item.record()?, "session.ended", context).await?;
        }
        Ok(())
    }
}

/// What a refresh's failed commit means.
enum Rotation {
    /// The token was rotated meanwhile: presented twice, so it leaked.
    Reused,
    /// The session or the account changed meanwhile.
    Refused,
    Failed(StoreError),
}

impl From<StoreError> for Rotation {
    fn from(error: StoreError) -> Self {
        Rotation::Failed(error)
    }
}

/// The user holding `email`, with their profile's version.
pub(crate) async fn holder_of(store: &dyn Store, email: &Email) -> DomainResult<Option<(User, u64)>> {
    let Some(claim) = store.get(&keys::email(email)).await? else {
        return Ok(None);
    };
    let user_id: UserId = claim.record::<super::EmailClaim>()?.user_id;
    match store.get(&keys::user(user_id)).await? {
        Some(item) => Ok(Some((item.record()?, item.version))),
        None => Ok(None),
    }
}
