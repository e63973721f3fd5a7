//! The permission table the matrix checks against: the kinds of caller, the roles each holds on
//! a root and on a company, and the outcome a route's declared access implies for each (SPEC
//! §3).

use crate::world::Reply;
use stratum_infra::http::Access;
use stratum_shared::accounts::Role;
use stratum_shared::tenancy::role_grants;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Who {
    PlatformAdmin,
    RootOwner,
    RootBillingAdmin,
    RootOperator,
    RootViewer,
    CompanyOwner,
    CompanyBillingAdmin,
    CompanyOperator,
    CompanyViewer,
    SiblingCompanyMember,
    OtherOrganisationOwner,
    SupportEngineerWithoutGrant,
    SuspendedUser,
    Machine,
    OtherOrganisationsApiKey,
    Anonymous,
}

use Who::*;

pub(super) const EVERYONE: [Who; 16] = [
    PlatformAdmin,
    RootOwner,
    RootBillingAdmin,
    RootOperator,
    RootViewer,
    CompanyOwner,
    CompanyBillingAdmin,
    CompanyOperator,
    CompanyViewer,
    SiblingCompanyMember,
    OtherOrganisationOwner,
    SupportEngineerWithoutGrant,
    SuspendedUser,
    Machine,
    OtherOrganisationsApiKey,
    Anonymous,
];
/// Members of the root organisation (the machine holds `viewer`).
const ROOT_STAFF: [Who; 5] = [RootOwner, RootBillingAdmin, RootOperator, RootViewer, Machine];
/// Members of the company the company cells run on.
const COMPANY_STAFF: [Who; 4] = [CompanyOwner, CompanyBillingAdmin, CompanyOperator, CompanyViewer];

/// Which organisation a cell's path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    Root,
    Company,
}

/// The roles a caller holds that apply in `scope` (SPEC §3: root roles reach its companies).
fn roles(who: Who, scope: Scope) -> Vec<Role> {
    let on_root = match who {
        RootOwner | RootBillingAdmin => vec![Role::Owner, Role::BillingAdmin],
        RootOperator => vec![Role::Operator],
        RootViewer | Machine => vec![Role::Viewer],
        _ => vec![],
    };
    let on_company = match (scope, who) {
        (Scope::Company, CompanyOwner) => vec![Role::Owner],
        (Scope::Company, CompanyBillingAdmin) => vec![Role::Owner, Role::BillingAdmin],
        (Scope::Company, CompanyOperator) => vec![Role::Operator],
        (Scope::Company, CompanyViewer) => vec![Role::Viewer],
        _ => vec![],
    };
    [on_root, on_company].concat()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    Unauthenticated,
    NotFound,
    Forbidden,
    /// Past authorisation: success, or a domain answer such as 409 or 422.
    Authorised,
    /// A 429 or a 5xx: never what any cell expects.
    Unexpected,
}

pub(super) fn outcome(reply: &Reply) -> Outcome {
    match reply.status {
        401 => Outcome::Unauthenticated,
        403 => Outcome::Forbidden,
        404 => Outcome::NotFound,
        429 | 500..=599 => Outcome::Unexpected,
        _ => Outcome::Authorised,
    }
}

/// The answer a route's declared [`Access`] implies for `who` on `scope`.
pub(super) fn expected(access: Access, who: Who, scope: Scope) -> Outcome {
    if matches!(who, Anonymous | SuspendedUser) {
        return Outcome::Unauthenticated;
    }
    let roles = roles(who, scope);
    let in_scope = !roles.is_empty();
    let permitted = |allowed: bool| match (allowed, in_scope) {
        (true, _) => Outcome::Authorised,
        (false, true) => Outcome::Forbidden,
        (false, false) => Outcome::NotFound,
    };
    match access {
        Access::Public => unreachable!("public routes are not in the caller matrix"),
        Access::Authenticated => Outcome::Authorised,
        Access::Persons if matches!(who, Machine | OtherOrganisationsApiKey) => Outcome::Forbidden,
        Access::Persons => Outcome::Authorised,
        Access::PlatformAdmins if who == PlatformAdmin => Outcome::Authorised,
        Access::PlatformAdmins | Access::OwnOnly => Outcome::NotFound,
        // A platform admin is no billing admin: 403 on a root and on a company alike, before
        // anything of the body or the organisation's place is looked at.
        Access::Organisation { admin, .. } if who == PlatformAdmin => {
            if admin {
                Outcome::Authorised
            } else {
                Outcome::Forbidden
            }
        }
        Access::Organisation { permission, .. } => permitted(roles.iter().any(|role| role_grants(*role, permission))),
        Access::DeleteOrganisation if who == PlatformAdmin => Outcome::Authorised,
        Access::DeleteOrganisation => permitted(match scope {
            Scope::Root => who == RootOwner,
            Scope::Company => matches!(who, RootOwner | RootBillingAdmin),
        }),
        Access::LeaveOrganisation if who == PlatformAdmin => Outcome::NotFound,
        Access::LeaveOrganisation => match scope {
            Scope::Root => permitted(ROOT_STAFF.contains(&who)),
            Scope::Company if COMPANY_STAFF.contains(&who) => Outcome::Authorised,
            Scope::Company => Outcome::NotFound,
        },
    }
}
