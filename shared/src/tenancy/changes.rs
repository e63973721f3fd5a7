//! Changing and deleting organisations: details with optimistic concurrency (`If-Match`), and
//! T8's soft delete.

use super::access::authorize;
use super::details::OrganisationInput;
use super::grants::{ManageSettings, ViewOrganisation};
use super::organisations::{OrganisationView, counts_update, personal_refused};
use super::{Tenancy, with_retries};
use crate::accounts::{OrganisationKind, Role};
use crate::audit::{AuditEvent, RequestContext};
use crate::error::{DomainError, DomainResult};
use crate::identity::{Organisation, Principal};
use crate::ids::OrganisationId;
use crate::keys;
use crate::store::{Condition, Index, Query, SortCondition, Update, Write};
use crate::unit_of_work::UnitOfWork;
use crate::validation::ValidationErrors;
use serde_json::json;

impl Tenancy {
    /// Changes an organisation's details; `if_match` (its etag) guards against lost updates.
    pub async fn update_organisation(
        &self,
        principal: &Principal,
        context: &RequestContext,
        id: OrganisationId,
        input: OrganisationInput,
        if_match: Option<u64>,
    ) -> DomainResult<OrganisationView> {
        let access = authorize::<ManageSettings>(&*self.store, principal, id).await?;
        if access.organisation().kind == OrganisationKind::Personal {
            return Err(personal_refused());
        }
        if if_match.is_some_and(|version| version != access.version()) {
            return Err(DomainError::PreconditionFailed);
        }
        if access.organisation().parent_organisation_id.is_some() && input.details.telemetry_retention_days.is_some() {
            return Err(super::organisations::company_retention());
        }
        if input.parent_organisation_id.is_some() || input.initial_owner_email.is_some() {
            return Err(ValidationErrors::single(
                "parent_organisation_id",
                "not_permitted",
                "an organisation's place and owner do not change here",
            )
            .into());
        }
        let now = self.now();
        let mut update = Update::new(keys::organisation(id))
            .set("updated_at", json!(now))
            .when(Condition::VersionIs(access.version()));
        let mut changes = serde_json::Map::new();
        if let Some(name) = &input.name {
            update = update.set("name", name.as_str());
            changes.insert("name".into(), json!(name));
        }
        let details = serde_json::to_value(&input.details).map_err(|e| DomainError::Internal(e.to_string()))?;
        for (field, value) in details.as_object().into_iter().flatten().filter(|(_, v)| !v.is_null()) {
            update = update.set(field.as_str(), value.clone());
            changes.insert(field.clone(), value.clone());
        }
        // The item as it will be once the update lands, for the answer: the update was
        // conditioned on the version read, so nothing else can land in between.
        let mut updated = access.item().clone();
        update.apply(&mut updated)?;
        let event = AuditEvent::by(principal.actor())
            .did("organisation.updated")
            .on("organisation", id)
            .in_organisation(id)
            .changes(changes.into())
            .at(now, context);
        UnitOfWork::new()
            .write_or(Write::Update(update), DomainError::PreconditionFailed)
            .audit(event)
            .commit(&*self.store)
            .await?;
        // Even an unchanged name renames: resending the same PATCH is how a rename whose
        // follow-up failed half-way gets repaired.
        if let Some(name) = &input.name {
            self.rename_memberships(id, name).await?;
        }
        Ok(OrganisationView::of(updated.record()?, updated.version))
    }

    /// Memberships carry their organisation's name for one-query reads of `/api/me`; a
    /// rename follows them after the rename itself has committed.
    async fn rename_memberships(&self, id: OrganisationId, name: &str) -> DomainResult<()> {
        let mut cursor = None;
        loop {
            let query = Query::new(Index::Gsi1, keys::organisation_index_partition(id))
                .sort(SortCondition::BeginsWith(keys::MEMBERS_PREFIX.into()))
                .limit(100)
                .after(cursor);
            let page = self.store.query(&query).await?;
            let renames: Vec<Write> = page
                .items
                .iter()
                .map(|item| Write::Update(Update::new(item.key.clone()).set("organisation_name", name)))
                .collect();
            if !renames.is_empty() {
                self.store.transact(renames).await?;
            }
            match page.next {
                Some(next) => cursor = Some(next),
                None => return Ok(()),
            }
        }
    }

    /// Soft-deletes a shared organisation (T8): a root by its billing subscriber, a company
    /// by an owner of its root, and only once no other member and no live company remain.
    /// [`Invitations::delete_organisation`](crate::invitations::Invitations::delete_organisation)
    /// calls it, and then revokes the organisation's invitations.
    pub(crate) async fn delete_organisation(
        &self,
        principal: &Principal,
        context: &RequestContext,
        id: OrganisationId,
    ) -> DomainResult<()> {
        with_retries(|| async {
            let access = authorize::<ViewOrganisation>(&*self.store, principal, id).await?;
            let organisation = access.organisation();
            if organisation.kind == OrganisationKind::Personal {
                return Err(personal_refused());
            }
            let caller = principal.user.id;
            let permitted = match organisation.parent_organisation_id {
                None => access.platform_admin().is_some() || organisation.billing_subscriber() == Some(caller),
                // T8: an owner of the root, not of the company alone.
                Some(root) => {
                    access.platform_admin().is_some()
                        || principal
                            .active_membership(root)
                            .is_some_and(|membership| membership.roles.contains(&Role::Owner))
                }
            };
            if !permitted {
                return Err(DomainError::Forbidden);
            }
            let caller_is_member = principal.active_membership(id).is_some();
            let others = organisation.counts.members - i64::from(caller_is_member);
            if others > 0 || organisation.counts.companies > 0 {
                return Err(DomainError::conflict(
                    "organisation_not_empty",
                    "remove every other member and company first (T8)",
                ));
            }
            let now = self.now();
            let mut writes = vec![Write::Update(
                Update::new(keys::organisation(id))
                    .set("deleted_at", json!(now))
                    .set("updated_at", json!(now))
                    .when(Condition::VersionIs(access.version())),
            )];
            if caller_is_member {
                writes.push(Write::Delete {
                    key: keys::membership(caller, id),
                    condition: Some(Condition::Exists),
                });
                if principal.user.default_organisation_id == id {
                    writes.push(Write::Update(
                        Update::new(keys::user(caller))
                            .set(
                                "default_organisation_id",
                                json!(principal.user.personal_organisation_id),
                            )
                            .when(Condition::VersionIs(principal.user_version)),
                    ));
                }
            }
            if let Some(root_id) = organisation.parent_organisation_id {
                let root_item = self
                    .store
                    .get(&keys::organisation(root_id))
                    .await?
                    .ok_or(DomainError::NotFound)?;
                let root: Organisation = root_item.record()?;
                let count = Update::new(keys::organisation(root_id)).when(Condition::VersionIs(root_item.version));
                writes.push(Write::Update(counts_update(count, &root, |c| c.companies -= 1)));
            }
            let event = AuditEvent::by(principal.actor())
                .did("organisation.deleted")
                .on("organisation", id)
                .in_organisation(id)
                .at(now, context);
            UnitOfWork::new()
                .writes(writes)
                .audit(event)
                .commit(&*self.store)
                .await?;
            Ok(())
        })
        .await?;
        Ok(())
    }
}
