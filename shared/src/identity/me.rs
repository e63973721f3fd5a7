//! `GET /api/me` and `PATCH /api/me`: the caller's profile, memberships and default
//! organisation (T11).

use super::register::parse_name;
use super::{Identity, PlatformRole, Principal};
use crate::accounts::{OrganisationKind, Role, UserKind};
use crate::audit::RequestContext;
use crate::error::{DomainError, DomainResult};
use crate::ids::{OrganisationId, UserId};
use crate::store::{Condition, Index, MAX_TRANSACTION_WRITES, Query, SortCondition, StoreError, Update, Write};
use crate::unit_of_work::UnitOfWork;
use crate::validation::{Collector, ValidationErrors};
use crate::{accounts::Email, keys, time::Timestamp};
use serde::Serialize;
use serde_json::json;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MembershipView {
    pub organisation_id: OrganisationId,
    pub organisation_name: String,
    pub parent_organisation_id: Option<OrganisationId>,
    pub kind: OrganisationKind,
    pub roles: Vec<Role>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MeView {
    pub id: UserId,
    pub email: Email,
    pub name: String,
    pub kind: UserKind,
    pub platform_roles: Vec<PlatformRole>,
    pub personal_organisation_id: OrganisationId,
    pub default_organisation_id: OrganisationId,
    pub memberships: Vec<MembershipView>,
    /// Whether alert e-mails reach them (their choice; on unless they turned it off).
    pub alert_emails: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// The profile's version; send it back in `If-Match` to update.
    #[serde(skip)]
    pub etag: u64,
}

/// A valid `PATCH /api/me`.
#[derive(Debug, Default)]
pub struct MeUpdate {
    pub name: Option<String>,
    pub default_organisation_id: Option<OrganisationId>,
    pub alert_emails: Option<bool>,
}

impl MeUpdate {
    pub fn parse(
        name: Option<&str>,
        default_organisation_id: Option<&str>,
        alert_emails: Option<bool>,
    ) -> Result<Self, ValidationErrors> {
        let mut errors = Collector::new();
        let name = name.and_then(|name| errors.check(parse_name(name)));
        let default =
            default_organisation_id.and_then(|id| errors.check(OrganisationId::parse(id, "default_organisation_id")));
        errors.finish(|| MeUpdate {
            name,
            default_organisation_id: default,
            alert_emails,
        })
    }
}

impl Identity {
    /// Member lists show the name each membership carries, so every membership follows a
    /// rename — after it commits, a transaction per hundred (a person may belong to
    /// thousands of organisations; one transaction holds 100 writes). Resending the same
    /// rename repairs one that failed half-way.
    async fn rename_in_memberships(&self, user_id: UserId, name: &str, personal: OrganisationId) -> DomainResult<()> {
        let mut cursor = None;
        loop {
            let query = Query::new(Index::Table, keys::user_partition(user_id))
                .sort(SortCondition::BeginsWith(keys::MEMBERSHIP_PREFIX.into()))
                .limit(MAX_TRANSACTION_WRITES as u32)
                .after(cursor);
            let page = self.store.query(&query).await?;
            let renames: Vec<Update> = page
                .items
                .into_iter()
                .filter(|item| item.key != keys::membership(user_id, personal))
                .map(|item| Update::new(item.key).set("member_name", name))
                .collect();
            let batch = renames.iter().cloned().map(Write::Update).collect::<Vec<_>>();
            match if batch.is_empty() {
                Ok(())
            } else {
                self.store.transact(batch).await
            } {
                Ok(()) => {}
                // A membership ended meanwhile (an update never recreates one): rename the
                // others one by one.
                Err(StoreError::ConditionFailed { .. }) => {
                    for rename in renames {
                        match self.store.update(rename).await {
                            Ok(_) | Err(StoreError::ConditionFailed { .. }) => {}
                            Err(other) => return Err(other.into()),
                        }
                    }
                }
                Err(other) => return Err(other.into()),
            }
            match page.next {
                Some(next) => cursor = Some(next),
                None => return Ok(()),
            }
        }
    }

    pub fn me(&self, principal: &Principal) -> MeView {
        let user = &principal.user;
        MeView {
            id: user.id,
            email: user.email.clone(),
            name: user.name.clone(),
            kind: user.kind,
            platform_roles: user.platform_roles.clone(),
            personal_organisation_id: user.personal_organisation_id,
            default_organisation_id: user.default_organisation_id,
            memberships: principal
                .memberships
                .iter()
                .filter(|m| m.active)
                .map(|m| MembershipView {
                    organisation_id: m.organisation_id,
                    organisation_name: m.organisation_name.clone(),
                    parent_organisation_id: m.parent_organisation_id,
                    kind: m.organisation_kind,
                    roles: m.roles.clone(),
                })
                .collect(),
            alert_emails: user.alert_emails,
            created_at: user.created_at,
            updated_at: user.updated_at,
            etag: principal.user_version,
        }
    }

    /// Renames the caller (and their personal organisation, which is named after them, T2)
    /// and/or changes their default organisation to one of their active memberships (T11).
    /// `if_match` is the profile version the caller last saw.
    pub async fn update_me(
        &self,
        principal: &Principal,
        update: MeUpdate,
        if_match: Option<u64>,
        context: &RequestContext,
    ) -> DomainResult<MeView> {
        let user = &principal.user;
        let mut profile = Update::new(keys::user(user.id)).set("updated_at", json!(self.now()));
        if let Some(version) = if_match {
            profile = profile.when(Condition::VersionIs(version));
        }
        let mut writes = Vec::new();
        if let Some(organisation) = update.default_organisation_id {
            let Some(membership) = principal.active_membership(organisation) else {
                // Who the caller is, not the request's shape, decides this: 409, not 422.
                return Err(DomainError::conflict(
                    "not_a_membership",
                    "the default organisation must be one you are an active member of",
                ));
            };
            profile = profile.set("default_organisation_id", json!(organisation));
            // The membership must still be active when the change lands.
            writes.push(Write::Check {
                key: keys::membership(user.id, membership.organisation_id),
                condition: Condition::AttributeEquals("active".into(), json!(true)),
            });
        }
        if let Some(on) = update.alert_emails {
            profile = profile.set("alert_emails", on);
        }
        let personal = user.personal_organisation_id;
        if let Some(name) = &update.name {
            profile = profile.set("name", name.as_str());
            // T2: the personal organisation is named after its person, in the same commit.
            writes.push(Write::Update(
                Update::new(keys::organisation(personal)).set("name", name.as_str()),
            ));
            writes.push(Write::Update(
                Update::new(keys::membership(user.id, personal))
                    .set("member_name", name.as_str())
                    .set("organisation_name", name.as_str()),
            ));
        }
        let changes = json!({
            "name": update.name,
            "default_organisation_id": update.default_organisation_id,
            "alert_emails": update.alert_emails,
        });
        let work = UnitOfWork::new();
        let work = match if_match {
            Some(_) => work.write_or(Write::Update(profile), DomainError::PreconditionFailed),
            None => work.write(Write::Update(profile)),
        };
        work.writes(writes)
            .audit(self.account_event(principal.actor(), user, "user.updated", changes, context))
            .otherwise(DomainError::conflict(
                "membership_changed",
                "the default organisation is no longer one of your memberships",
            ))
            .commit(&*self.store)
            .await?;
        if let Some(name) = &update.name {
            self.rename_in_memberships(user.id, name, personal).await?;
        }
        let refreshed = self.principal_of(user.id, principal.session_id, None).await?;
        Ok(self.me(&refreshed))
    }
}
