//! Who is calling: an access token checked, then the user and their memberships read in one
//! query of the user's partition. A suspended user is refused at once, whatever their token.

use super::{Access, ApiKey, Identity, Membership, User};

/// Every API key starts with this, so a leaked key is recognisable (secret scanners, logs).
pub const API_KEY_PREFIX: &str = "stm_";
use crate::error::{DomainError, DomainResult};
use crate::ids::{OrganisationId, SessionId, UserId};
use crate::keys;
use crate::store::{Index, MAX_PAGE, Query};

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: User,
    /// The profile's version, its etag.
    pub user_version: u64,
    pub memberships: Vec<Membership>,
    /// The sign-in session, for a person; machines with an API key have none.
    pub session_id: Option<SessionId>,
    /// The API key a machine authenticated with, if it did.
    pub api_key_id: Option<String>,
}

impl Principal {
    pub fn is_platform_admin(&self) -> bool {
        self.user.is_platform_admin()
    }

    pub fn active_membership(&self, organisation: OrganisationId) -> Option<&Membership> {
        self.memberships
            .iter()
            .find(|m| m.organisation_id == organisation && m.active)
    }
}

impl Identity {
    pub async fn authenticate(&self, access_token: &str) -> DomainResult<Principal> {
        let claims = self
            .tokens
            .verify(access_token, self.now())
            .ok_or(DomainError::Unauthenticated)?;
        self.principal_of(claims.user_id, Some(claims.session_id)).await
    }

    /// A machine, by one of its API keys (`X-Api-Key`).
    pub async fn authenticate_api_key(&self, key: &str) -> DomainResult<Principal> {
        if !key.starts_with(API_KEY_PREFIX) {
            return Err(DomainError::Unauthenticated);
        }
        let item = self
            .store
            .get(&keys::api_key(&self.secrets.digest(key)))
            .await?
            .ok_or(DomainError::Unauthenticated)?;
        let record: ApiKey = item.record()?;
        if record.expires_at.is_some_and(|at| at <= self.now()) {
            return Err(DomainError::Unauthenticated);
        }
        let mut principal = self.principal_of(record.machine_id, None).await?;
        principal.api_key_id = Some(record.id.to_string());
        Ok(principal)
    }

    /// The user and their memberships, from one query of the user's partition.
    pub(super) async fn principal_of(&self, user_id: UserId, session_id: Option<SessionId>) -> DomainResult<Principal> {
        let page = self
            .store
            .query(&Query::new(Index::Table, keys::user_partition(user_id)).limit(MAX_PAGE))
            .await?;
        let mut user = None;
        let mut memberships = Vec::new();
        for item in &page.items {
            if item.key.sk.starts_with(keys::MEMBERSHIP_PREFIX) {
                memberships.push(item.record::<Membership>()?);
            } else if item.key == keys::user(user_id) {
                user = Some((item.record::<User>()?, item.version));
            }
        }
        let (user, user_version) = user.ok_or(DomainError::Unauthenticated)?;
        if user.access != Access::Active {
            return Err(DomainError::Unauthenticated);
        }
        Ok(Principal {
            user,
            user_version,
            memberships,
            session_id,
            api_key_id: None,
        })
    }
}
