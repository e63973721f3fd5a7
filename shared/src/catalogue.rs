//! Records an organisation keeps in its own partition and manages alike — operator contracts
//! and plans (SIMs), environments and map markers (devices): created, listed, read, changed
//! with If-Match and, where a kind allows it, deleted, by the same code, each change audited.

use crate::accounts::OrganisationKind;
use crate::audit::{AuditEvent, RequestContext};
use crate::error::{DomainError, DomainResult};
use crate::identity::Principal;
use crate::ids::OrganisationId;
use crate::keys;
use crate::ports::Store;
use crate::store::{Condition, Cursor, Index, Item, Key, Query, SortCondition, Write};
use crate::tenancy::{Grant, ReadDevices, authorize};
use crate::time::Timestamp;
use crate::unit_of_work::UnitOfWork;
use crate::validation::ValidationErrors;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A kind of record kept in an organisation's partition.
pub(crate) trait CatalogueEntry: Serialize + DeserializeOwned + Clone {
    type Id: Copy + std::fmt::Display;
    type Payload: Into<Self::Patch>;
    type Patch;
    /// What patching needs besides the entry (the configured connectors, for contracts).
    type Context: Sync + ?Sized;
    /// The permission that writes entries of this kind; the organisation's staff read them.
    type Manage: Grant;
    /// The kind in audit events and errors.
    const KIND: &'static str;
    const PREFIX: &'static str;
    /// Whether companies have their own (plans) or only roots (contracts, environments,
    /// markers; read through a company, the root's).
    const COMPANIES_TOO: bool;
    fn key(organisation: OrganisationId, id: Self::Id) -> Key;
    fn new_id() -> Self::Id;
    /// A blank entry, which a new one's payload then fills in as a patch.
    fn blank(id: Self::Id, organisation: OrganisationId, now: Timestamp) -> Self;
    /// The entry with the patch's fields changed.
    fn patched(&self, patch: Self::Patch, context: &Self::Context, now: Timestamp) -> Result<Self, ValidationErrors>;
    /// Whether an entry may be deleted: the condition its item must meet then, and the
    /// answer when it does not (none: entries of this kind are never deleted).
    fn deletable() -> Option<(Condition, DomainError)> {
        None
    }

    /// How many of this kind an organisation may hold (none: no cap).
    fn cap() -> Option<crate::limits::Cap> {
        None
    }

    /// What the entry names that must exist in the organisation: per field, the item to read,
    /// whether what was read fits, and the answer's code when it does not.
    fn references(&self, _organisation: OrganisationId) -> Vec<Reference> {
        vec![]
    }
}

/// Something an entry names that must exist in its organisation (a device, a member).
pub(crate) struct Reference {
    pub field: String,
    pub key: Key,
    /// Whether the item read is one of the organisation's.
    pub fits: Box<dyn Fn(&Item) -> bool + Send + Sync>,
    pub code: &'static str,
    pub message: &'static str,
}

/// Reads what `entry` names (one batch) and answers 409 with a field error for each that is
/// not the organisation's.
async fn check_references<T: CatalogueEntry>(
    store: &dyn Store,
    entry: &T,
    organisation: OrganisationId,
) -> DomainResult<()> {
    let references = entry.references(organisation);
    if references.is_empty() {
        return Ok(());
    }
    let found = store
        .batch_get(
            &references
                .iter()
                .map(|reference| reference.key.clone())
                .collect::<Vec<_>>(),
        )
        .await?;
    let mut errors = crate::validation::Collector::new();
    for (reference, item) in references.iter().zip(found) {
        if !item.as_ref().is_some_and(|item| (reference.fits)(item)) {
            errors.push(reference.field.clone(), reference.code, reference.message);
        }
    }
    errors.finish(|| ()).map_err(DomainError::Inconsistent)
}

fn root_only<T: CatalogueEntry>() -> DomainError {
    DomainError::conflict(
        "root_only",
        format!("a {} belongs to the root organisation, not a company", T::KIND),
    )
}

/// The catalogue operations, on a store at one instant.
pub(crate) struct Catalogue<'a> {
    pub store: &'a dyn Store,
    pub now: Timestamp,
}

impl Catalogue<'_> {
    /// Creates an entry in `organisation_id` (roots only unless the kind has company entries).
    pub async fn create<T: CatalogueEntry>(
        &self,
        principal: &Principal,
        context: &RequestContext,
        organisation_id: OrganisationId,
        payload: T::Payload,
        with: &T::Context,
    ) -> DomainResult<(T, u64)> {
        let access = authorize::<T::Manage>(self.store, principal, organisation_id).await?;
        // A malformed entry is refused as such (422) before where it was sent (409) is judged.
        let entry = T::blank(T::new_id(), organisation_id, self.now).patched(payload.into(), with, self.now)?;
        let organisation = access.organisation();
        if organisation.kind == OrganisationKind::Personal {
            return Err(DomainError::conflict(
                "personal_organisation",
                format!("a {} belongs to a shared organisation", T::KIND),
            ));
        }
        if !T::COMPANIES_TOO && organisation.parent_organisation_id.is_some() {
            return Err(root_only::<T>());
        }
        check_references(self.store, &entry, organisation_id).await?;
        let counted = match T::cap() {
            Some(cap) => Some(cap.one_more(self.store, organisation_id).await?),
            None => None,
        };
        self.write(principal, context, organisation_id, &entry, None, "created", counted)
            .await?;
        Ok((entry, 1))
    }

    /// Changes an entry, if it is still at `if_match`'s version.
    #[allow(clippy::too_many_arguments)]
    pub async fn update<T: CatalogueEntry>(
        &self,
        principal: &Principal,
        context: &RequestContext,
        organisation_id: OrganisationId,
        id: T::Id,
        patch: T::Patch,
        if_match: Option<u64>,
        with: &T::Context,
    ) -> DomainResult<(T, u64)> {
        let item = self
            .read_to_change::<T>(principal, organisation_id, id, if_match)
            .await?;
        let entry: T = item.record()?;
        let next = entry.patched(patch, with, self.now)?;
        check_references(self.store, &next, organisation_id).await?;
        self.write(
            principal,
            context,
            organisation_id,
            &next,
            Some(item.version),
            "changed",
            None,
        )
        .await?;
        Ok((next, item.version + 1))
    }

    /// Deletes an entry of a kind that may be deleted, if it is still at `if_match`'s version.
    pub async fn delete<T: CatalogueEntry>(
        &self,
        principal: &Principal,
        context: &RequestContext,
        organisation_id: OrganisationId,
        id: T::Id,
        if_match: Option<u64>,
    ) -> DomainResult<()> {
        let Some((guard, refusal)) = T::deletable() else {
            return Err(DomainError::Internal(format!("a {} is never deleted", T::KIND)));
        };
        let item = self
            .read_to_change::<T>(principal, organisation_id, id, if_match)
            .await?;
        let event = AuditEvent::by(principal.actor())
            .did(&format!("{}.deleted", T::KIND))
            .on(T::KIND, id)
            .in_organisation(organisation_id)
            .at(self.now, context);
        if !guard.holds(Some(&item)) {
            return Err(refusal);
        }
        let uncounted = match T::cap() {
            Some(cap) => Some(cap.one_less(self.store, organisation_id).await?),
            None => None,
        };
        // At the version read, which the guard held for: anything taken meanwhile (a device
        // placed in an environment) changed the version, and the caller reads again.
        UnitOfWork::new()
            .write_or(
                Write::Delete {
                    key: item.key,
                    condition: Some(Condition::VersionIs(item.version)),
                },
                DomainError::PreconditionFailed,
            )
            .writes(uncounted)
            .audit(event)
            .commit(self.store)
            .await
    }

    /// The entry's item for a writer of its kind, if it is still at `if_match`'s version.
    async fn read_to_change<T: CatalogueEntry>(
        &self,
        principal: &Principal,
        organisation_id: OrganisationId,
        id: T::Id,
        if_match: Option<u64>,
    ) -> DomainResult<Item> {
        let access = authorize::<T::Manage>(self.store, principal, organisation_id).await?;
        if !T::COMPANIES_TOO && access.organisation().parent_organisation_id.is_some() {
            return Err(root_only::<T>());
        }
        let item = self
            .store
            .get(&T::key(organisation_id, id))
            .await?
            .ok_or(DomainError::NotFound)?;
        if if_match.is_some_and(|version| version != item.version) {
            return Err(DomainError::PreconditionFailed);
        }
        Ok(item)
    }

    #[allow(clippy::too_many_arguments)]
    async fn write<T: CatalogueEntry>(
        &self,
        principal: &Principal,
        context: &RequestContext,
        organisation_id: OrganisationId,
        entry: &T,
        version: Option<u64>,
        verb: &str,
        counted: Option<(Write, DomainError)>,
    ) -> DomainResult<()> {
        let value = serde_json::to_value(entry).map_err(|e| DomainError::Internal(e.to_string()))?;
        let id = value["id"].as_str().unwrap_or_default().to_owned();
        let key = Key::new(
            keys::organisation_partition(organisation_id),
            format!("{}{id}", T::PREFIX),
        );
        let mut item = Item::from_record(key, entry);
        item.version = version.map_or(1, |v| v + 1);
        let condition = match version {
            Some(version) => Condition::VersionIs(version),
            None => Condition::NotExists,
        };
        let event = AuditEvent::by(principal.actor())
            .did(&format!("{}.{verb}", T::KIND))
            .on(T::KIND, id)
            .in_organisation(organisation_id)
            .changes(value)
            .at(self.now, context);
        let mut unit = UnitOfWork::new().write_or(
            Write::Put {
                item,
                condition: Some(condition),
            },
            DomainError::PreconditionFailed,
        );
        if let Some((count, full)) = counted {
            unit = unit.write_or(count, full);
        }
        unit.audit(event).commit(self.store).await
    }

    /// Where the caller reads a kind of entry through `organisation_id`: its own partition,
    /// or, for a root-only kind read through a company, its root's (company staff see the
    /// contracts their SIMs run under, the environments their devices stand in).
    async fn home_of<T: CatalogueEntry>(
        &self,
        principal: &Principal,
        organisation_id: OrganisationId,
    ) -> DomainResult<OrganisationId> {
        let access = authorize::<ReadDevices>(self.store, principal, organisation_id).await?;
        let organisation = access.organisation();
        Ok(match organisation.parent_organisation_id {
            Some(root) if !T::COMPANIES_TOO => root,
            _ => organisation.id,
        })
    }

    /// One entry, for the organisation's staff.
    pub async fn entry<T: CatalogueEntry>(
        &self,
        principal: &Principal,
        organisation_id: OrganisationId,
        id: T::Id,
    ) -> DomainResult<(T, u64)> {
        let home = self.home_of::<T>(principal, organisation_id).await?;
        let item = self.store.get(&T::key(home, id)).await?.ok_or(DomainError::NotFound)?;
        Ok((item.record()?, item.version))
    }

    /// A page of an organisation's entries of a kind, for its staff.
    pub async fn entries<T: CatalogueEntry>(
        &self,
        principal: &Principal,
        organisation_id: OrganisationId,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> DomainResult<(Vec<T>, Option<Cursor>)> {
        let home = self.home_of::<T>(principal, organisation_id).await?;
        let page = self
            .store
            .query(
                &Query::new(Index::Table, keys::organisation_partition(home))
                    .sort(SortCondition::BeginsWith(T::PREFIX.to_owned()))
                    .limit(limit)
                    .after(cursor),
            )
            .await?;
        let entries = page.items.iter().map(|item| item.record()).collect::<Result<_, _>>()?;
        Ok((entries, page.next))
    }
}
