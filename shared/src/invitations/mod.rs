//! Invitations (SPEC §5): to the platform or to an organisation, by e-mail or user id; a guest
//! gets an invited-unregistered user holding the address (T10) and an e-mailed single-use
//! token; an existing, confirmed user is added at once. Invitations are claimed only by a
//! proven mailbox (`claim`: confirmation, reset, or registering with the invitation's own
//! token, see `accept`); housekeeping marks overdue ones expired, though acceptance checks
//! expiry itself.

mod accept;
mod claim;
mod invite;
mod pending;

pub use accept::AcceptedRegistration;
pub use claim::InvitationReport;
pub use invite::{
    INVITATION_MAILS_PER_ADDRESS, INVITATION_MAILS_PER_INVITER_AND_ADDRESS, INVITATIONS_PER_INVITER,
    INVITATIONS_PER_SOURCE, InviteOutcome, InviteTarget,
};

use crate::accounts::{Email, Role};
use crate::audit::RequestContext;
use crate::error::{DomainError, DomainResult};
use crate::identity::{Identity, Principal, name_from_email};
use crate::ids::{InvitationId, OrganisationId, UserId};
use crate::keys;
use crate::ports::Store;
use crate::store::{Condition, Index, Item, Query, SortCondition, Update, Write};
use crate::tenancy::Tenancy;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvitationStatus {
    Pending,
    Accepted,
    Revoked,
    Expired,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Invitation {
    pub id: InvitationId,
    /// `None` for an invitation to the platform.
    pub organisation_id: Option<OrganisationId>,
    pub organisation_name: Option<String>,
    pub email: Email,
    /// The invited-unregistered user holding the address (the referral's target).
    pub invited_user_id: UserId,
    /// Who invited them (the referral).
    pub invited_by: UserId,
    pub roles: Vec<Role>,
    pub status: InvitationStatus,
    pub token_digest: String,
    pub expires_at: Timestamp,
    pub created_at: Timestamp,
    pub accepted_by: Option<UserId>,
    /// Set when someone registered another address with this invitation's token: it is
    /// theirs, and takes effect when they confirm that address (with its token and their
    /// password) — never for whoever later proves the address they registered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bound_to: Option<UserId>,
}

/// An invitation as its organisation's owners see it (never its token).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InvitationView {
    pub id: InvitationId,
    pub organisation_id: Option<OrganisationId>,
    pub email: Email,
    pub invited_by: UserId,
    pub roles: Vec<Role>,
    pub status: InvitationStatus,
    pub expires_at: Timestamp,
    pub created_at: Timestamp,
}

impl From<Invitation> for InvitationView {
    fn from(i: Invitation) -> Self {
        Self {
            id: i.id,
            organisation_id: i.organisation_id,
            email: i.email,
            invited_by: i.invited_by,
            roles: i.roles,
            status: i.status,
            expires_at: i.expires_at,
            created_at: i.created_at,
        }
    }
}

/// What the unauthenticated `GET /api/invitations/{token}` shows.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InvitationPreview {
    pub email: Email,
    pub name: String,
    pub organisation_name: Option<String>,
    pub expires_at: Timestamp,
}

#[derive(Debug, Serialize, Deserialize)]
struct TokenRecord {
    invitation_id: InvitationId,
}

/// The invitation use cases, on identity's ports and tenancy's rules.
#[derive(Clone)]
pub struct Invitations {
    pub identity: Identity,
    pub tenancy: Tenancy,
}

impl Invitations {
    fn now(&self) -> Timestamp {
        self.identity.now()
    }

    fn link(&self, token: &str) -> String {
        format!("{}/register?invitation={token}", self.identity.settings.web_url)
    }

    /// The invitation a token names, with its item version: 404 if unknown, 410 if it is no
    /// longer pending or has expired (whatever housekeeping has or has not marked yet).
    pub(crate) async fn by_token(&self, token: &str) -> DomainResult<(Invitation, u64)> {
        let store = &self.identity.store;
        let record: TokenRecord = store
            .get(&keys::invitation_token(&self.identity.secrets.digest(token)))
            .await?
            .ok_or(DomainError::NotFound)?
            .record()?;
        let item = store
            .get(&keys::invitation(record.invitation_id))
            .await?
            .ok_or(DomainError::NotFound)?;
        let invitation: Invitation = item.record()?;
        match invitation.status {
            InvitationStatus::Pending if invitation.bound_to.is_some() => Err(DomainError::gone(
                "invitation_used",
                "this invitation has already been used to register",
            )),
            InvitationStatus::Pending if invitation.expires_at > self.now() => Ok((invitation, item.version)),
            InvitationStatus::Pending | InvitationStatus::Expired => {
                Err(DomainError::gone("invitation_expired", "this invitation has expired"))
            }
            InvitationStatus::Accepted => Err(DomainError::gone(
                "invitation_used",
                "this invitation has already been accepted",
            )),
            InvitationStatus::Revoked => Err(DomainError::gone("invitation_revoked", "this invitation was withdrawn")),
        }
    }

    pub async fn preview(&self, token: &str) -> DomainResult<InvitationPreview> {
        let (invitation, _) = self.by_token(token).await?;
        Ok(InvitationPreview {
            name: name_from_email(&invitation.email),
            email: invitation.email,
            organisation_name: invitation.organisation_name,
            expires_at: invitation.expires_at,
        })
    }

    /// Marks pending invitations past their expiry as expired; returns how many.
    pub async fn expire_overdue(&self) -> DomainResult<usize> {
        let store = &self.identity.store;
        let now = self.now().unix_seconds();
        let due = Query::new(Index::Table, keys::INVITATION_EXPIRIES)
            .sort(SortCondition::Below(format!("{now:012}#~")))
            .limit(100);
        let mut expired = 0;
        loop {
            let page = store.query(&due).await?;
            if page.items.is_empty() {
                return Ok(expired);
            }
            for item in page.items {
                let id = item
                    .key
                    .sk
                    .split('#')
                    .nth(1)
                    .and_then(|id| InvitationId::parse(id, "id").ok());
                let mut writes = vec![Write::Delete {
                    key: item.key.clone(),
                    condition: None,
                }];
                if let Some(id) = id {
                    writes.push(Write::Update(
                        Update::new(keys::invitation(id))
                            .set("status", json!(InvitationStatus::Expired))
                            .when(Condition::AttributeEquals(
                                "status".into(),
                                json!(InvitationStatus::Pending),
                            )),
                    ));
                }
                match store.transact(writes).await {
                    Ok(()) => expired += 1,
                    // Accepted or revoked meanwhile: only the index entry goes.
                    Err(crate::store::StoreError::ConditionFailed { .. }) => store.delete(&item.key, None).await?,
                    Err(other) => return Err(other.into()),
                }
            }
        }
    }
}

impl Invitations {
    /// Soft-deletes a shared organisation (T8); its pending invitations die with it, so a link
    /// from a deleted organisation answers 410.
    pub async fn delete_organisation(
        &self,
        principal: &Principal,
        context: &RequestContext,
        id: OrganisationId,
    ) -> DomainResult<()> {
        self.tenancy.delete_organisation(principal, context, id).await?;
        revoke_pending_of(&*self.identity.store, id).await?;
        Ok(())
    }
}

/// Revokes every pending invitation of a deleted organisation, page by page, so none of its
/// links works any more (acceptance checks the organisation too, should one slip through).
async fn revoke_pending_of(store: &dyn Store, organisation: OrganisationId) -> DomainResult<usize> {
    let mut cursor = None;
    let mut revoked = 0;
    loop {
        let query = Query::new(Index::Gsi1, keys::organisation_index_partition(organisation))
            .sort(SortCondition::BeginsWith(keys::INVITATIONS_PREFIX.into()))
            .limit(100)
            .after(cursor);
        let page = store.query(&query).await?;
        for item in &page.items {
            if item.record::<Invitation>()?.status != InvitationStatus::Pending {
                continue;
            }
            // Index reads are eventually consistent: close what the table holds now.
            let Some(fresh) = store.get(&item.key).await? else {
                continue;
            };
            let writes = claim::close(&fresh.record()?, fresh.version, InvitationStatus::Revoked, None);
            match store.transact(writes).await {
                Ok(()) => revoked += 1,
                // Accepted or revoked meanwhile.
                Err(crate::store::StoreError::ConditionFailed { .. }) => {}
                Err(other) => return Err(other.into()),
            }
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => return Ok(revoked),
        }
    }
}

/// The writes that store a new pending invitation with its token and expiry entry.
fn store_invitation(invitation: &Invitation) -> Vec<Write> {
    let mut item = Item::from_record(keys::invitation(invitation.id), invitation)
        .with_gsi2(keys::invitation_of_user(invitation.invited_user_id, invitation.id));
    if let Some(organisation) = invitation.organisation_id {
        item = item.with_gsi1(keys::invitation_of_organisation(organisation, invitation.id));
    }
    vec![
        Write::Put {
            item,
            condition: Some(Condition::NotExists),
        },
        token_write(invitation),
        Write::Put {
            item: Item::new(keys::invitation_expiry(
                invitation.expires_at.unix_seconds(),
                invitation.id,
            )),
            condition: None,
        },
    ]
}

fn token_write(invitation: &Invitation) -> Write {
    let record = TokenRecord {
        invitation_id: invitation.id,
    };
    Write::Put {
        item: Item::from_record(keys::invitation_token(&invitation.token_digest), &record),
        condition: Some(Condition::NotExists),
    }
}
