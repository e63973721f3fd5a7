//! Registration that accepts invitations (SPEC §5): with a token, whatever address the person
//! registers with; with an invited address, every pending invitation of that address. The
//! person gets their personal organisation plus the invited memberships, the last one joined
//! becoming their default (T11); a `pending_owner` organisation becomes active with them as
//! owner, billing admin and billing subscriber. All of it is one transaction, and each
//! invitation is consumed by a condition on its version, so a token is accepted once.

use super::{Invitation, InvitationStatus, Invitations};
use crate::audit::{Actor, RequestContext};
use crate::error::{DomainError, DomainResult};
use crate::identity::register::new_person;
use crate::identity::{
    Membership, NewRegistration, Organisation, OrganisationStatus, Registration, Role, TokenPurpose, User,
};
use crate::ids::OrganisationId;
use crate::keys;
use crate::mail::EmailMessage;
use crate::store::{Condition, Index, Item, Query, StoreError, Update, Write};
use crate::tenancy::organisations::counts_update;
use crate::time::Timestamp;
use serde_json::json;

/// Most invitations one registration accepts (a transaction holds at most 100 writes).
const MAX_ACCEPTED: usize = 12;

pub type AcceptedRegistration = User;

impl Invitations {
    pub async fn register(
        &self,
        registration: NewRegistration,
        invitation_token: Option<&str>,
        context: &RequestContext,
    ) -> DomainResult<User> {
        let by_token = match invitation_token {
            Some(token) => Some(self.by_token(token).await?),
            None => None,
        };
        let now = self.now();
        let hash = self.identity.hasher.hash(&registration.password).await;
        let (mut user, mut writes, mut pending, claimed) =
            match crate::identity::holder_of(&*self.identity.store, &registration.email).await? {
                Some((user, _)) if user.registration != Registration::Invited => {
                    return Err(DomainError::conflict(
                        "email_taken",
                        "this e-mail address is already registered",
                    ));
                }
                Some((invited, version)) => {
                    let pending = self.pending_for(&invited).await?;
                    let mut user = invited;
                    user.name = registration.name.clone();
                    user.password_hash = Some(hash);
                    user.registration = Registration::PendingConfirmation;
                    user.updated_at = now;
                    let personal = user.personal_organisation_id;
                    let writes = vec![
                        Write::Put {
                            item: Item::from_record(keys::user(user.id), &user),
                            condition: Some(Condition::VersionIs(version)),
                        },
                        Write::Update(Update::new(keys::organisation(personal)).set("name", user.name.as_str())),
                        Write::Update(
                            Update::new(keys::membership(user.id, personal))
                                .set("organisation_name", user.name.as_str())
                                .set("member_name", user.name.as_str()),
                        ),
                    ];
                    (user, writes, pending, true)
                }
                None => {
                    let person = new_person(
                        registration.email.clone(),
                        registration.name.clone(),
                        Some(hash),
                        Registration::PendingConfirmation,
                        vec![],
                        now,
                    );
                    (person.user, person.writes, Vec::new(), false)
                }
            };
        if let Some((invitation, version)) = by_token
            && !pending.iter().any(|(p, _)| p.id == invitation.id)
        {
            pending.push((invitation, version));
        }
        pending.truncate(MAX_ACCEPTED);
        // One membership per organisation: the newest invitation wins.
        let mut seen: Vec<OrganisationId> = Vec::new();
        pending.retain(|(invitation, _)| match invitation.organisation_id {
            Some(id) if seen.contains(&id) => false,
            Some(id) => {
                seen.push(id);
                true
            }
            None => true,
        });
        let mut last_joined = None;
        for (invitation, version) in &pending {
            writes.extend(self.acceptance(invitation, *version, &user, now).await?);
            last_joined = invitation.organisation_id.or(last_joined);
        }
        if let Some(organisation) = last_joined {
            user.default_organisation_id = organisation;
            // The user item is the first write on both paths; restate it with the default.
            let condition = match &writes[0] {
                Write::Put { condition, .. } => condition.clone(),
                _ => unreachable!("the user item comes first"),
            };
            writes[0] = Write::Put {
                item: Item::from_record(keys::user(user.id), &user),
                condition,
            };
        }
        let (token, token_write) = self.identity.issue_one_time_token(
            TokenPurpose::ConfirmEmail,
            user.id,
            chrono::Duration::hours(self.identity.settings.confirmation_hours),
        );
        let mail = EmailMessage::ConfirmEmail {
            to: user.email.clone(),
            name: user.name.clone(),
            link: format!("{}/confirm-email?token={token}", self.identity.settings.web_url),
        };
        let accepted: Vec<_> = pending.iter().map(|(i, _)| i.id).collect();
        let changes = json!({ "email": user.email, "name": user.name, "claimed_invited_user": claimed, "accepted_invitations": accepted });
        writes.push(token_write);
        writes.push(self.identity.mail(&mail, now));
        writes.push(
            self.identity
                .account_event(Actor::user(user.id), &user, "user.registered", changes, context),
        );
        match self.identity.store.transact(writes).await {
            Ok(()) => Ok(user),
            Err(StoreError::ConditionFailed { index: 1 }) if !claimed => Err(DomainError::conflict(
                "email_taken",
                "this e-mail address is already registered",
            )),
            Err(StoreError::ConditionFailed { .. }) => Err(DomainError::gone(
                "invitation_used",
                "an invitation was accepted or changed meanwhile; try again",
            )),
            Err(other) => Err(other.into()),
        }
    }

    /// The invited user's invitations that are still pending and unexpired.
    async fn pending_for(&self, invited: &User) -> DomainResult<Vec<(Invitation, u64)>> {
        let query = Query::new(Index::Gsi2, keys::invited_user_partition(invited.id)).limit(crate::store::MAX_PAGE);
        let now = self.now();
        let mut pending = Vec::new();
        for item in self.identity.store.query(&query).await?.items {
            let invitation: Invitation = item.record()?;
            if invitation.status == InvitationStatus::Pending && invitation.expires_at > now {
                // Index reads are eventually consistent: re-read for the version to condition on.
                if let Some(fresh) = self.identity.store.get(&item.key).await? {
                    pending.push((fresh.record()?, fresh.version));
                }
            }
        }
        Ok(pending)
    }

    /// The writes that accept `invitation` for `user`.
    async fn acceptance(
        &self,
        invitation: &Invitation,
        version: u64,
        user: &User,
        now: Timestamp,
    ) -> DomainResult<Vec<Write>> {
        let mut writes = vec![
            Write::Update(
                Update::new(keys::invitation(invitation.id))
                    .set("status", json!(InvitationStatus::Accepted))
                    .set("accepted_by", json!(user.id))
                    .when(Condition::All(vec![
                        Condition::VersionIs(version),
                        Condition::AttributeEquals("status".into(), json!(InvitationStatus::Pending)),
                    ])),
            ),
            Write::Delete {
                key: keys::invitation_expiry(invitation.expires_at.unix_seconds(), invitation.id),
                condition: None,
            },
        ];
        let Some(organisation_id) = invitation.organisation_id else {
            return Ok(writes);
        };
        let item = self.identity.store.get(&keys::organisation(organisation_id)).await?;
        let Some(item) = item.filter(|item| item.record::<Organisation>().is_ok_and(|o| o.deleted_at.is_none())) else {
            return Err(DomainError::gone(
                "invitation_expired",
                "the organisation of this invitation no longer exists",
            ));
        };
        let organisation: Organisation = item.record()?;
        let membership = Membership {
            user_id: user.id,
            organisation_id,
            organisation_name: organisation.name.clone(),
            parent_organisation_id: organisation.parent_organisation_id,
            organisation_kind: organisation.kind,
            roles: invitation.roles.clone(),
            active: true,
            joined_at: now,
            member_email: Some(user.email.clone()),
            member_name: user.name.clone(),
            member_kind: user.kind,
        };
        writes.push(Write::Put {
            item: Item::from_record(keys::membership(user.id, organisation_id), &membership)
                .with_gsi1(keys::membership_by_organisation(organisation_id, user.id)),
            condition: Some(Condition::NotExists),
        });
        let owner = invitation.roles.contains(&Role::Owner);
        let billing = invitation.roles.contains(&Role::BillingAdmin);
        let mut update = Update::new(keys::organisation(organisation_id)).when(Condition::VersionIs(item.version));
        if organisation.status == OrganisationStatus::PendingOwner && owner {
            // The first owner of a `pending_owner` organisation becomes its subscriber (T3, T7).
            update = update
                .set("status", json!(OrganisationStatus::Active))
                .set("billing_subscriber_id", json!(user.id))
                .set("pending_owner_email", serde_json::Value::Null);
        }
        writes.push(Write::Update(counts_update(update, &organisation, |c| {
            c.members += 1;
            c.owners += i64::from(owner);
            c.billing_admins += i64::from(billing);
        })));
        Ok(writes)
    }
}
