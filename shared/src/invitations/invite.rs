//! Sending, listing, resending and revoking invitations.

use super::claim::close;
use super::{Invitation, InvitationStatus, InvitationView, Invitations, store_invitation};
use crate::accounts::{Email, Role, UserKind};
use crate::audit::{AuditEvent, RequestContext};
use crate::error::{DomainError, DomainResult};
use crate::identity::register::new_person;
use crate::identity::{OrganisationStatus, Principal, Registration, User, name_from_email};
use crate::ids::{InvitationId, OrganisationId, UserId};
use crate::invitations::pending::changed_hands;
use crate::keys;
use crate::limits::Budget;
use crate::mail::EmailMessage;
use crate::store::{Index, Query, Write};
use crate::tenancy::founding::pending_owner_roles;
use crate::tenancy::members::MemberView;
use crate::tenancy::roles::check_roles;
use crate::tenancy::{ManageMembers, authorize};
use crate::unit_of_work::UnitOfWork;
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeSet;

/// Whom an organisation invitation is for.
#[derive(Debug, Clone)]
pub enum InviteTarget {
    Email(Email),
    User(UserId),
}

/// An existing user is added at once; anyone else gets a pending invitation.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum InviteOutcome {
    Added { member: MemberView },
    Invited { invitation: InvitationView },
}

/// Invitations, resends and direct adds one person makes per hour: enough for an owner
/// onboarding a team, too few to turn the platform into a mailer.
pub const INVITATIONS_PER_INVITER: Budget = Budget {
    name: "invitations",
    per_window: 100,
    window_seconds: 3600,
    code: "too_many_invitations",
};

/// Invitations, resends and direct adds from one source address per hour, whoever signs them.
pub const INVITATIONS_PER_SOURCE: Budget = Budget {
    name: "invitations_from_source",
    per_window: 300,
    window_seconds: 3600,
    code: "too_many_invitations",
};

/// Invitation mails one address receives per day from one inviter.
pub const INVITATION_MAILS_PER_INVITER_AND_ADDRESS: Budget = Budget {
    name: "invitation_mails_from_inviter",
    per_window: 5,
    window_seconds: 24 * 3600,
    code: "too_many_invitations_to_address",
};

/// Invitation mails one address receives per day, whoever sends them, so nobody can be
/// mail-bombed through invitations and resends; four times one inviter's allowance, so one
/// inviter cannot stop others inviting the address.
pub const INVITATION_MAILS_PER_ADDRESS: Budget = Budget {
    name: "invitation_mails",
    per_window: 20,
    window_seconds: 24 * 3600,
    code: "too_many_invitations_to_address",
};

impl Invitations {
    /// Spends one invitation (or resend, or direct add) from the inviter's budget and their
    /// source address's. Platform admins, who onboard organisations, are not held to them.
    pub(super) async fn spend_invitation(&self, principal: &Principal, context: &RequestContext) -> DomainResult<()> {
        if principal.platform_admin().is_some() {
            return Ok(());
        }
        let (store, now) = (&*self.identity.store, self.now());
        INVITATIONS_PER_INVITER
            .require(store, &principal.user.id.to_string(), now)
            .await?;
        if let Some(source) = &context.source_address {
            INVITATIONS_PER_SOURCE.require(store, source, now).await?;
        }
        Ok(())
    }

    /// Spends one mail to `address` from the inviter's allowance for it and the address's own.
    pub(super) async fn spend_mail_to(&self, principal: &Principal, address: &Email) -> DomainResult<()> {
        let (store, now) = (&*self.identity.store, self.now());
        let from_inviter = format!("{}#{address}", principal.user.id);
        INVITATION_MAILS_PER_INVITER_AND_ADDRESS
            .require(store, &from_inviter, now)
            .await?;
        INVITATION_MAILS_PER_ADDRESS.require(store, address.as_str(), now).await
    }

    pub(super) async fn expiry_days(&self) -> DomainResult<i64> {
        Ok(i64::from(
            self.tenancy.platform_settings().await?.invitation_expiry_days,
        ))
    }

    /// A pending invitation for `email` (creating the invited-unregistered user when nobody
    /// holds the address yet), its e-mail, and its audit event, in one transaction.
    async fn invite_guest(
        &self,
        principal: &Principal,
        context: &RequestContext,
        (email, holder): (Email, Option<UserId>),
        organisation: Option<(OrganisationId, String)>,
        roles: Vec<Role>,
    ) -> DomainResult<InvitationView> {
        let now = self.now();
        self.spend_mail_to(principal, &email).await?;
        let mut work = UnitOfWork::new().otherwise(changed_hands());
        if let (Some(holder), Some((organisation, _))) = (holder, &organisation) {
            work = work.writes(self.superseded(holder, *organisation).await?);
        }
        let invited_user_id = match holder {
            Some(id) => id,
            None => {
                let guest = new_person(
                    email.clone(),
                    name_from_email(&email),
                    None,
                    Registration::Invited,
                    vec![],
                    now,
                );
                let id = guest.user.id;
                work = guest.add_to(work, changed_hands());
                id
            }
        };
        let token = self.identity.secrets.token();
        let invitation = Invitation {
            id: InvitationId::generate(),
            organisation_id: organisation.as_ref().map(|(id, _)| *id),
            organisation_name: organisation.as_ref().map(|(_, name)| name.clone()),
            email: email.clone(),
            invited_user_id,
            invited_by: principal.user.id,
            roles,
            status: InvitationStatus::Pending,
            token_digest: self.identity.secrets.digest(&token),
            expires_at: now.plus(chrono::Duration::days(self.expiry_days().await?)),
            created_at: now,
            accepted_by: None,
            bound_to: None,
        };
        let mail = EmailMessage::Invitation {
            to: email,
            inviter: principal.user.name.clone(),
            organisation: invitation.organisation_name.clone(),
            link: self.link(&token),
        };
        let changes =
            json!({ "email": invitation.email, "roles": invitation.roles, "invited_user_id": invited_user_id });
        let event = AuditEvent::by(principal.actor())
            .did("invitation.created")
            .on("invitation", invitation.id)
            .in_organisation(invitation.organisation_id)
            .changes(changes)
            .at(now, context);
        work.writes(store_invitation(&invitation))
            .outbox(self.identity.mail(&mail, now)?)
            .audit(event)
            .commit(&*self.identity.store)
            .await?;
        Ok(invitation.into())
    }

    /// The writes that revoke `holder`'s pending invitations to `organisation`: a newer
    /// invitation replaces them, so one address has one way into one organisation.
    pub(super) async fn superseded(&self, holder: UserId, organisation: OrganisationId) -> DomainResult<Vec<Write>> {
        let query = Query::new(Index::Gsi2, keys::invited_user_partition(holder)).limit(crate::store::MAX_PAGE);
        let mut writes = Vec::new();
        for item in self.identity.store.query(&query).await?.items {
            let invitation: Invitation = item.record()?;
            if invitation.status == InvitationStatus::Pending
                && invitation.organisation_id == Some(organisation)
                && let Some(fresh) = self.identity.store.get(&item.key).await?
            {
                writes.extend(close(&fresh.record()?, fresh.version, InvitationStatus::Revoked, None));
            }
        }
        Ok(writes)
    }

    /// Any signed-in person invites a guest to the platform.
    pub async fn invite_to_platform(
        &self,
        principal: &Principal,
        context: &RequestContext,
        email: Email,
    ) -> DomainResult<InvitationView> {
        if principal.user.kind == UserKind::Machine {
            return Err(DomainError::Forbidden);
        }
        self.spend_invitation(principal, context).await?;
        let holder = crate::identity::holder_of(&*self.identity.store, &email).await?;
        if let Some((user, _)) = &holder
            && user.registration != Registration::Invited
        {
            return Err(DomainError::conflict(
                "already_registered",
                "this person is already on the platform",
            ));
        }
        let guest = (email, holder.map(|(user, _)| user.id));
        self.invite_guest(principal, context, guest, None, vec![]).await
    }

    /// An owner invites someone to an organisation: a registered user is added at once and
    /// told by e-mail; anyone else gets an invitation.
    pub async fn invite_to_organisation(
        &self,
        principal: &Principal,
        context: &RequestContext,
        organisation_id: OrganisationId,
        target: InviteTarget,
        roles: Option<BTreeSet<Role>>,
    ) -> DomainResult<InviteOutcome> {
        let access = authorize::<ManageMembers>(&*self.identity.store, principal, organisation_id).await?;
        let organisation = access.organisation();
        if organisation.kind == crate::accounts::OrganisationKind::Personal {
            return Err(DomainError::conflict(
                "personal_organisation",
                "a personal organisation has no other members (T2)",
            ));
        }
        let is_root = organisation.parent_organisation_id.is_none();
        let default = if is_root { Role::Viewer } else { Role::Member };
        let roles = if organisation.status == OrganisationStatus::PendingOwner {
            // Whoever comes first becomes owner, billing admin and subscriber (T3).
            pending_owner_roles().into_iter().collect()
        } else {
            roles.unwrap_or_else(|| BTreeSet::from([default, Role::Member]))
        };
        self.spend_invitation(principal, context).await?;
        let existing = match &target {
            InviteTarget::User(id) => {
                let item = self
                    .identity
                    .store
                    .get(&keys::user(*id))
                    .await?
                    .ok_or(DomainError::NotFound)?;
                Some((item.record::<User>()?, item.version))
            }
            InviteTarget::Email(email) => crate::identity::holder_of(&*self.identity.store, email).await?,
        };
        match existing {
            // Only a proven address is added at once; an unconfirmed one gets an invitation,
            // claimed when (and if) its owner proves the mailbox.
            Some((user, _)) if user.registration == Registration::Registered => {
                check_roles(&roles, user.kind, is_root)?;
                // Nothing is spent on an add that cannot happen.
                let membership = keys::membership(user.id, organisation_id);
                if self.identity.store.get(&membership).await?.is_some() {
                    return Err(DomainError::conflict(
                        "already_a_member",
                        "this user is already a member",
                    ));
                }
                // Being added is announced by e-mail too: the address's budget applies.
                self.spend_mail_to(principal, &user.email).await?;
                let now = self.now();
                let (token, token_write) =
                    crate::tenancy::notice_token(&*self.identity.secrets, user.id, organisation_id, now);
                let web_url = &self.identity.settings.web_url;
                let mail = EmailMessage::AddedToOrganisation {
                    to: user.email.clone(),
                    name: user.name.clone(),
                    organisation: organisation.name.clone(),
                    link: format!("{web_url}/membership/accept?token={token}"),
                    block_link: format!("{web_url}/membership/block?token={token}"),
                };
                let notify = self.identity.mail(&mail, now)?.write();
                let member = self
                    .tenancy
                    .add_member_with(
                        principal,
                        context,
                        organisation_id,
                        user.id,
                        roles,
                        vec![notify, token_write],
                    )
                    .await?;
                Ok(InviteOutcome::Added { member })
            }
            Some((user, _)) => {
                check_roles(&roles, UserKind::Person, is_root)?;
                let invitation = self
                    .invite_guest(
                        principal,
                        context,
                        (user.email, Some(user.id)),
                        Some((organisation_id, organisation.name.clone())),
                        roles.into_iter().collect(),
                    )
                    .await?;
                Ok(InviteOutcome::Invited { invitation })
            }
            None => {
                let InviteTarget::Email(email) = target else {
                    return Err(DomainError::NotFound);
                };
                check_roles(&roles, UserKind::Person, is_root)?;
                let invitation = self
                    .invite_guest(
                        principal,
                        context,
                        (email, None),
                        Some((organisation_id, organisation.name.clone())),
                        roles.into_iter().collect(),
                    )
                    .await?;
                Ok(InviteOutcome::Invited { invitation })
            }
        }
    }
}
