//! Shared organisations and companies: create (T1, T11), read, list, update, delete (T8).

use super::access::{authorize, roles_in};
use super::details::OrganisationInput;
use super::grants::{ManageMembers, ReadOrganisation, ViewOrganisation};
use super::permissions::{Permission, role_grants};
use super::{Tenancy, with_retries};
use crate::accounts::{Email, OrganisationKind, Role, UserKind};
use crate::audit::{AuditEvent, RequestContext};
use crate::error::{DomainError, DomainResult};
use crate::identity::{
    MemberCounts, Membership, Organisation, OrganisationDetails, OrganisationStatus, PlatformAdmin, Principal,
    Registration, User,
};
use crate::ids::{OrganisationId, UserId};
use crate::keys;
use crate::settings::OrganisationCreation;
use crate::store::{Condition, Cursor, Index, Item, Query, SortCondition, StoreError, Update, Write};
use crate::time::Timestamp;
use crate::unit_of_work::UnitOfWork;
use crate::validation::ValidationErrors;
use serde::Serialize;
use serde_json::json;

/// An organisation as seed 002 shows it, plus its kind and status.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrganisationView {
    pub id: OrganisationId,
    pub name: String,
    #[serde(flatten)]
    pub details: OrganisationDetails,
    pub parent_organisation_id: Option<OrganisationId>,
    pub kind: OrganisationKind,
    pub status: OrganisationStatus,
    pub billing_subscriber_id: Option<UserId>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub deleted_at: Option<Timestamp>,
    #[serde(skip)]
    pub etag: u64,
}

impl OrganisationView {
    pub(super) fn of(organisation: Organisation, version: u64) -> Self {
        Self {
            billing_subscriber_id: organisation.billing_subscriber(),
            id: organisation.id,
            name: organisation.name,
            details: organisation.details,
            parent_organisation_id: organisation.parent_organisation_id,
            kind: organisation.kind,
            status: organisation.status,
            created_at: organisation.created_at,
            updated_at: organisation.updated_at,
            deleted_at: organisation.deleted_at,
            etag: version,
        }
    }
}

/// What a caller may see of an organisation: everything, or (an end user of a company) its
/// name only.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum OrganisationRead {
    Full(Box<OrganisationView>),
    NameOnly(OrganisationName),
}

/// An organisation's name, as an end user of a company sees it: nothing more.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganisationName {
    pub id: OrganisationId,
    pub name: String,
}

pub(super) fn personal_refused() -> DomainError {
    DomainError::conflict(
        "personal_organisation",
        "a personal organisation cannot be changed this way (T2)",
    )
}

impl Tenancy {
    /// Creates a shared root organisation. The creator (or, for a platform admin, the named
    /// initial owner) becomes owner, billing admin and billing subscriber, and the
    /// organisation becomes their default (T11).
    pub async fn create_organisation(
        &self,
        principal: &Principal,
        context: &RequestContext,
        input: OrganisationInput,
    ) -> DomainResult<OrganisationView> {
        if principal.user.kind == UserKind::Machine {
            return Err(DomainError::Forbidden);
        }
        let admin = principal.platform_admin();
        if admin.is_none()
            && self.platform_settings().await?.organisation_creation == OrganisationCreation::PlatformAdmins
        {
            return Err(DomainError::denied(
                "organisation_creation_restricted",
                "only platform admins create organisations here",
            ));
        }
        let named_owner = match (&input.initial_owner_email, admin) {
            (None, _) => None,
            (Some(email), Some(admin)) => Some((email, admin)),
            (Some(_), None) => {
                return Err(DomainError::denied(
                    "initial_owner_not_permitted",
                    "only platform admins name an owner (initial_owner_email)",
                ));
            }
        };
        if input.parent_organisation_id.is_some() {
            return Err(ValidationErrors::single(
                "parent_organisation_id",
                "not_permitted",
                "create companies with POST /api/organisations/{id}/suborganisations",
            )
            .into());
        }
        let owner = match named_owner {
            None => Some((principal.user.clone(), principal.user_version)),
            Some((email, admin)) => self.registered_user(&admin, email).await?,
        };
        let now = self.now();
        let id = OrganisationId::generate();
        let organisation = Organisation {
            id,
            name: input.name.clone().expect("a created organisation has a name"),
            kind: OrganisationKind::Shared,
            parent_organisation_id: None,
            billing_subscriber_id: owner.as_ref().map(|(user, _)| user.id),
            status: if owner.is_some() {
                OrganisationStatus::Active
            } else {
                OrganisationStatus::PendingOwner
            },
            details: input.details,
            pending_owner_email: if owner.is_none() {
                input.initial_owner_email.clone()
            } else {
                None
            },
            counts: if owner.is_some() {
                MemberCounts {
                    members: 1,
                    owners: 1,
                    billing_admins: 1,
                    companies: 0,
                }
            } else {
                MemberCounts::default()
            },
            created_at: now,
            updated_at: now,
            deleted_at: None,
        };
        let owner_joins = owner.as_ref().map(|(user, version)| {
            join(
                &organisation,
                user,
                *version,
                vec![Role::Owner, Role::BillingAdmin, Role::Member],
                // A platform admin naming someone else its first owner gives them a membership
                // they accept, as anyone added by someone else does.
                if user.id == principal.user.id {
                    Joining::Themselves
                } else {
                    Joining::AddedBySomeoneElse
                },
                now,
            )
        });
        let changes = json!({ "name": organisation.name, "status": organisation.status, "owner": owner.as_ref().map(|(u, _)| u.id) });
        let event = AuditEvent::by(principal.actor())
            .did("organisation.created")
            .on("organisation", id)
            .in_organisation(id)
            .changes(changes)
            .at(now, context);
        UnitOfWork::new()
            .write(Write::Put {
                item: Item::from_record(keys::organisation(id), &organisation)
                    .with_gsi2(keys::organisation_everywhere(id)),
                condition: Some(Condition::NotExists),
            })
            .writes(owner_joins.into_iter().flatten())
            .audit(event)
            .commit(&*self.store)
            .await?;
        Ok(OrganisationView::of(organisation, 1))
    }

    /// A registered person holding `email`, with their profile version, whom a platform admin
    /// names as an organisation's first owner; `None` if nobody has registered it yet.
    async fn registered_user(&self, _admin: &PlatformAdmin, email: &Email) -> DomainResult<Option<(User, u64)>> {
        let holder = crate::identity::holder_of(&*self.store, email).await?;
        Ok(holder.filter(|(user, _)| user.registration == Registration::Registered && user.kind == UserKind::Person))
    }

    /// Creates a company under a shared root organisation (T1: never under a company or a
    /// personal organisation).
    pub async fn create_company(
        &self,
        principal: &Principal,
        context: &RequestContext,
        root_id: OrganisationId,
        input: OrganisationInput,
    ) -> DomainResult<OrganisationView> {
        if input.parent_organisation_id.is_some_and(|parent| parent != root_id) {
            return Err(DomainError::conflict(
                "parent_mismatch",
                "parent_organisation_id must be the organisation in the path",
            ));
        }
        if input.initial_owner_email.is_some() {
            return Err(ValidationErrors::single(
                "initial_owner_email",
                "not_permitted",
                "companies are owned through their root",
            )
            .into());
        }
        if input.details.telemetry_retention_days.is_some() {
            return Err(company_retention());
        }
        with_retries(|| async {
            let root = authorize::<ManageMembers>(&*self.store, principal, root_id).await?;
            if root.organisation().kind != OrganisationKind::Shared
                || root.organisation().parent_organisation_id.is_some()
            {
                return Err(DomainError::conflict(
                    "invalid_parent",
                    "companies exist only directly under a shared root organisation (T1)",
                ));
            }
            let now = self.now();
            let id = OrganisationId::generate();
            let company = Organisation {
                id,
                name: input.name.clone().expect("a created organisation has a name"),
                kind: OrganisationKind::Shared,
                parent_organisation_id: Some(root_id),
                billing_subscriber_id: None,
                status: OrganisationStatus::Active,
                details: input.details.clone(),
                pending_owner_email: None,
                counts: MemberCounts::default(),
                created_at: now,
                updated_at: now,
                deleted_at: None,
            };
            let item = Item::from_record(keys::organisation(id), &company)
                .with_gsi1(keys::company_of(root_id, id))
                .with_gsi2(keys::organisation_everywhere(id));
            let count = Update::new(keys::organisation(root_id)).when(Condition::VersionIs(root.version()));
            let changes = json!({ "name": company.name, "parent_organisation_id": root_id });
            let event = AuditEvent::by(principal.actor())
                .did("company.created")
                .on("organisation", id)
                .in_organisation(root_id)
                .changes(changes)
                .at(now, context);
            UnitOfWork::new()
                .write(Write::Put {
                    item,
                    condition: Some(Condition::NotExists),
                })
                .write(Write::Update(counts_update(count, root.organisation(), |c| {
                    c.companies += 1
                })))
                .audit(event)
                .commit(&*self.store)
                .await?;
            Ok(OrganisationView::of(company, 1))
        })
        .await
    }

    pub async fn organisation(&self, principal: &Principal, id: OrganisationId) -> DomainResult<OrganisationRead> {
        let access = authorize::<ViewOrganisation>(&*self.store, principal, id).await?;
        let reads = access.may(Permission::ReadOrganisation);
        Ok(read(access.organisation().clone(), access.version(), reads))
    }

    /// The organisations the caller may see: those they are a member of and, where they hold
    /// a staff role on a root, its companies; platform admins page through all of them.
    pub async fn organisations(
        &self,
        principal: &Principal,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> DomainResult<(Vec<OrganisationRead>, Option<Cursor>)> {
        match principal.platform_admin() {
            Some(admin) => self.all_organisations(&admin, limit, cursor).await,
            None => self.visible_organisations(principal, limit as usize, cursor).await,
        }
    }

    /// Every live organisation, for platform admins.
    async fn all_organisations(
        &self,
        _admin: &PlatformAdmin,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> DomainResult<(Vec<OrganisationRead>, Option<Cursor>)> {
        let query = Query::new(Index::Gsi2, keys::ALL_ORGANISATIONS)
            .limit(limit)
            .after(cursor);
        let page = self.store.query(&query).await?;
        let mut views = Vec::new();
        for item in &page.items {
            let organisation: Organisation = item.record()?;
            if organisation.deleted_at.is_none() {
                views.push(OrganisationRead::Full(Box::new(OrganisationView::of(
                    organisation,
                    item.version,
                ))));
            }
        }
        Ok((views, page.next))
    }

    /// The caller's organisations in pages: first those they are a member of (in id order,
    /// as their memberships sit in their partition), then, for each root where they hold a
    /// staff role, its companies (a keyed query per root, followed through its pages). A
    /// cursor is a position in one of those sequences: after a membership (a table position
    /// in the caller's partition) or after a company (a position in its root's companies).
    async fn visible_organisations(
        &self,
        principal: &Principal,
        limit: usize,
        cursor: Option<Cursor>,
    ) -> DomainResult<(Vec<OrganisationRead>, Option<Cursor>)> {
        let user = principal.user.id;
        let mut member_of: Vec<&Membership> = principal.memberships.iter().filter(|m| m.active).collect();
        member_of.sort_by_key(|m| m.organisation_id);
        let staff_roots: Vec<OrganisationId> = member_of
            .iter()
            .filter(|m| m.parent_organisation_id.is_none() && m.organisation_kind == OrganisationKind::Shared)
            .filter(|m| {
                m.roles
                    .iter()
                    .any(|r| matches!(r, Role::Owner | Role::BillingAdmin | Role::Operator | Role::Viewer))
            })
            .map(|m| m.organisation_id)
            .collect();
        let after_membership =
            |m: &Membership| Cursor::at(Index::Table, &Item::new(keys::membership(user, m.organisation_id)));
        // Where this page starts: the first membership after the cursor, or a root's companies.
        let (first_membership, first_root, mut company_cursor) = match cursor {
            None => (0, 0, None),
            Some(cursor) if cursor.index == Index::Table && cursor.pk == keys::user_partition(user) => {
                let next = member_of
                    .iter()
                    .position(|m| keys::membership(user, m.organisation_id).sk.as_str() > cursor.sk.as_str())
                    .unwrap_or(member_of.len());
                (next, 0, None)
            }
            Some(cursor) if cursor.index == Index::Gsi1 => {
                let root = staff_roots
                    .iter()
                    .position(|root| keys::organisation_index_partition(*root) == cursor.partition())
                    .ok_or(StoreError::InvalidCursor)?;
                (member_of.len(), root, Some(cursor))
            }
            Some(_) => return Err(StoreError::InvalidCursor.into()),
        };
        let mut views = Vec::new();
        let page: Vec<&Membership> = member_of.iter().skip(first_membership).take(limit).copied().collect();
        if !page.is_empty() {
            let keys: Vec<_> = page.iter().map(|m| keys::organisation(m.organisation_id)).collect();
            for item in self.store.batch_get(&keys).await?.into_iter().flatten() {
                let organisation: Organisation = item.record()?;
                if organisation.deleted_at.is_none() {
                    views.push(visible(principal, organisation, item));
                }
            }
            let last = page.last().expect("a page that is not empty");
            let more = first_membership + page.len() < member_of.len() || !staff_roots.is_empty();
            if page.len() == limit && more {
                return Ok((views, after_membership(last)));
            }
        }
        let members: Vec<OrganisationId> = member_of.iter().map(|m| m.organisation_id).collect();
        for (position, root) in staff_roots.iter().enumerate().skip(first_root) {
            loop {
                let wanted = limit - views.len();
                let query = Query::new(Index::Gsi1, keys::organisation_index_partition(*root))
                    .sort(SortCondition::BeginsWith(keys::COMPANIES_PREFIX.into()))
                    .limit(wanted as u32)
                    .after(company_cursor.take());
                let companies = self.store.query(&query).await?;
                let last = companies.items.last().and_then(|item| Cursor::at(Index::Gsi1, item));
                for item in companies.items {
                    let company: Organisation = item.record()?;
                    // A company the caller is a member of was listed with their memberships.
                    if company.deleted_at.is_none() && !members.contains(&company.id) {
                        views.push(visible(principal, company, item));
                    }
                }
                let more_here = companies.next.is_some();
                let more_after = position + 1 < staff_roots.len();
                if views.len() >= limit && (more_here || more_after) {
                    return Ok((views, last.or(companies.next)));
                }
                match companies.next {
                    Some(next) => company_cursor = Some(next),
                    None => break,
                }
            }
        }
        Ok((views, None))
    }

    /// The companies of a root organisation.
    pub async fn companies(
        &self,
        principal: &Principal,
        root_id: OrganisationId,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> DomainResult<(Vec<OrganisationView>, Option<Cursor>)> {
        authorize::<ReadOrganisation>(&*self.store, principal, root_id).await?;
        let query = Query::new(Index::Gsi1, keys::organisation_index_partition(root_id))
            .sort(SortCondition::BeginsWith(keys::COMPANIES_PREFIX.into()))
            .limit(limit)
            .after(cursor);
        let page = self.store.query(&query).await?;
        let mut companies = Vec::new();
        for item in &page.items {
            let company: Organisation = item.record()?;
            if company.deleted_at.is_none() {
                companies.push(OrganisationView::of(company, item.version));
            }
        }
        Ok((companies, page.next))
    }
}

/// The roles of the first owner of an organisation, who is also its billing subscriber (T3,
/// T4): what a `pending_owner` organisation's invitations always carry.
pub(crate) fn pending_owner_roles() -> Vec<Role> {
    vec![Role::Owner, Role::BillingAdmin, Role::Member]
}

/// `update` with the organisation's counts replaced by `change` applied to them.
pub(crate) fn counts_update(
    update: Update,
    organisation: &Organisation,
    change: impl FnOnce(&mut MemberCounts),
) -> Update {
    let mut counts = organisation.counts;
    change(&mut counts);
    update.set("counts", json!(counts))
}

/// Whether a person took a membership themselves (created the organisation, claimed a SIM,
/// accepted an invitation) or was given it by someone else, who then awaits their acceptance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Joining {
    Themselves,
    AddedBySomeoneElse,
}

/// The writes that make `user` a member of `organisation` with `roles`, and make it their
/// default organisation (T11). `user_version` guards the profile update.
pub(crate) fn join(
    organisation: &Organisation,
    user: &User,
    user_version: u64,
    roles: Vec<Role>,
    joining: Joining,
    now: Timestamp,
) -> [Write; 2] {
    let membership = Membership {
        user_id: user.id,
        organisation_id: organisation.id,
        organisation_name: organisation.name.clone(),
        parent_organisation_id: organisation.parent_organisation_id,
        organisation_kind: organisation.kind,
        roles,
        active: true,
        // A machine reads no mail; a person given a membership accepts it first.
        accepted: joining == Joining::Themselves || user.kind == crate::accounts::UserKind::Machine,
        joined_at: now,
        member_email: Some(user.email.clone()),
        member_name: user.name.clone(),
        member_kind: user.kind,
    };
    [
        Write::Put {
            item: Item::from_record(keys::membership(user.id, organisation.id), &membership)
                .with_gsi1(keys::membership_by_organisation(organisation.id, user.id)),
            condition: Some(Condition::NotExists),
        },
        Write::Update(
            Update::new(keys::user(user.id))
                .set("default_organisation_id", json!(organisation.id))
                .set("updated_at", json!(now))
                .when(Condition::VersionIs(user_version)),
        ),
    ]
}

/// An organisation as `principal` may see it, from the item read: listed because they are in
/// it (or staff on its root), so they see it at least; whether they read it, their roles say.
fn visible(principal: &Principal, organisation: Organisation, item: Item) -> OrganisationRead {
    let reads = roles_in(principal, &organisation)
        .iter()
        .any(|role| role_grants(*role, Permission::ReadOrganisation));
    read(organisation, item.version, reads)
}

/// Everything of an organisation to its readers, its name only to anyone else who sees it.
fn read(organisation: Organisation, version: u64, reads: bool) -> OrganisationRead {
    if reads {
        OrganisationRead::Full(Box::new(OrganisationView::of(organisation, version)))
    } else {
        OrganisationRead::NameOnly(OrganisationName {
            id: organisation.id,
            name: organisation.name,
        })
    }
}

/// A company's devices' telemetry is kept as its root says.
pub(super) fn company_retention() -> DomainError {
    ValidationErrors::single(
        "telemetry_retention_days",
        "not_permitted",
        "a company's devices keep their telemetry as their root organisation says",
    )
    .into()
}
