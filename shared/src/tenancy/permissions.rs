//! SPEC §3's permission table: what a caller may do in an organisation, and which roles grant it.

use crate::accounts::Role;

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
