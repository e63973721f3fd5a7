//! Membership roles as the permission table needs them: parsed from names (T4: `billing_admin`
//! only with `owner`; T5), the roles a machine may hold, and the counts of owners and billing
//! admins an organisation must keep (T3).

use crate::accounts::{Role, UserKind};
use crate::error::{DomainError, DomainResult};
use crate::identity::{MemberCounts, Organisation};
use crate::validation::ValidationErrors;
use serde_json::json;
use std::collections::BTreeSet;

/// Parses requested role names; `member` is always added (SPEC §3).
pub fn parse_roles(names: &[String]) -> Result<BTreeSet<Role>, ValidationErrors> {
    let mut roles = BTreeSet::from([Role::Member]);
    for (i, name) in names.iter().enumerate() {
        let role: Role = serde_json::from_value(json!(name)).map_err(|_| {
            ValidationErrors::single(
                format!("roles.{i}"),
                "unknown_role",
                "one of owner, billing_admin, operator, viewer, member",
            )
        })?;
        roles.insert(role);
    }
    // T4 is a rule about the set alone, so it is checked with the request's shape (422),
    // before anything is read.
    billing_admin_with_owner(&roles)?;
    Ok(roles)
}

/// T4: `billing_admin` comes with `owner`.
fn billing_admin_with_owner(roles: &BTreeSet<Role>) -> Result<(), ValidationErrors> {
    if roles.contains(&Role::BillingAdmin) && !roles.contains(&Role::Owner) {
        return Err(ValidationErrors::single(
            "roles",
            "billing_admin_requires_owner",
            "billing_admin comes with owner (T4)",
        ));
    }
    Ok(())
}

/// The roles a machine may hold: member, viewer, operator (T4).
pub const MACHINE_ROLES: [Role; 3] = [Role::Operator, Role::Viewer, Role::Member];

/// Refuses a machine any role beyond [`MACHINE_ROLES`] (T4).
pub fn machine_roles(roles: &BTreeSet<Role>) -> Result<(), ValidationErrors> {
    if roles.iter().any(|role| !MACHINE_ROLES.contains(role)) {
        return Err(ValidationErrors::single(
            "roles",
            "machine_role",
            "machines hold at most member, viewer, operator (T4)",
        ));
    }
    Ok(())
}

/// Checks a role set against the rules that do not depend on other members: T4 (billing
/// admin needs owner; machines hold neither) and T5 (a root membership holds a staff role).
pub(crate) fn check_roles(roles: &BTreeSet<Role>, kind: UserKind, organisation_is_root: bool) -> DomainResult<()> {
    // The parser checks T4 already; the invariant holds here too, whatever built the set. The
    // rest depends on who the member is and which organisation it is: 409, not 422.
    billing_admin_with_owner(roles)?;
    if kind == UserKind::Machine {
        machine_roles(roles).map_err(DomainError::Inconsistent)?;
    }
    let staff = [Role::Owner, Role::Operator, Role::Viewer]
        .iter()
        .any(|r| roles.contains(r));
    if organisation_is_root && !staff {
        return Err(DomainError::Inconsistent(ValidationErrors::single(
            "roles",
            "staff_role_required",
            "on a root organisation a membership holds owner, operator or viewer; end users belong to companies (T5)",
        )));
    }
    Ok(())
}

pub(super) fn tally(counts: &mut MemberCounts, roles: &[Role], sign: i64) {
    counts.owners += sign * i64::from(roles.contains(&Role::Owner));
    counts.billing_admins += sign * i64::from(roles.contains(&Role::BillingAdmin));
}

/// T3, for a shared root: at least one owner and one billing admin remain.
pub(super) fn check_counts(organisation: &Organisation, counts: &MemberCounts) -> DomainResult<()> {
    if organisation.parent_organisation_id.is_some() {
        // A company is owned through its root.
        return Ok(());
    }
    if counts.owners < 1 {
        return Err(DomainError::conflict(
            "last_owner",
            "an organisation keeps at least one owner (T3)",
        ));
    }
    if counts.billing_admins < 1 {
        return Err(DomainError::conflict(
            "last_billing_admin",
            "an organisation keeps at least one billing admin (T3)",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_sets_follow_t4_and_t5() {
        let set = |roles: &[Role]| roles.iter().copied().collect::<BTreeSet<_>>();
        assert!(check_roles(&set(&[Role::Owner, Role::BillingAdmin]), UserKind::Person, true).is_ok());
        assert!(check_roles(&set(&[Role::BillingAdmin, Role::Viewer]), UserKind::Person, true).is_err());
        assert!(check_roles(&set(&[Role::Owner]), UserKind::Machine, true).is_err());
        assert!(check_roles(&set(&[Role::Operator]), UserKind::Machine, true).is_ok());
        assert!(
            check_roles(&set(&[Role::Member]), UserKind::Person, true).is_err(),
            "no end users on a root"
        );
        assert!(
            check_roles(&set(&[Role::Member]), UserKind::Person, false).is_ok(),
            "end users on a company"
        );
    }

    #[test]
    fn unknown_role_names_are_reported_at_their_position() {
        let error = parse_roles(&["viewer".into(), "admin".into()]).unwrap_err();
        assert_eq!(error.errors()[0].field, "roles.1");
        assert_eq!(parse_roles(&[]).unwrap(), BTreeSet::from([Role::Member]));
    }
}
