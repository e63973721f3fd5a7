//! Authorisation: SPEC §3's permission table, and the scope rules that decide which roles
//! apply to an organisation. Every organisation-scoped use case starts with [`authorize`],
//! which hands back an [`Authorized`] capability the use case then works on; there is no
//! other way to get one.

use crate::error::{DomainError, DomainResult};
use crate::identity::{Organisation, Principal, Role};
use crate::ids::OrganisationId;
use crate::keys;
use crate::store::{Item, Store};
use std::collections::BTreeSet;

/// What a caller may do in an organisation (SPEC §3, one row each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Permission {
    /// See that the organisation exists (end users: their own company's name only).
    ViewOrganisation,
    /// Read the organisation, its companies and members.
    ReadOrganisation,
    /// Manage members, roles, invitations, companies, machines.
    ManageMembers,
    /// Settings, templates, webhooks, environments, map markers; edit or delete the organisation.
    ManageSettings,
    /// Payment providers, payment method, plans.
    ManageBilling,
    /// Operator contracts, SIM import, assignment and lifecycle, SIM rules.
    ManageSims,
    /// Device assignment, ports, thresholds, alert rules.
    ManageDevices,
    /// Devices, ports, telemetry, SIMs, alerts.
    ReadDevices,
    /// Acknowledge and clear alerts, send device commands.
    HandleAlerts,
    /// The organisation's audit trail.
    ReadAudit,
}

/// The permission table: whether `role` grants `permission`.
pub fn role_grants(role: Role, permission: Permission) -> bool {
    use Permission::*;
    use Role::*;
    match permission {
        ViewOrganisation => true,
        ReadOrganisation | ReadDevices => matches!(role, Owner | BillingAdmin | Operator | Viewer),
        ManageMembers | ManageSettings | ManageSims | ManageDevices | ReadAudit => role == Owner,
        // "owner with billing_admin", and billing_admin always comes with owner (T4).
        ManageBilling => role == BillingAdmin,
        HandleAlerts => matches!(role, Owner | Operator),
    }
}

/// A caller's standing in one organisation: proof that [`authorize`] let them in.
#[derive(Debug, Clone)]
pub struct Authorized {
    pub organisation: Organisation,
    /// The organisation item's version, for conditional writes.
    pub version: u64,
    /// The roles that apply: the caller's own on this organisation and, for a company, those
    /// on its root (SPEC §3 scope).
    pub roles: BTreeSet<Role>,
    pub platform_admin: bool,
    /// The organisation item as read, for attributes kept beside the record.
    pub(super) item: Item,
}

impl Authorized {
    pub fn may(&self, permission: Permission) -> bool {
        self.platform_admin || self.roles.iter().any(|role| role_grants(*role, permission))
    }

    /// An attribute of the organisation item that is not part of its record.
    pub fn attribute(&self, name: &str) -> Option<&serde_json::Value> {
        self.item.attribute(name)
    }
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

/// Lets `principal` act on `organisation_id` with `permission`: 404 if it is outside their
/// scope (or deleted, or absent), 403 if inside but not permitted.
pub async fn authorize(
    store: &dyn Store,
    principal: &Principal,
    organisation_id: OrganisationId,
    permission: Permission,
) -> DomainResult<Authorized> {
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
    let platform_admin = principal.is_platform_admin();
    if roles.is_empty() && !platform_admin {
        return Err(DomainError::NotFound);
    }
    let authorized = Authorized {
        organisation,
        version: item.version,
        roles,
        platform_admin,
        item,
    };
    if authorized.may(permission) {
        Ok(authorized)
    } else {
        Err(DomainError::Forbidden)
    }
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
