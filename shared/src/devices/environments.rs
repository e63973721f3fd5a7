//! An organisation's environments (issue 13, item 5): the facilities, departments and mobile
//! fleets its devices stand in. Catalogue entries of the root (owners write, staff read; a
//! company's staff read the root's). An environment counts the devices in it, updated in each
//! device's own transaction, which also proves the environment exists; one with devices in it
//! is not deleted (`409 environment_in_use`).

use crate::catalogue::{CatalogueApi, CatalogueEntry, StoreAndClock};
use crate::error::DomainError;
use crate::ids::{EnvironmentId, OrganisationId};
use crate::store::{Condition, Key, Update, Write};
use crate::tenancy::ManageSettings;
use crate::time::Timestamp;
use crate::validation::{Collector, MAX_NAME_CHARS, ValidationErrors, free_text};
use crate::{keys, schema};
use serde::{Deserialize, Serialize};

const MAX_DESCRIPTION_CHARS: usize = 500;
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EnvironmentKind {
    Facility,
    Department,
    Mobile,
}

/// An environment as stored and shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Environment {
    pub id: EnvironmentId,
    pub organisation_id: OrganisationId,
    pub name: String,
    pub kind: EnvironmentKind,
    #[serde(default)]
    pub description: String,
    /// Devices in it.
    #[serde(default)]
    pub devices: u64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// `POST …/environments`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = EnvironmentRequest)]
pub struct EnvironmentPayload {
    #[schema(schema_with = schema::name_text)]
    pub name: String,
    pub kind: EnvironmentKind,
    #[schema(schema_with = description)]
    pub description: Option<String>,
}

/// `PATCH …/environments/{environment_id}`: the fields to change.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = EnvironmentPatch)]
pub struct EnvironmentPatch {
    #[schema(schema_with = schema::optional_name)]
    pub name: Option<String>,
    pub kind: Option<EnvironmentKind>,
    #[schema(schema_with = description)]
    pub description: Option<String>,
}

impl From<EnvironmentPayload> for EnvironmentPatch {
    fn from(payload: EnvironmentPayload) -> Self {
        EnvironmentPatch {
            name: Some(payload.name),
            kind: Some(payload.kind),
            description: payload.description,
        }
    }
}

fn description() -> utoipa::openapi::schema::Schema {
    schema::nullable(schema::free_text(MAX_DESCRIPTION_CHARS))
}

impl CatalogueEntry for Environment {
    type Id = EnvironmentId;
    type Payload = EnvironmentPayload;
    type Patch = EnvironmentPatch;
    type Service = StoreAndClock;
    type Manage = ManageSettings;
    const KIND: &'static str = "environment";
    const PREFIX: &'static str = keys::ENVIRONMENTS_PREFIX;
    const COMPANIES_TOO: bool = false;
    const API: CatalogueApi = CatalogueApi {
        collection: "environments",
        id: "environment_id",
        name: "Environment",
        tag: "devices",
        create: "Create an environment devices stand in: a facility, department or mobile fleet (owners; roots)",
        list: "The organisation's environments (through a company, its root's)",
        get: "An environment, with the number of devices in it",
        update: "Change an environment (owners)",
        delete: "Delete an environment no device stands in (owners; 409 environment_in_use)",
    };

    fn key(organisation: OrganisationId, id: EnvironmentId) -> Key {
        keys::environment(organisation, id)
    }

    fn new_id() -> EnvironmentId {
        EnvironmentId::generate()
    }

    fn blank(id: EnvironmentId, organisation: OrganisationId, now: Timestamp) -> Self {
        Environment {
            id,
            organisation_id: organisation,
            name: String::new(),
            kind: EnvironmentKind::Facility,
            description: String::new(),
            devices: 0,
            created_at: now,
            updated_at: now,
        }
    }

    fn patched(&self, patch: EnvironmentPatch, _: &StoreAndClock, now: Timestamp) -> Result<Self, ValidationErrors> {
        let mut errors = Collector::new();
        let mut next = self.clone();
        if let Some(name) = patch.name.as_deref() {
            next.name = errors
                .check(free_text("name", name, MAX_NAME_CHARS))
                .unwrap_or_default();
        }
        if let Some(kind) = patch.kind {
            next.kind = kind;
        }
        if let Some(description) = patch.description.as_deref() {
            next.description = errors
                .check(free_text("description", description, MAX_DESCRIPTION_CHARS))
                .unwrap_or_default();
        }
        next.updated_at = now;
        errors.finish(|| next)
    }

    fn deletable() -> Option<(Condition, DomainError)> {
        Some((
            Condition::AttributeBelow("devices".into(), 1),
            DomainError::conflict(
                "environment_in_use",
                "devices stand in this environment; move them out first",
            ),
        ))
    }
}

/// The write that counts a device into (`+1`) or out of (`-1`) an environment of `root`;
/// it fails if the environment does not exist, which is how placing a device proves it does.
pub(crate) fn environment_count(root: OrganisationId, environment: EnvironmentId, delta: i64) -> Write {
    let mut update = Update::new(keys::environment(root, environment)).add("devices", delta);
    update.condition = Some(Condition::Exists);
    Write::Update(update)
}
