//! Who is calling: an access token checked, then the user and their memberships read in one
//! request. A suspended user is refused at once, whatever their token, and so is a token of a
//! session that was ended (sign-out, revocation, password reset): the session's revocation
//! lives in the user's partition, which that same read covers.
//!
//! A request about one organisation (its path names it) is *scoped*: one BatchGetItem reads
//! the caller's profile, their membership there and the organisation itself, which
//! authorisation then uses instead of reading it again — so a read of one root organisation is
//! one round trip, authorisation included (a company adds one read: the caller's membership in
//! its root, which only the company names). Any other request queries the caller's whole
//! partition.

use super::{Access, ApiKey, Identity, Membership, Organisation, User};

/// Every API key starts with this, so a leaked key is recognisable (secret scanners, logs).
pub const API_KEY_PREFIX: &str = "stm_";
use crate::accounts::UserKind;
use crate::audit::{Actor, ActorKind};
use crate::error::{DomainError, DomainResult};
use crate::ids::{OrganisationId, SessionId, UserId};
use crate::keys;
use crate::store::{Index, Item, MAX_PAGE, Query};
use std::sync::{Arc, Mutex};

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: User,
    /// The profile's version, its etag.
    pub user_version: u64,
    /// Every membership of the caller; on a scoped request, only those that bear on its
    /// organisation (its own and, for a company, its root's).
    pub memberships: Vec<Membership>,
    /// The sign-in session, for a person; machines with an API key have none.
    pub session_id: Option<SessionId>,
    /// The API key a machine authenticated with, if it did.
    pub api_key_id: Option<String>,
    /// The organisation a scoped request read along with the caller, handed to the first
    /// authorisation only: a retry after a conflicting write must read it afresh.
    prefetched: Arc<Mutex<Prefetched>>,
}

/// Proof that the caller is a platform admin (T9). The only ways to get one are
/// [`Principal::platform_admin`] and [`require_platform_admin`], so what takes a
/// `&PlatformAdmin` cannot run for anyone else: an admin-only function says so in its
/// signature instead of testing a flag.
#[derive(Debug, Clone, PartialEq)]
pub struct PlatformAdmin {
    actor: Actor,
    user_id: UserId,
}

impl PlatformAdmin {
    pub fn user_id(&self) -> UserId {
        self.user_id
    }

    /// The admin as the audit trail names them.
    pub fn actor(&self) -> Actor {
        self.actor.clone()
    }
}

/// The caller as a platform admin; to anyone else, what admins administer does not exist
/// (404, not 403: T9).
pub fn require_platform_admin(principal: &Principal) -> DomainResult<PlatformAdmin> {
    principal.platform_admin().ok_or(DomainError::NotFound)
}

impl Principal {
    /// Who the audit trail says acted: the person, or the machine and the key it used.
    pub fn actor(&self) -> Actor {
        let kind = match self.user.kind {
            UserKind::Person => ActorKind::User,
            UserKind::Machine => ActorKind::Machine,
        };
        Actor {
            kind,
            user_id: Some(self.user.id),
            api_key_id: self.api_key_id.clone(),
        }
    }

    /// The caller's platform admin capability, if they are one.
    pub fn platform_admin(&self) -> Option<PlatformAdmin> {
        self.user.is_platform_admin().then(|| PlatformAdmin {
            actor: self.actor(),
            user_id: self.user.id,
        })
    }

    pub fn active_membership(&self, organisation: OrganisationId) -> Option<&Membership> {
        self.memberships
            .iter()
            .find(|m| m.organisation_id == organisation && m.active)
    }

    /// The organisation item read with the caller, if this request was scoped to
    /// `organisation`, left for whoever takes it (`Some(None)`: it does not exist).
    pub fn prefetched(&self, organisation: OrganisationId) -> Option<Option<Item>> {
        let prefetched = self.prefetched.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match &*prefetched {
            Some((id, item)) if *id == organisation => Some(item.clone()),
            _ => None,
        }
    }

    /// The organisation item read with the caller, if this request was scoped to
    /// `organisation` and nobody took it yet (`Some(None)`: it does not exist).
    pub fn take_prefetched(&self, organisation: OrganisationId) -> Option<Option<Item>> {
        let mut prefetched = self.prefetched.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match prefetched.take() {
            Some((id, item)) if id == organisation => Some(item),
            other => {
                *prefetched = other;
                None
            }
        }
    }
}

impl Identity {
    /// A person, by their access token; `scope` is the organisation the request is about.
    pub async fn authenticate(&self, access_token: &str, scope: Option<OrganisationId>) -> DomainResult<Principal> {
        let claims = self
            .tokens
            .verify(access_token, self.now())
            .ok_or(DomainError::Unauthenticated)?;
        let principal = self
            .principal_of(claims.user_id, Some(claims.session_id), scope)
            .await?;
        if principal.user.session_ended(claims.session_started_at) {
            return Err(DomainError::Unauthenticated);
        }
        Ok(principal)
    }

    /// A machine, by one of its API keys (`X-Api-Key`).
    pub async fn authenticate_api_key(&self, key: &str, scope: Option<OrganisationId>) -> DomainResult<Principal> {
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
        let mut principal = self.principal_of(record.machine_id, None, scope).await?;
        principal.api_key_id = Some(record.id.to_string());
        Ok(principal)
    }

    pub(super) async fn principal_of(
        &self,
        user_id: UserId,
        session_id: Option<SessionId>,
        scope: Option<OrganisationId>,
    ) -> DomainResult<Principal> {
        let read = match scope {
            Some(organisation) => self.scoped_read(user_id, session_id, organisation).await?,
            None => self.partition_read(user_id, session_id).await?,
        };
        if read.session_revoked {
            return Err(DomainError::Unauthenticated);
        }
        let (profile, memberships, prefetched) = (read.profile, read.memberships, read.prefetched);
        let profile = profile.ok_or(DomainError::Unauthenticated)?;
        let user: User = profile.record()?;
        if user.access != Access::Active {
            return Err(DomainError::Unauthenticated);
        }
        Ok(Principal {
            user,
            user_version: profile.version,
            memberships,
            session_id,
            api_key_id: None,
            prefetched: Arc::new(Mutex::new(prefetched)),
        })
    }

    /// The profile, every membership and the session's revocation if there is one, from a
    /// query of the user's partition — one request up to about 2,000 memberships (DynamoDB's
    /// 1 MB page), every page however many there are.
    async fn partition_read(&self, user_id: UserId, session_id: Option<SessionId>) -> DomainResult<CallerRead> {
        let revocation = session_id.map(|session| keys::session_revocation(user_id, session));
        let mut read = CallerRead::default();
        let mut cursor = None;
        loop {
            let query = Query::new(Index::Table, keys::user_partition(user_id))
                .limit(MAX_PAGE)
                .after(cursor);
            let page = self.store.query(&query).await?;
            for item in page.items {
                if item.key.sk.starts_with(keys::MEMBERSHIP_PREFIX) {
                    read.memberships.push(item.record::<Membership>()?);
                } else if item.key == keys::user(user_id) {
                    read.profile = Some(item);
                } else if Some(&item.key) == revocation.as_ref() {
                    read.session_revoked = true;
                }
            }
            match page.next {
                Some(next) => cursor = Some(next),
                None => return Ok(read),
            }
        }
    }

    /// The profile, the membership in `organisation` and the organisation, in one batch; for
    /// a company, the membership in its root too (a second read, as only the first names the
    /// root).
    async fn scoped_read(
        &self,
        user_id: UserId,
        session_id: Option<SessionId>,
        organisation: OrganisationId,
    ) -> DomainResult<CallerRead> {
        let mut keys = vec![
            keys::user(user_id),
            keys::membership(user_id, organisation),
            keys::organisation(organisation),
        ];
        keys.extend(session_id.map(|session| keys::session_revocation(user_id, session)));
        let mut found = self.store.batch_get(&keys).await?.into_iter();
        let (Some(profile), Some(membership), Some(organisation_item)) = (found.next(), found.next(), found.next())
        else {
            return Err(DomainError::Internal(
                "a batch read answered the wrong number of items".into(),
            ));
        };
        let session_revoked = found.next().flatten().is_some();
        let mut memberships = Vec::new();
        if let Some(item) = membership {
            memberships.push(item.record::<Membership>()?);
        }
        let root = match &organisation_item {
            Some(item) => item.record::<Organisation>()?.parent_organisation_id,
            None => None,
        };
        if profile.is_some()
            && let Some(root) = root
            && let Some(item) = self.store.get(&keys::membership(user_id, root)).await?
        {
            memberships.push(item.record::<Membership>()?);
        }
        Ok(CallerRead {
            profile,
            memberships,
            prefetched: Some((organisation, organisation_item)),
            session_revoked,
        })
    }
}

/// A scoped request's organisation as authentication read it (`None` inside: absent).
type Prefetched = Option<(OrganisationId, Option<Item>)>;

/// What authentication read: the profile, memberships, a scoped request's organisation, and
/// whether the access token's session was revoked.
#[derive(Default)]
struct CallerRead {
    profile: Option<Item>,
    memberships: Vec<Membership>,
    prefetched: Prefetched,
    session_revoked: bool,
}
