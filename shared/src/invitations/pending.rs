//! Pending invitations: listed, sent again, revoked; a change that lost a race to another
//! answers what happened.

use super::{Invitation, InvitationStatus, InvitationView, Invitations, token_write};
use crate::audit::{AuditEvent, RequestContext};
use crate::error::{DomainError, DomainResult};
use crate::identity::Principal;
use crate::ids::{InvitationId, OrganisationId};
use crate::keys;
use crate::mail::EmailMessage;
use crate::store::{Condition, Cursor, Index, Query, SortCondition, Update, Write};
use crate::tenancy::{ManageMembers, authorize};
use crate::unit_of_work::UnitOfWork;
use serde_json::json;

/// A guest invitation's address was claimed or released meanwhile.
pub(super) fn changed_hands() -> DomainError {
    DomainError::conflict("concurrent_change", "the address changed hands meanwhile; try again")
}

/// A pending invitation was accepted, resent or revoked meanwhile.
fn invitation_changed() -> DomainError {
    DomainError::conflict("invitation_changed", "the invitation changed meanwhile; try again")
}

impl Invitations {
    pub async fn list(
        &self,
        principal: &Principal,
        organisation_id: OrganisationId,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> DomainResult<(Vec<InvitationView>, Option<Cursor>)> {
        authorize::<ManageMembers>(&*self.identity.store, principal, organisation_id).await?;
        let query = Query::new(Index::Gsi1, keys::organisation_index_partition(organisation_id))
            .sort(SortCondition::BeginsWith(keys::INVITATIONS_PREFIX.into()))
            .descending()
            .limit(limit)
            .after(cursor);
        let page = self.identity.store.query(&query).await?;
        let views = page
            .items
            .iter()
            .map(|item| Ok(item.record::<Invitation>()?.into()))
            .collect::<DomainResult<Vec<_>>>()?;
        Ok((views, page.next))
    }

    /// The pending invitation `id` of the organisation in the path: anything else is 404, so
    /// an id cannot reach another organisation's invitation.
    async fn pending_of(
        &self,
        principal: &Principal,
        organisation_id: OrganisationId,
        id: InvitationId,
    ) -> DomainResult<(Invitation, u64)> {
        authorize::<ManageMembers>(&*self.identity.store, principal, organisation_id).await?;
        let item = self
            .identity
            .store
            .get(&keys::invitation(id))
            .await?
            .ok_or(DomainError::NotFound)?;
        let invitation: Invitation = item.record()?;
        if invitation.organisation_id != Some(organisation_id) {
            return Err(DomainError::NotFound);
        }
        if invitation.status != InvitationStatus::Pending {
            return Err(DomainError::conflict(
                "invitation_closed",
                "only a pending invitation can be resent or revoked",
            ));
        }
        Ok((invitation, item.version))
    }

    /// A new token and a new expiry; the old token stops working.
    pub async fn resend(
        &self,
        principal: &Principal,
        context: &RequestContext,
        organisation_id: OrganisationId,
        id: InvitationId,
    ) -> DomainResult<InvitationView> {
        let (old, version) = self.pending_of(principal, organisation_id, id).await?;
        let now = self.now();
        self.spend_invitation(principal, context).await?;
        self.spend_mail_to(principal, &old.email).await?;
        let token = self.identity.secrets.token();
        let renewed = Invitation {
            token_digest: self.identity.secrets.digest(&token),
            expires_at: now.plus(chrono::Duration::days(self.expiry_days().await?)),
            ..old.clone()
        };
        let update = Update::new(keys::invitation(id))
            .set("token_digest", renewed.token_digest.as_str())
            .set("expires_at", json!(renewed.expires_at))
            .when(Condition::VersionIs(version));
        let mail = EmailMessage::Invitation {
            to: renewed.email.clone(),
            inviter: principal.user.name.clone(),
            organisation: renewed.organisation_name.clone(),
            link: self.link(&token),
        };
        let audit = AuditEvent::by(principal.actor())
            .did("invitation.resent")
            .on("invitation", id)
            .in_organisation(organisation_id)
            .changes(json!({ "expires_at": renewed.expires_at }))
            .at(now, context);
        let mut work = UnitOfWork::new()
            .write(Write::Update(update))
            .write(Write::Delete {
                key: keys::invitation_token(&old.token_digest),
                condition: None,
            })
            .write(token_write(&renewed))
            .outbox(self.identity.mail(&mail, now)?)
            .audit(audit);
        // The expiry entry is keyed by the second: two resends within one second keep it.
        if renewed.expires_at.unix_seconds() != old.expires_at.unix_seconds() {
            let entry = crate::store::Item::new(keys::invitation_expiry(renewed.expires_at.unix_seconds(), id));
            work = work
                .write(Write::Delete {
                    key: keys::invitation_expiry(old.expires_at.unix_seconds(), id),
                    condition: None,
                })
                .write(Write::Put {
                    item: entry,
                    condition: None,
                });
        }
        work.otherwise(invitation_changed())
            .commit(&*self.identity.store)
            .await?;
        Ok(renewed.into())
    }

    pub async fn revoke(
        &self,
        principal: &Principal,
        context: &RequestContext,
        organisation_id: OrganisationId,
        id: InvitationId,
    ) -> DomainResult<()> {
        let (invitation, version) = self.pending_of(principal, organisation_id, id).await?;
        let now = self.now();
        let update = Update::new(keys::invitation(id))
            .set("status", json!(InvitationStatus::Revoked))
            .when(Condition::VersionIs(version));
        let audit = AuditEvent::by(principal.actor())
            .did("invitation.revoked")
            .on("invitation", id)
            .in_organisation(organisation_id)
            .at(now, context);
        UnitOfWork::new()
            .write(Write::Update(update))
            .write(Write::Delete {
                key: keys::invitation_expiry(invitation.expires_at.unix_seconds(), id),
                condition: None,
            })
            .audit(audit)
            .otherwise(invitation_changed())
            .commit(&*self.identity.store)
            .await
    }
}
