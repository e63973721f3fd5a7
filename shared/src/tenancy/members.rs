//! Members and roles: list, set roles, remove, leave — with T2–T7 and T11 checked against
//! versioned reads and committed conditionally.

use super::access::{Authorized, authorize};
use super::founding::{Joining, join};
use super::grants::{ManageMembers, ReadOrganisation, ViewOrganisation};
use super::organisations::counts_update;
use super::roles::{check_counts, check_roles, tally};
use super::{Departing, Tenancy, with_retries};
use crate::accounts::{Email, OrganisationKind, Role, UserKind};
use crate::audit::{Actor, AuditEvent, RequestContext};
use crate::error::{DomainError, DomainResult};
use crate::identity::{Membership, Organisation, OrganisationStatus, Principal, User};
use crate::ids::{OrganisationId, UserId};
use crate::keys;
use crate::store::{Condition, Cursor, Index, Query, SortCondition, Update, Write};
use crate::time::Timestamp;
use crate::unit_of_work::UnitOfWork;
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeSet;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MemberView {
    pub user_id: UserId,
    pub email: Option<Email>,
    pub name: String,
    pub kind: UserKind,
    pub roles: Vec<Role>,
    pub active: bool,
    /// False while a membership someone else gave awaits the member's acceptance (until then
    /// no rule or alert e-mail of the organisation reaches them).
    pub accepted: bool,
    pub joined_at: Timestamp,
    pub billing_subscriber: bool,
}

impl MemberView {
    pub fn of(membership: Membership, organisation: &Organisation) -> Self {
        Self {
            billing_subscriber: organisation.billing_subscriber() == Some(membership.user_id),
            user_id: membership.user_id,
            email: membership.member_email,
            name: membership.member_name,
            kind: membership.member_kind,
            roles: membership.roles,
            active: membership.active,
            accepted: membership.accepted,
            joined_at: membership.joined_at,
        }
    }
}

/// A membership ending, with the capability each way of ending one needs: removing a member
/// takes [`ManageMembers`]; leaving takes only seeing the organisation, and ends the caller's
/// own membership, never anyone else's; a member leaving through the link of the notice that
/// told them they were added proves who they are with its token.
pub(crate) enum Departure<'a> {
    Removal {
        access: &'a Authorized<ManageMembers>,
        user_id: UserId,
    },
    Leaving {
        access: &'a Authorized<ViewOrganisation>,
        user_id: UserId,
    },
    ByNotice {
        organisation: &'a Organisation,
        version: u64,
        user_id: UserId,
    },
}

impl Tenancy {
    pub async fn members(
        &self,
        principal: &Principal,
        organisation_id: OrganisationId,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> DomainResult<(Vec<MemberView>, Option<Cursor>)> {
        let access = authorize::<ReadOrganisation>(&*self.store, principal, organisation_id).await?;
        let query = Query::new(Index::Gsi1, keys::organisation_index_partition(organisation_id))
            .sort(SortCondition::BeginsWith(keys::MEMBERS_PREFIX.into()))
            .limit(limit)
            .after(cursor);
        let page = self.store.query(&query).await?;
        let members = page
            .items
            .iter()
            .map(|item| {
                let m: Membership = item.record()?;
                Ok(MemberView::of(m, access.organisation()))
            })
            .collect::<DomainResult<Vec<_>>>()?;
        Ok((members, page.next))
    }

    /// Adds an existing user to an organisation with `roles` (owners only, T6); it becomes
    /// their default organisation (T11). Invitations and machine creation build on this.
    pub async fn add_member(
        &self,
        principal: &Principal,
        context: &RequestContext,
        organisation_id: OrganisationId,
        user_id: UserId,
        roles: BTreeSet<Role>,
    ) -> DomainResult<MemberView> {
        self.add_member_with(principal, context, organisation_id, user_id, roles, vec![])
            .await
    }

    /// [`Tenancy::add_member`], committing `also` with it (the notice that tells the member,
    /// and its links' token).
    pub async fn add_member_with(
        &self,
        principal: &Principal,
        context: &RequestContext,
        organisation_id: OrganisationId,
        user_id: UserId,
        roles: BTreeSet<Role>,
        also: Vec<Write>,
    ) -> DomainResult<MemberView> {
        with_retries(|| async {
            let access = authorize::<ManageMembers>(&*self.store, principal, organisation_id).await?;
            if access.organisation().kind == OrganisationKind::Personal {
                return Err(DomainError::conflict(
                    "personal_organisation",
                    "a personal organisation has no other members (T2)",
                ));
            }
            let user_item = self
                .store
                .get(&keys::user(user_id))
                .await?
                .ok_or(DomainError::NotFound)?;
            let user: User = user_item.record()?;
            check_roles(
                &roles,
                user.kind,
                access.organisation().parent_organisation_id.is_none(),
            )?;
            let roles: Vec<Role> = roles.iter().copied().collect();
            let mut counts = access.organisation().counts;
            counts.members += 1;
            tally(&mut counts, &roles, 1);
            let now = self.now();
            let mut organisation_update =
                Update::new(keys::organisation(organisation_id)).when(Condition::VersionIs(access.version()));
            let activates = access.organisation().status == OrganisationStatus::PendingOwner
                && roles.contains(&Role::Owner)
                && roles.contains(&Role::BillingAdmin);
            if activates {
                // A `pending_owner` organisation's first owner becomes its subscriber (T3).
                organisation_update = organisation_update
                    .set("status", json!(OrganisationStatus::Active))
                    .set("billing_subscriber_id", json!(user_id))
                    .set("pending_owner_email", serde_json::Value::Null);
            }
            let [membership, profile] = join(
                access.organisation(),
                &user,
                user_item.version,
                roles.clone(),
                Joining::AddedBySomeoneElse,
                now,
            );
            let counts = counts_update(organisation_update, access.organisation(), |c| *c = counts);
            let event = AuditEvent::by(principal.actor())
                .did("member.added")
                .on("user", user_id)
                .in_organisation(organisation_id)
                .changes(json!({ "user_id": user_id, "roles": roles }))
                .at(now, context);
            let already = DomainError::conflict("already_a_member", "this user is already a member");
            let root = access.organisation().parent_organisation_id.unwrap_or(organisation_id);
            UnitOfWork::new()
                .write_or(membership, already)
                .write_or(super::blocks::not_blocked(user_id, root), super::blocks::blocked())
                .write(profile)
                .write(Write::Update(counts))
                .audit(event)
                .writes(also.clone())
                .commit(&*self.store)
                .await?;
            Ok(MemberView {
                billing_subscriber: activates,
                user_id,
                email: Some(user.email),
                name: user.name,
                kind: user.kind,
                roles,
                active: true,
                accepted: user.kind == UserKind::Machine,
                joined_at: now,
            })
        })
        .await
    }

    /// Replaces a member's roles (owners only, T6).
    pub async fn set_roles(
        &self,
        principal: &Principal,
        context: &RequestContext,
        organisation_id: OrganisationId,
        user_id: UserId,
        roles: BTreeSet<Role>,
    ) -> DomainResult<MemberView> {
        with_retries(|| async {
            let access = authorize::<ManageMembers>(&*self.store, principal, organisation_id).await?;
            if access.organisation().kind == OrganisationKind::Personal {
                return Err(DomainError::conflict(
                    "personal_organisation",
                    "roles in a personal organisation never change (T2)",
                ));
            }
            let key = keys::membership(user_id, organisation_id);
            let item = self.store.get(&key).await?.ok_or(DomainError::NotFound)?;
            let membership: Membership = item.record()?;
            check_roles(
                &roles,
                membership.member_kind,
                access.organisation().parent_organisation_id.is_none(),
            )?;
            let roles: Vec<Role> = roles.iter().copied().collect();
            if access.organisation().billing_subscriber() == Some(user_id)
                && !(roles.contains(&Role::Owner) && roles.contains(&Role::BillingAdmin))
            {
                return Err(DomainError::conflict(
                    "billing_subscriber",
                    "the billing subscriber stays owner and billing admin (T7)",
                ));
            }
            let mut counts = access.organisation().counts;
            tally(&mut counts, &membership.roles, -1);
            tally(&mut counts, &roles, 1);
            check_counts(access.organisation(), &counts)?;
            let now = self.now();
            let organisation_update =
                Update::new(keys::organisation(organisation_id)).when(Condition::VersionIs(access.version()));
            let changes = json!({ "user_id": user_id, "roles": roles, "previous_roles": membership.roles });
            let event = AuditEvent::by(principal.actor())
                .did("member.roles_changed")
                .on("user", user_id)
                .in_organisation(organisation_id)
                .changes(changes)
                .at(now, context);
            UnitOfWork::new()
                .write(Write::Update(
                    Update::new(key)
                        .set("roles", json!(roles))
                        .when(Condition::VersionIs(item.version)),
                ))
                .write(Write::Update(counts_update(
                    organisation_update,
                    access.organisation(),
                    |c| *c = counts,
                )))
                .audit(event)
                .commit(&*self.store)
                .await?;
            Ok(MemberView::of(
                Membership { roles, ..membership },
                access.organisation(),
            ))
        })
        .await
    }

    /// Removes a member (owners only, T6).
    pub async fn remove_member(
        &self,
        principal: &Principal,
        context: &RequestContext,
        organisation_id: OrganisationId,
        user_id: UserId,
    ) -> DomainResult<()> {
        with_retries(|| async {
            let access = authorize::<ManageMembers>(&*self.store, principal, organisation_id).await?;
            let removal = Departure::Removal {
                access: &access,
                user_id,
            };
            self.end_membership(Some(principal), context, removal, vec![]).await
        })
        .await
    }

    /// The caller leaves an organisation.
    pub async fn leave(
        &self,
        principal: &Principal,
        context: &RequestContext,
        organisation_id: OrganisationId,
    ) -> DomainResult<()> {
        with_retries(|| async {
            let access = authorize::<ViewOrganisation>(&*self.store, principal, organisation_id).await?;
            if principal.active_membership(organisation_id).is_none() {
                // Roles through the root are not a membership of this company.
                return Err(DomainError::NotFound);
            }
            let leaving = Departure::Leaving {
                access: &access,
                user_id: principal.user.id,
            };
            self.end_membership(Some(principal), context, leaving, vec![]).await
        })
        .await
    }

    /// Ends a membership, with `also` in the same transaction (the block of a member leaving
    /// for good).
    pub(crate) async fn end_membership(
        &self,
        principal: Option<&Principal>,
        context: &RequestContext,
        departure: Departure<'_>,
        also: Vec<Write>,
    ) -> DomainResult<()> {
        let (organisation, version, user_id, action) = match departure {
            Departure::Removal { access, user_id } => {
                (access.organisation(), access.version(), user_id, "member.removed")
            }
            Departure::Leaving { access, user_id } => (access.organisation(), access.version(), user_id, "member.left"),
            Departure::ByNotice {
                organisation,
                version,
                user_id,
            } => (organisation, version, user_id, "member.left"),
        };
        let organisation_id = organisation.id;
        if organisation.kind == OrganisationKind::Personal {
            return Err(DomainError::conflict(
                "personal_organisation",
                "nobody leaves or is removed from a personal organisation (T2)",
            ));
        }
        if organisation.billing_subscriber() == Some(user_id) {
            return Err(DomainError::conflict(
                "billing_subscriber",
                "the billing subscriber cannot leave or be removed (T7)",
            ));
        }
        let key = keys::membership(user_id, organisation_id);
        let found = self.store.batch_get(&[key.clone(), keys::user(user_id)]).await?;
        let (Some(membership_item), Some(user_item)) = (&found[0], &found[1]) else {
            return Err(DomainError::NotFound);
        };
        let membership: Membership = membership_item.record()?;
        let user: User = user_item.record()?;
        let mut counts = organisation.counts;
        counts.members -= 1;
        tally(&mut counts, &membership.roles, -1);
        check_counts(organisation, &counts)?;
        if let Some(root) = organisation.parent_organisation_id {
            // What was assigned to them in the company stays with it, unassigned (L3).
            self.holdings
                .release(&Departing {
                    root,
                    company: organisation_id,
                    user: user_id,
                })
                .await?;
        }
        let now = self.now();
        let organisation_update = Update::new(keys::organisation(organisation_id)).when(Condition::VersionIs(version));
        let mut work = UnitOfWork::new()
            .write(Write::Delete {
                key,
                condition: Some(Condition::VersionIs(membership_item.version)),
            })
            .write(Write::Update(counts_update(organisation_update, organisation, |c| {
                *c = counts
            })));
        if user.default_organisation_id == organisation_id {
            // T11: the default falls back to the personal organisation.
            work = work.write(Write::Update(
                Update::new(keys::user(user_id))
                    .set("default_organisation_id", json!(user.personal_organisation_id))
                    .when(Condition::VersionIs(user_item.version)),
            ));
        }
        let actor = principal.map_or_else(|| Actor::user(user_id), Principal::actor);
        let blocked = !also.is_empty();
        let event = AuditEvent::by(actor)
            .did(action)
            .on("user", user_id)
            .in_organisation(organisation_id)
            .changes(json!({ "user_id": user_id, "roles": membership.roles, "blocked": blocked }))
            .at(now, context);
        work.writes(also).audit(event).commit(&*self.store).await
    }
}
