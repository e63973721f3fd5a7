//! The catalogue's use cases, one generic function each, for any [`CatalogueEntry`] kind.

use super::{CatalogueEntry, Keeper, Reference};
use crate::accounts::OrganisationKind;
use crate::audit::{AuditEvent, RequestContext};
use crate::error::{DomainError, DomainResult};
use crate::identity::Principal;
use crate::ids::OrganisationId;
use crate::keys;
use crate::ports::Store;
use crate::store::{Condition, Cursor, Index, Item, Key, Query, SortCondition, Write};
use crate::tenancy::{ReadDevices, authorize};
use crate::time::Timestamp;
use crate::unit_of_work::UnitOfWork;

/// Creates an entry in `organisation_id` (roots only unless the kind has company entries).
pub async fn create<T: CatalogueEntry>(
    service: &T::Service,
    principal: &Principal,
    context: &RequestContext,
    organisation_id: OrganisationId,
    payload: T::Payload,
) -> DomainResult<(T, u64)> {
    let (store, now) = (service.store(), service.now());
    let access = authorize::<T::Manage>(store, principal, organisation_id).await?;
    // A malformed entry is refused as such (422) before where it was sent (409) is judged.
    let entry = T::blank(T::new_id(), organisation_id, now).patched(payload.into(), service, now)?;
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
    check_references(store, &entry, organisation_id).await?;
    let counted = match T::cap() {
        Some(cap) => Some(cap.one_more(store, organisation_id).await?),
        None => None,
    };
    let change = Change {
        principal,
        context,
        organisation_id,
        now,
    };
    change.write(store, &entry, None, "created", counted).await?;
    Ok((entry, 1))
}

/// Changes an entry, if it is still at `if_match`'s version.
pub async fn update<T: CatalogueEntry>(
    service: &T::Service,
    principal: &Principal,
    context: &RequestContext,
    organisation_id: OrganisationId,
    id: T::Id,
    patch: T::Patch,
    if_match: Option<u64>,
) -> DomainResult<(T, u64)> {
    let (store, now) = (service.store(), service.now());
    let item = read_to_change::<T>(store, principal, organisation_id, id, if_match).await?;
    let entry: T = item.record()?;
    let next = entry.patched(patch, service, now)?;
    check_references(store, &next, organisation_id).await?;
    let change = Change {
        principal,
        context,
        organisation_id,
        now,
    };
    change.write(store, &next, Some(item.version), "changed", None).await?;
    Ok((next, item.version + 1))
}

/// Deletes an entry of a kind that may be deleted, if it is still at `if_match`'s version.
pub async fn delete<T: CatalogueEntry>(
    service: &T::Service,
    principal: &Principal,
    context: &RequestContext,
    organisation_id: OrganisationId,
    id: T::Id,
    if_match: Option<u64>,
) -> DomainResult<()> {
    let Some((guard, refusal)) = T::deletable() else {
        return Err(DomainError::Internal(format!("a {} is never deleted", T::KIND)));
    };
    let store = service.store();
    let item = read_to_change::<T>(store, principal, organisation_id, id, if_match).await?;
    let event = AuditEvent::by(principal.actor())
        .did(&format!("{}.deleted", T::KIND))
        .on(T::KIND, id)
        .in_organisation(organisation_id)
        .at(service.now(), context);
    if !guard.holds(Some(&item)) {
        return Err(refusal);
    }
    let uncounted = match T::cap() {
        Some(cap) => Some(cap.one_less(store, organisation_id).await?),
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
        .commit(store)
        .await
}

/// One entry, for the organisation's staff.
pub async fn entry<T: CatalogueEntry>(
    service: &T::Service,
    principal: &Principal,
    organisation_id: OrganisationId,
    id: T::Id,
) -> DomainResult<(T, u64)> {
    let store = service.store();
    let home = home_of::<T>(store, principal, organisation_id).await?;
    let item = store.get(&T::key(home, id)).await?.ok_or(DomainError::NotFound)?;
    let mut shown = seen_through(store, organisation_id, home, vec![item.record::<T>()?]).await?;
    shown
        .pop()
        .map(|entry| (entry, item.version))
        .ok_or(DomainError::NotFound)
}

/// A page of an organisation's entries of a kind, for its staff.
pub async fn entries<T: CatalogueEntry>(
    service: &T::Service,
    principal: &Principal,
    organisation_id: OrganisationId,
    limit: u32,
    cursor: Option<Cursor>,
) -> DomainResult<(Vec<T>, Option<Cursor>)> {
    let store = service.store();
    let home = home_of::<T>(store, principal, organisation_id).await?;
    let page = store
        .query(
            &Query::new(Index::Table, keys::organisation_partition(home))
                .sort(SortCondition::BeginsWith(T::PREFIX.to_owned()))
                .limit(limit)
                .after(cursor),
        )
        .await?;
    let entries = page.items.iter().map(|item| item.record()).collect::<Result<_, _>>()?;
    Ok((seen_through(store, organisation_id, home, entries).await?, page.next))
}

/// Reads what `entry` names (one batch) and answers 409 with a field error for each that is
/// not the organisation's.
async fn check_references<T: CatalogueEntry>(
    store: &dyn Store,
    entry: &T,
    organisation: OrganisationId,
) -> DomainResult<()> {
    let references = entry.references(organisation);
    let fitting = fits(store, &references.iter().collect::<Vec<_>>()).await?;
    let mut errors = crate::validation::Collector::new();
    for (reference, fits) in references.iter().zip(fitting) {
        if !fits {
            errors.push(reference.field.clone(), reference.code, reference.message);
        }
    }
    errors.finish(|| ()).map_err(DomainError::Inconsistent)
}

/// Whether each reference's item exists and fits, read in one batch (none when there are none).
async fn fits(store: &dyn Store, references: &[&Reference]) -> DomainResult<Vec<bool>> {
    if references.is_empty() {
        return Ok(vec![]);
    }
    let keys: Vec<Key> = references.iter().map(|reference| reference.key.clone()).collect();
    let found = store.batch_get(&keys).await?;
    Ok(references
        .iter()
        .zip(found)
        .map(|(reference, item)| item.as_ref().is_some_and(|item| (reference.fits)(item)))
        .collect())
}

/// Of `entries` read at `home` through `organisation_id`, those the caller sees: all of them
/// at home; through a company, those its staff may see of their root's
/// ([`CatalogueEntry::seen_by_company`]).
async fn seen_through<T: CatalogueEntry>(
    store: &dyn Store,
    organisation_id: OrganisationId,
    home: OrganisationId,
    entries: Vec<T>,
) -> DomainResult<Vec<T>> {
    if home == organisation_id {
        return Ok(entries);
    }
    let conditions: Vec<Option<Reference>> = entries
        .iter()
        .map(|entry| entry.seen_by_company(organisation_id))
        .collect();
    let references: Vec<&Reference> = conditions.iter().flatten().collect();
    let mut fitting = fits(store, &references).await?.into_iter();
    Ok(entries
        .into_iter()
        .zip(conditions)
        .filter(|(_, condition)| condition.is_none() || fitting.next() == Some(true))
        .map(|(entry, _)| entry)
        .collect())
}

fn root_only<T: CatalogueEntry>() -> DomainError {
    DomainError::conflict(
        "root_only",
        format!("a {} belongs to the root organisation, not a company", T::KIND),
    )
}

/// The entry's item for a writer of its kind, if it is still at `if_match`'s version.
async fn read_to_change<T: CatalogueEntry>(
    store: &dyn Store,
    principal: &Principal,
    organisation_id: OrganisationId,
    id: T::Id,
    if_match: Option<u64>,
) -> DomainResult<Item> {
    let access = authorize::<T::Manage>(store, principal, organisation_id).await?;
    if !T::COMPANIES_TOO && access.organisation().parent_organisation_id.is_some() {
        return Err(root_only::<T>());
    }
    let item = store
        .get(&T::key(organisation_id, id))
        .await?
        .ok_or(DomainError::NotFound)?;
    if if_match.is_some_and(|version| version != item.version) {
        return Err(DomainError::PreconditionFailed);
    }
    Ok(item)
}

/// Where the caller reads a kind of entry through `organisation_id`: its own partition,
/// or, for a root-only kind read through a company, its root's (company staff see the
/// contracts their SIMs run under, the environments their devices stand in).
async fn home_of<T: CatalogueEntry>(
    store: &dyn Store,
    principal: &Principal,
    organisation_id: OrganisationId,
) -> DomainResult<OrganisationId> {
    let access = authorize::<ReadDevices>(store, principal, organisation_id).await?;
    let organisation = access.organisation();
    Ok(match organisation.parent_organisation_id {
        Some(root) if !T::COMPANIES_TOO => root,
        _ => organisation.id,
    })
}

/// Who changes which organisation's catalogue, and when.
struct Change<'a> {
    principal: &'a Principal,
    context: &'a RequestContext,
    organisation_id: OrganisationId,
    now: Timestamp,
}

impl Change<'_> {
    /// Puts `entry` (new, or at `version`) with its audit event and, for a new entry of a
    /// capped kind, the count.
    async fn write<T: CatalogueEntry>(
        &self,
        store: &dyn Store,
        entry: &T,
        version: Option<u64>,
        verb: &str,
        counted: Option<(Write, DomainError)>,
    ) -> DomainResult<()> {
        let value = serde_json::to_value(entry).map_err(|e| DomainError::Internal(e.to_string()))?;
        let id = value["id"].as_str().unwrap_or_default().to_owned();
        let key = Key::new(
            keys::organisation_partition(self.organisation_id),
            format!("{}{id}", T::PREFIX),
        );
        let mut item = Item::from_record(key, entry);
        item.version = version.map_or(1, |v| v + 1);
        let condition = match version {
            Some(version) => Condition::VersionIs(version),
            None => Condition::NotExists,
        };
        let event = AuditEvent::by(self.principal.actor())
            .did(&format!("{}.{verb}", T::KIND))
            .on(T::KIND, id)
            .in_organisation(self.organisation_id)
            .changes(value)
            .at(self.now, self.context);
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
        unit.audit(event).commit(store).await
    }
}
