//! Records an organisation keeps in its own partition and manages alike — operator contracts
//! and plans (SIMs), environments and map markers (devices), alert rules: created, listed, read,
//! changed with If-Match and, where a kind allows it, deleted, by the same code, each change
//! audited. A kind is its [`CatalogueEntry`] impl: its keys, how a patch applies, what it may
//! name, who writes it, and its face in the API ([`CatalogueApi`]), from which the HTTP layer
//! declares and serves its routes in one line.

mod use_cases;

pub use use_cases::{create, delete, entries, entry, update};

use crate::error::DomainError;
use crate::ids::OrganisationId;
use crate::ports::{Clock, Store};
use crate::store::{Condition, Item, Key};
use crate::tenancy::Grant;
use crate::time::Timestamp;
use crate::validation::ValidationErrors;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;

/// A kind of record kept in an organisation's partition.
pub trait CatalogueEntry: Serialize + DeserializeOwned + Clone + Send + Sync + utoipa::ToSchema + 'static {
    type Id: Copy + std::fmt::Display + DeserializeOwned + Send + Sync + 'static;
    /// A new entry's body, which applies to a blank entry as a patch.
    type Payload: Into<Self::Patch> + DeserializeOwned + utoipa::ToSchema + Send + 'static;
    /// A change's body: the fields to change.
    type Patch: DeserializeOwned + utoipa::ToSchema + Send + 'static;
    /// The use cases' service that keeps this kind: its store and clock, and what patching
    /// needs besides the entry (the configured connectors, for contracts).
    type Service: Keeper + Clone + Send + Sync + 'static;
    /// The permission that writes entries of this kind; the organisation's staff read them.
    type Manage: Grant;
    /// The kind in audit events and errors.
    const KIND: &'static str;
    const PREFIX: &'static str;
    /// Whether companies have their own (plans) or only roots (contracts, environments,
    /// markers, alert rules; read through a company, the root's).
    const COMPANIES_TOO: bool;
    /// Its routes.
    const API: CatalogueApi;
    fn key(organisation: OrganisationId, id: Self::Id) -> Key;
    fn new_id() -> Self::Id;
    /// A blank entry, which a new one's payload then fills in as a patch.
    fn blank(id: Self::Id, organisation: OrganisationId, now: Timestamp) -> Self;
    /// The entry with the patch's fields changed.
    fn patched(&self, patch: Self::Patch, service: &Self::Service, now: Timestamp) -> Result<Self, ValidationErrors>;
    /// Whether an entry may be deleted: the condition its item must meet then, and the
    /// answer when it does not (none: entries of this kind are never deleted, and have no
    /// delete route).
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

    /// For a root-only kind read through one of its companies: what must hold for the
    /// company's staff to see this entry of their root's (none: they see it).
    fn seen_by_company(&self, _company: OrganisationId) -> Option<Reference> {
        None
    }
}

/// What a service keeping catalogue entries lends them: its store and its clock.
pub trait Keeper {
    fn store(&self) -> &dyn Store;
    fn now(&self) -> Timestamp;
}

/// The keeper of kinds that need nothing else.
#[derive(Clone)]
pub struct StoreAndClock {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
}

impl Keeper for StoreAndClock {
    fn store(&self) -> &dyn Store {
        &*self.store
    }

    fn now(&self) -> Timestamp {
        Timestamp::new(self.clock.now())
    }
}

/// A kind's routes under `/api/organisations/{organisation_id}/`: the collection (`POST` to
/// create, `GET` to list), an entry (`GET`, `PATCH` with If-Match, and `DELETE` where the kind
/// is [deletable](CatalogueEntry::deletable)). Writers need the kind's
/// [`Manage`](CatalogueEntry::Manage) permission, readers `ReadDevices`.
#[derive(Debug, Clone, Copy)]
pub struct CatalogueApi {
    /// The collection's path segment: `plans` (`/api/organisations/{organisation_id}/plans`).
    pub collection: &'static str,
    /// The entry's id in paths: `plan_id` (`…/plans/{plan_id}`).
    pub id: &'static str,
    /// Its name in operation ids: `Plan` makes `createPlan`, `listPlans`, `getPlan`,
    /// `updatePlan`, `deletePlan`.
    pub name: &'static str,
    /// The document's tag its routes are listed under.
    pub tag: &'static str,
    /// One line each for the document.
    pub create: &'static str,
    pub list: &'static str,
    pub get: &'static str,
    pub update: &'static str,
    /// Unused where the kind is never deleted.
    pub delete: &'static str,
}

/// Something an entry names that must exist in its organisation (a device, a member).
pub struct Reference {
    pub field: String,
    pub key: Key,
    /// Whether the item read is one of the organisation's.
    pub fits: Box<dyn Fn(&Item) -> bool + Send + Sync>,
    pub code: &'static str,
    pub message: &'static str,
}
