//! Permissions as types: one zero-sized marker per row of the permission table, so that an
//! [`Authorized`](super::Authorized) capability says which permission it was granted for.

use super::permissions::Permission;
use std::fmt::Debug;

/// A permission as a type, for [`authorize`](super::authorize) and the capabilities it hands
/// out: `authorize::<ManageMembers>(…)` answers an `Authorized<ManageMembers>`, and a use case
/// or helper that changes members takes exactly that.
///
/// Why types and not a checked value: a capability granted for one permission then cannot be
/// handed to code that needs another — passing the `Authorized<ViewOrganisation>` that lets a
/// member leave to what removes members is a compile error, not a review finding:
///
/// ```compile_fail
/// use stratum_shared::tenancy::{Authorized, ManageMembers, ViewOrganisation};
/// fn remove_member(_: &Authorized<ManageMembers>) {}
/// fn leave(seen: &Authorized<ViewOrganisation>) {
///     remove_member(seen)
/// }
/// ```
///
/// Nor can one be made up outside [`authorize`](super::authorize) (its fields are private):
///
/// ```compile_fail
/// use stratum_shared::tenancy::{Authorized, ManageMembers};
/// fn forge(organisation: stratum_shared::identity::Organisation) -> Authorized<ManageMembers> {
///     Authorized { organisation, version: 1 }
/// }
/// ```
///
/// The table stays the single source: each marker's [`Grant::PERMISSION`] names its row of
/// [`Permission`], and whether a role grants it is still [`role_grants`](super::role_grants)'s
/// answer. The trait is sealed: the markers below are all there are.
pub trait Grant: sealed::Sealed + Debug + Clone + Copy + Send + Sync + 'static {
    const PERMISSION: Permission;
}

mod sealed {
    pub trait Sealed {}
}

macro_rules! grants {
    ($($(#[$doc:meta])* $marker:ident => $permission:ident;)*) => {
        $(
            $(#[$doc])*
            #[derive(Debug, Clone, Copy, PartialEq, Eq)]
            pub struct $marker;

            impl sealed::Sealed for $marker {}

            impl Grant for $marker {
                const PERMISSION: Permission = Permission::$permission;
            }
        )*
    };
}

grants! {
    /// See that the organisation exists.
    ViewOrganisation => ViewOrganisation;
    /// Read the organisation, its companies and members.
    ReadOrganisation => ReadOrganisation;
    /// Manage members, roles, invitations, companies, machines.
    ManageMembers => ManageMembers;
    /// Settings, templates, webhooks, environments, map markers; edit the organisation.
    ManageSettings => ManageSettings;
    /// Payment providers, payment method, plans.
    ManageBilling => ManageBilling;
    /// Operator contracts, SIM import, assignment and lifecycle, SIM rules.
    ManageSims => ManageSims;
    /// Device assignment, ports, thresholds, alert rules.
    ManageDevices => ManageDevices;
    /// Devices, ports, telemetry, SIMs, alerts.
    ReadDevices => ReadDevices;
    /// Acknowledge and clear alerts, send device commands.
    HandleAlerts => HandleAlerts;
    /// The organisation's audit trail.
    ReadAudit => ReadAudit;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The permission of each row's marker; exhaustive, so a row added to [`Permission`]
    /// without its marker does not compile.
    fn marker_of(permission: Permission) -> Permission {
        match permission {
            Permission::ViewOrganisation => ViewOrganisation::PERMISSION,
            Permission::ReadOrganisation => ReadOrganisation::PERMISSION,
            Permission::ManageMembers => ManageMembers::PERMISSION,
            Permission::ManageSettings => ManageSettings::PERMISSION,
            Permission::ManageBilling => ManageBilling::PERMISSION,
            Permission::ManageSims => ManageSims::PERMISSION,
            Permission::ManageDevices => ManageDevices::PERMISSION,
            Permission::ReadDevices => ReadDevices::PERMISSION,
            Permission::HandleAlerts => HandleAlerts::PERMISSION,
            Permission::ReadAudit => ReadAudit::PERMISSION,
        }
    }

    #[test]
    fn each_marker_names_its_own_row_of_the_table() {
        use Permission::*;
        let rows = [
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
        for row in rows {
            assert_eq!(marker_of(row), row);
        }
    }
}
