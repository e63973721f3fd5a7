//! Map markers (issue 13, item 5): how the map draws the devices of one environment, one model
//! or one status. Catalogue entries of the root, like environments.

use super::registry::{Device, DeviceStatus};
use crate::catalogue::{CatalogueApi, CatalogueEntry, StoreAndClock};
use crate::error::DomainError;
use crate::ids::{DeviceModelId, EnvironmentId, MarkerId, OrganisationId};
use crate::store::{Condition, Key};
use crate::tenancy::ManageSettings;
use crate::time::Timestamp;
use crate::validation::{Collector, MAX_NAME_CHARS, ValidationErrors, free_text};
use crate::{keys, schema};
use serde::{Deserialize, Serialize};

/// What a marker draws: the devices of one environment, of one model, or in one status.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkerTarget {
    pub environment_id: Option<EnvironmentId>,
    pub model_id: Option<DeviceModelId>,
    pub status: Option<DeviceStatus>,
}

impl MarkerTarget {
    /// How closely it fits `device`: an environment's marker before a model's before a
    /// status's; none if it does not.
    pub(super) fn fit(&self, device: &Device) -> Option<u8> {
        match (self.environment_id, self.model_id, self.status) {
            (Some(environment), None, None) if device.environment_id == Some(environment) => Some(3),
            (None, Some(model), None) if device.model_id == model => Some(2),
            (None, None, Some(status)) if device.status == status => Some(1),
            _ => None,
        }
    }
}

/// A map marker as stored and shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = MapMarker)]
pub struct Marker {
    pub id: MarkerId,
    pub organisation_id: OrganisationId,
    pub label: String,
    /// An icon name the map client knows (`truck`, `sensor`…).
    pub icon: String,
    /// `#rrggbb`.
    pub colour: String,
    /// Exactly one of an environment, a model or a status.
    pub applies_to: MarkerTarget,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// `POST …/map-markers`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = MapMarkerRequest)]
pub struct MarkerPayload {
    #[schema(schema_with = schema::name_text)]
    pub label: String,
    #[schema(schema_with = icon)]
    pub icon: String,
    #[schema(schema_with = colour)]
    pub colour: String,
    pub applies_to: MarkerTarget,
}

/// `PATCH …/map-markers/{marker_id}`: the fields to change.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = MapMarkerPatch)]
pub struct MarkerPatch {
    #[schema(schema_with = schema::optional_name)]
    pub label: Option<String>,
    #[schema(schema_with = optional_icon)]
    pub icon: Option<String>,
    #[schema(schema_with = optional_colour)]
    pub colour: Option<String>,
    pub applies_to: Option<MarkerTarget>,
}

impl From<MarkerPayload> for MarkerPatch {
    fn from(payload: MarkerPayload) -> Self {
        MarkerPatch {
            label: Some(payload.label),
            icon: Some(payload.icon),
            colour: Some(payload.colour),
            applies_to: Some(payload.applies_to),
        }
    }
}

const ICON_PATTERN: &str = "^[a-z0-9][a-z0-9_-]{0,39}$";
const COLOUR_PATTERN: &str = "^#[0-9A-Fa-f]{6}$";

fn icon() -> utoipa::openapi::schema::Schema {
    schema::pattern(ICON_PATTERN, "Lower-case letters, digits, `_` and `-`; up to 40.").into()
}

fn optional_icon() -> utoipa::openapi::schema::Schema {
    schema::nullable(schema::pattern(
        ICON_PATTERN,
        "Lower-case letters, digits, `_` and `-`; up to 40.",
    ))
}

fn colour() -> utoipa::openapi::schema::Schema {
    schema::pattern(COLOUR_PATTERN, "`#rrggbb`.").into()
}

fn optional_colour() -> utoipa::openapi::schema::Schema {
    schema::nullable(schema::pattern(COLOUR_PATTERN, "`#rrggbb`."))
}

fn is_icon(text: &str) -> bool {
    let mut chars = text.chars();
    text.len() <= 40
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

fn is_colour(text: &str) -> bool {
    text.len() == 7 && text.starts_with('#') && text[1..].chars().all(|c| c.is_ascii_hexdigit())
}

impl CatalogueEntry for Marker {
    type Id = MarkerId;
    type Payload = MarkerPayload;
    type Patch = MarkerPatch;
    type Service = StoreAndClock;
    type Manage = ManageSettings;
    const KIND: &'static str = "map_marker";
    const PREFIX: &'static str = keys::MARKERS_PREFIX;
    const COMPANIES_TOO: bool = false;
    const API: CatalogueApi = CatalogueApi {
        collection: "map-markers",
        id: "marker_id",
        name: "MapMarker",
        tag: "devices",
        create: "Create a map marker for an environment's, a model's or a status's devices (owners; roots)",
        list: "The organisation's map markers (through a company, its root's)",
        get: "A map marker",
        update: "Change a map marker (owners)",
        delete: "Delete a map marker (owners)",
    };

    fn key(organisation: OrganisationId, id: MarkerId) -> Key {
        keys::marker(organisation, id)
    }

    fn new_id() -> MarkerId {
        MarkerId::generate()
    }

    fn blank(id: MarkerId, organisation: OrganisationId, now: Timestamp) -> Self {
        Marker {
            id,
            organisation_id: organisation,
            label: String::new(),
            icon: String::new(),
            colour: String::new(),
            applies_to: MarkerTarget::default(),
            created_at: now,
            updated_at: now,
        }
    }

    fn patched(&self, patch: MarkerPatch, _: &StoreAndClock, now: Timestamp) -> Result<Self, ValidationErrors> {
        self.changed_by(patch, now)
    }

    fn deletable() -> Option<(Condition, DomainError)> {
        Some((Condition::Exists, DomainError::NotFound))
    }
}
impl Marker {
    /// The marker with the patch's fields changed (needing nothing but the clock's time).
    fn changed_by(&self, patch: MarkerPatch, now: Timestamp) -> Result<Self, ValidationErrors> {
        let mut errors = Collector::new();
        let mut next = self.clone();
        if let Some(label) = patch.label.as_deref() {
            next.label = errors
                .check(free_text("label", label, MAX_NAME_CHARS))
                .unwrap_or_default();
        }
        if let Some(icon) = patch.icon {
            if !is_icon(&icon) {
                errors.push(
                    "icon",
                    "invalid_icon",
                    "lower-case letters, digits, `_` and `-`; up to 40",
                );
            }
            next.icon = icon;
        }
        if let Some(colour) = patch.colour {
            if !is_colour(&colour) {
                errors.push("colour", "invalid_colour", "a colour like #1f77b4");
            }
            next.colour = colour.to_ascii_lowercase();
        }
        if let Some(target) = patch.applies_to {
            let named = [
                target.environment_id.is_some(),
                target.model_id.is_some(),
                target.status.is_some(),
            ];
            if named.iter().filter(|&&named| named).count() != 1 {
                errors.push(
                    "applies_to",
                    "one_target",
                    "exactly one of environment_id, model_id or status",
                );
            }
            next.applies_to = target;
        }
        next.updated_at = now;
        errors.finish(|| next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marker_names_exactly_one_target() {
        let marker = Marker::blank(
            MarkerId::generate(),
            OrganisationId::generate(),
            Timestamp::new(chrono::Utc::now()),
        );
        let both = MarkerPatch {
            applies_to: Some(MarkerTarget {
                status: Some(DeviceStatus::Active),
                model_id: Some(DeviceModelId::generate()),
                environment_id: None,
            }),
            colour: Some("red".into()),
            ..Default::default()
        };
        let codes: Vec<&str> = marker
            .changed_by(both, marker.created_at)
            .unwrap_err()
            .errors()
            .iter()
            .map(|e| e.code)
            .collect();
        assert_eq!(codes, ["invalid_colour", "one_target"]);
    }
}
