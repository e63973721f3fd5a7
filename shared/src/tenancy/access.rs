//! Authorisation: SPEC §3's permission table, and the scope rules that decide which roles
//! apply to an organisation. Every organisation-scoped use case starts with [`authorize`],
//! which hands back an [`Authorized`] capability, typed by the permission it was granted for
//! (see [`Grant`]), that the use case then works on; there is no other way to get one.

use super::grants::Grant;
use super::permissions::{Permission, role_grants};
use crate::accounts::Role;
use crate::error::{DomainError, DomainResult};
use crate::identity::{Organisation, PlatformAdmin, Principal};
use crate::ids::OrganisationId;
use crate::keys;
use crate::ports::Store;
use crate::store::Item;
use std::collections::BTreeSet;
use std::marker::PhantomData;

/// A caller's standing in one organisation, granted for the permission `G`: proof that
/// [`authorize`] let them in for it. Its fields are private, so there is no other way to get
/// one, and a use case that needs, say, [`ManageMembers`](super::ManageMembers) takes an
/// `Authorized<ManageMembers>` (see [`Grant`]).
#[derive(Debug, Clone)]
pub struct Authorized<G: Grant> {
    organisation: Organisation,
    /// The organisation item's version, for conditional writes.
    version: u64,
    /// The roles that apply: the caller's own on this organisation and, for a company, those
    /// on its root (SPEC §3 scope).
    roles: BTreeSet<Role>,
    platform_admin: Option<PlatformAdmin>,
    /// The organisation item as read, for attributes kept beside the record.
    item: Item,
    grant: PhantomData<G>,
}

impl<G: Grant> Authorized<G> {
    pub fn organisation(&self) -> &Organisation {
        &self.organisation
    }

    /// The organisation item's version, for conditional writes.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The roles that apply (SPEC §3 scope).
    pub fn roles(&self) -> &BTreeSet<Role> {
        &self.roles
    }

    /// The caller's platform admin capability, if they are one.
    pub fn platform_admin(&self) -> Option<&PlatformAdmin> {
        self.platform_admin.as_ref()
    }

    /// Whether the caller also holds `permission` here, for a use case that shows more to
    /// those who do (a company's name to anyone in it, everything to its readers).
    pub fn may(&self, permission: Permission) -> bool {
        may(&self.roles, self.platform_admin.is_some(), permission)
    }

    /// An attribute of the organisation item that is not part of its record.
    pub fn attribute(&self, name: &str) -> Option<&serde_json::Value> {
        self.item.attribute(name)
    }

    /// The organisation item as read.
    pub(super) fn item(&self) -> &Item {
        &self.item
    }
}

fn may(roles: &BTreeSet<Role>, platform_admin: bool, permission: Permission) -> bool {
    platform_admin || roles.iter().any(|role| role_grants(*role, permission))
}

/// The roles `principal` holds on `organisation`: their active membership's, plus, for a
/// company, their active membership's on its root.
pub fn roles_in(principal: &Principal, organisation: &Organisation) -> BTreeSet<Role> {
    [Some(organisation.id), organisation.parent_organisation_id]
        .into_iter()
        .flatten()
        .filter_map(|id| principal.active_membership(id))
        .flat_map(|membership| membership.roles.iter().copied())
        .collect()
}

/// Lets `principal` act on `organisation_id` with the permission `G` (`authorize::<ManageMembers>`):
/// 404 if it is outside their scope (or deleted, or absent), 403 if inside but not permitted.
pub async fn authorize<G: Grant>(
    store: &dyn Store,
    principal: &Principal,
    organisation_id: OrganisationId,
) -> DomainResult<Authorized<G>> {
    let item = match principal.take_prefetched(organisation_id) {
        Some(prefetched) => prefetched,
        None => store.get(&keys::organisation(organisation_id)).await?,
    }
    .ok_or(DomainError::NotFound)?;
    let organisation: Organisation = item.record()?;
    if organisation.deleted_at.is_some() {
        return Err(DomainError::NotFound);
    }
    let roles = roles_in(principal, &organisation);
    let platform_admin = principal.platform_admin();
    if roles.is_empty() && platform_admin.is_none() {
        return Err(DomainError::NotFound);
    }
    if !may(&roles, platform_admin.is_some(), G::PERMISSION) {
        return Err(DomainError::Forbidden);
    }
    Ok(Authorized {
        organisation,
        version: item.version,
        roles,
        platform_admin,
        item,
        grant: PhantomData,
    })
}

/// Whether `principal` may call a route needing `permission` on `organisation_id` (a platform
/// admin too, where `admins` says so), judged on the organisation read with the caller: the
/// answer a use case's [`authorize`] would give, before anything of the request's body is
/// read, so a caller without the permission learns nothing from how a body is refused (issue
/// 21, item 7). Reads nothing: a request not scoped to that organisation is left to the use
/// case.
pub fn admits(
    principal: &Principal,
    organisation_id: OrganisationId,
    permission: Permission,
    admins: bool,
) -> DomainResult<()> {
    let Some(item) = principal.prefetched(organisation_id) else {
        return Ok(());
    };
    let organisation: Organisation = item.ok_or(DomainError::NotFound)?.record()?;
    if organisation.deleted_at.is_some() {
        return Err(DomainError::NotFound);
    }
    let roles = roles_in(principal, &organisation);
    let platform_admin = principal.platform_admin().is_some();
    if roles.is_empty() && !platform_admin {
        return Err(DomainError::NotFound);
    }
    if !may(&roles, platform_admin && admins, permission) {
        return Err(DomainError::Forbidden);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use Permission::*;

    #[test]
    fn the_table_matches_spec_section_3() {
        let all = [
            ViewOrganisation,
            ReadOrganisation,
            ManageMembers,
            ManageSettings,
            ManageBilling,
            ManageSims,
            ManageDevices,
            ReadDevices,
            HandleAlerts,
            ReadAudit,
        ];
        let granted = |role| {
            all.iter()
                .copied()
                .filter(|p| role_grants(role, *p))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            granted(Role::Owner),
            [
                ViewOrganisation,
                ReadOrganisation,
                ManageMembers,
                ManageSettings,
                ManageSims,
                ManageDevices,
                ReadDevices,
                HandleAlerts,
                ReadAudit
            ]
        );
        assert_eq!(
            granted(Role::BillingAdmin),
            [ViewOrganisation, ReadOrganisation, ManageBilling, ReadDevices]
        );
        assert_eq!(
            granted(Role::Operator),
            [ViewOrganisation, ReadOrganisation, ReadDevices, HandleAlerts]
        );
        assert_eq!(granted(Role::Viewer), [ViewOrganisation, ReadOrganisation, ReadDevices]);
        assert_eq!(granted(Role::Member), [ViewOrganisation]);
    }
}
