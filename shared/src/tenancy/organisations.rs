//! Shared organisations and companies: create (T1, T11), read, list, update, delete (T8).

use super::Tenancy;
use super::access::{authorize, roles_in};
use super::grants::{ReadOrganisation, ViewOrganisation};
use super::permissions::{Permission, role_grants};
use crate::accounts::{OrganisationKind, Role};
use crate::error::{DomainError, DomainResult};
use crate::identity::{
    MemberCounts, Membership, Organisation, OrganisationDetails, OrganisationStatus, PlatformAdmin, Principal,
};
use crate::ids::{OrganisationId, UserId};
use crate::keys;
use crate::store::{Cursor, Index, Item, Query, SortCondition, StoreError, Update};
use crate::time::Timestamp;
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
