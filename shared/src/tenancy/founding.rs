//! Founding organisations: a root by a platform admin (or anyone, where the platform lets
//! them), with its first owner, and a company under a root; and the writes that join a person
//! to an organisation with its counts kept (T3, T8).

use super::access::authorize;
use super::details::OrganisationInput;
use super::grants::ManageMembers;
use super::{Tenancy, with_retries};
use crate::accounts::{Email, OrganisationKind, Role, UserKind};
use crate::audit::{AuditEvent, RequestContext};
use crate::error::{DomainError, DomainResult};
use crate::identity::{
    MemberCounts, Membership, Organisation, OrganisationStatus, PlatformAdmin, Principal, Registration, User,
};
use crate::ids::OrganisationId;
use crate::keys;
use crate::settings::OrganisationCreation;
use crate::store::{Condition, Item, Update, Write};
use crate::tenancy::organisations::{OrganisationView, company_retention, counts_update};
use crate::time::Timestamp;
use crate::unit_of_work::UnitOfWork;
use crate::validation::ValidationErrors;
use serde_json::json;

/// The roles of the first owner of an organisation, who is also its billing subscriber (T3,
/// T4): what a `pending_owner` organisation's invitations always carry.
pub(crate) fn pending_owner_roles() -> Vec<Role> {
    vec![Role::Owner, Role::BillingAdmin, Role::Member]
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
}
