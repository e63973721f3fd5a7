//! Where devices are (issue 13, item 5): an organisation's environments (facilities,
//! departments, mobile fleets) its devices stand in, the map markers that draw them, and the
//! map itself — an RFC 7946 GeoJSON FeatureCollection of the devices with a position.
//!
//! Environments and markers are catalogue entries of the root (owners write, staff read; a
//! company's staff read the root's). An environment counts the devices in it, updated in each
//! device's own transaction, which also proves the environment exists; one with devices in it
//! is not deleted (`409 environment_in_use`).

use super::Devices;
use super::fleet::Fleet;
use super::registry::{Device, DeviceStatus};
use crate::audit::RequestContext;
use crate::catalogue::{Catalogue, CatalogueEntry};
use crate::error::{DomainError, DomainResult};
use crate::identity::Principal;
use crate::ids::{DeviceModelId, EnvironmentId, MarkerId, OrganisationId};
use crate::keys;
use crate::schema;
use crate::store::{Condition, Cursor, Index, Key, Query, SortCondition, Update, Write};
use crate::tenancy::{ManageSettings, ViewOrganisation};
use crate::time::Timestamp;
use crate::validation::{Collector, MAX_NAME_CHARS, ValidationErrors, free_text};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

const MAX_DESCRIPTION_CHARS: usize = 500;
/// Devices a map request reads at most (pages of [`MAP_READ_SIZE`]): a map of an organisation
/// whose devices are mostly unplaced or outside the box goes on by `next_cursor`, each page
/// bounded in cost.
const MAP_READS: usize = 5;
const MAP_READ_SIZE: u32 = 200;

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
    type Context = ();
    type Manage = ManageSettings;
    const KIND: &'static str = "environment";
    const PREFIX: &'static str = keys::ENVIRONMENTS_PREFIX;
    const COMPANIES_TOO: bool = false;

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

    fn patched(&self, patch: EnvironmentPatch, _: &(), now: Timestamp) -> Result<Self, ValidationErrors> {
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
    fn fit(&self, device: &Device) -> Option<u8> {
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
    type Context = ();
    type Manage = ManageSettings;
    const KIND: &'static str = "map_marker";
    const PREFIX: &'static str = keys::MARKERS_PREFIX;
    const COMPANIES_TOO: bool = false;

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

    fn patched(&self, patch: MarkerPatch, _: &(), now: Timestamp) -> Result<Self, ValidationErrors> {
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

    fn deletable() -> Option<(Condition, DomainError)> {
        Some((Condition::Exists, DomainError::NotFound))
    }
}

/// A bounding box, `west,south,east,north` in degrees (RFC 7946 §5; west > east crosses the
/// antimeridian).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoundingBox {
    pub west: f64,
    pub south: f64,
    pub east: f64,
    pub north: f64,
}

impl BoundingBox {
    pub fn parse(text: &str) -> Result<BoundingBox, ValidationErrors> {
        let invalid = || {
            ValidationErrors::single(
                "bbox",
                "invalid_bbox",
                "west,south,east,north in degrees, south ≤ north",
            )
        };
        let numbers: Vec<f64> = text
            .split(',')
            .map(|part| part.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| invalid())?;
        let [west, south, east, north] = numbers[..] else {
            return Err(invalid());
        };
        let longitude = -180.0..=180.0;
        let latitude = -90.0..=90.0;
        let within = longitude.contains(&west)
            && longitude.contains(&east)
            && latitude.contains(&south)
            && latitude.contains(&north);
        if !within || south > north {
            return Err(invalid());
        }
        Ok(BoundingBox {
            west,
            south,
            east,
            north,
        })
    }

    fn holds(&self, lon: f64, lat: f64) -> bool {
        let within_longitude = if self.west <= self.east {
            (self.west..=self.east).contains(&lon)
        } else {
            lon >= self.west || lon <= self.east
        };
        within_longitude && (self.south..=self.north).contains(&lat)
    }
}

/// The feature of a device on the map, with the marker that fits it best.
fn feature(device: &Device, markers: &[Marker]) -> Option<Value> {
    let location = device.location?;
    let marker = markers
        .iter()
        .filter_map(|marker| marker.applies_to.fit(device).map(|fit| (fit, marker)))
        .max_by_key(|(fit, _)| *fit)
        .map(|(_, marker)| json!({ "id": marker.id, "label": marker.label, "icon": marker.icon, "colour": marker.colour }));
    let coordinates = match location.alt {
        Some(alt) => json!([location.lon, location.lat, alt]),
        None => json!([location.lon, location.lat]),
    };
    Some(json!({
        "type": "Feature",
        "id": device.id,
        "geometry": { "type": "Point", "coordinates": coordinates },
        "properties": {
            "name": device.name,
            "imei": device.imei,
            "model_id": device.model_id,
            "status": device.status,
            "company_id": device.company_id,
            "environment_id": device.environment_id,
            "marker": marker,
        }
    }))
}

/// The map's answer, an RFC 7946 FeatureCollection: a Point feature per device (id: the
/// device's; properties: name, imei, model_id, status, company_id, environment_id and the
/// marker that fits it best, or null), and the cursor of the rest (a foreign member, §6.1).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = DeviceMap)]
pub struct Map {
    /// `FeatureCollection`.
    #[serde(rename = "type")]
    #[schema(value_type = String)]
    pub kind: &'static str,
    /// The bounding box asked for: west, south, east, north.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<f64>>)]
    pub bbox: Option<[f64; 4]>,
    #[schema(value_type = Vec<Object>)]
    pub features: Vec<Value>,
    pub next_cursor: Option<String>,
}

impl Devices {
    pub(super) fn catalogue(&self) -> Catalogue<'_> {
        Catalogue {
            store: &*self.store,
            now: self.now(),
        }
    }

    pub async fn create_environment(
        &self,
        principal: &Principal,
        context: &RequestContext,
        organisation_id: OrganisationId,
        payload: EnvironmentPayload,
    ) -> DomainResult<(Environment, u64)> {
        self.catalogue()
            .create(principal, context, organisation_id, payload, &())
            .await
    }

    pub async fn update_environment(
        &self,
        principal: &Principal,
        context: &RequestContext,
        organisation_id: OrganisationId,
        id: EnvironmentId,
        patch: EnvironmentPatch,
        if_match: Option<u64>,
    ) -> DomainResult<(Environment, u64)> {
        self.catalogue()
            .update(principal, context, organisation_id, id, patch, if_match, &())
            .await
    }

    pub async fn delete_environment(
        &self,
        principal: &Principal,
        context: &RequestContext,
        organisation_id: OrganisationId,
        id: EnvironmentId,
        if_match: Option<u64>,
    ) -> DomainResult<()> {
        self.catalogue()
            .delete::<Environment>(principal, context, organisation_id, id, if_match)
            .await
    }

    pub async fn environment(
        &self,
        principal: &Principal,
        organisation_id: OrganisationId,
        id: EnvironmentId,
    ) -> DomainResult<(Environment, u64)> {
        self.catalogue().entry(principal, organisation_id, id).await
    }

    pub async fn environments(
        &self,
        principal: &Principal,
        organisation_id: OrganisationId,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> DomainResult<(Vec<Environment>, Option<Cursor>)> {
        self.catalogue()
            .entries(principal, organisation_id, limit, cursor)
            .await
    }

    pub async fn create_marker(
        &self,
        principal: &Principal,
        context: &RequestContext,
        organisation_id: OrganisationId,
        payload: MarkerPayload,
    ) -> DomainResult<(Marker, u64)> {
        self.catalogue()
            .create(principal, context, organisation_id, payload, &())
            .await
    }

    pub async fn update_marker(
        &self,
        principal: &Principal,
        context: &RequestContext,
        organisation_id: OrganisationId,
        id: MarkerId,
        patch: MarkerPatch,
        if_match: Option<u64>,
    ) -> DomainResult<(Marker, u64)> {
        self.catalogue()
            .update(principal, context, organisation_id, id, patch, if_match, &())
            .await
    }

    pub async fn delete_marker(
        &self,
        principal: &Principal,
        context: &RequestContext,
        organisation_id: OrganisationId,
        id: MarkerId,
        if_match: Option<u64>,
    ) -> DomainResult<()> {
        self.catalogue()
            .delete::<Marker>(principal, context, organisation_id, id, if_match)
            .await
    }

    pub async fn marker(
        &self,
        principal: &Principal,
        organisation_id: OrganisationId,
        id: MarkerId,
    ) -> DomainResult<(Marker, u64)> {
        self.catalogue().entry(principal, organisation_id, id).await
    }

    pub async fn markers(
        &self,
        principal: &Principal,
        organisation_id: OrganisationId,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> DomainResult<(Vec<Marker>, Option<Cursor>)> {
        self.catalogue()
            .entries(principal, organisation_id, limit, cursor)
            .await
    }

    /// The devices the caller may see that have a position (within `bbox`, if given), each
    /// with the marker that fits it best, up to `limit` features a page: pages of the root's
    /// devices are read until the page is full, the devices end, or [`MAP_READS`] pages are
    /// read (a short page with a cursor: read on).
    pub async fn map(
        &self,
        principal: &Principal,
        organisation_id: OrganisationId,
        bbox: Option<BoundingBox>,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> DomainResult<Map> {
        let fleet = Fleet::of::<ViewOrganisation>(self, principal, organisation_id).await?;
        let markers = self.all_markers(fleet.root).await?;
        let mut features = Vec::new();
        let mut cursor = cursor;
        for _ in 0..MAP_READS {
            let page = self
                .store
                .query(
                    &Query::new(Index::Gsi1, keys::devices_partition(fleet.root))
                        .limit(MAP_READ_SIZE)
                        .after(cursor),
                )
                .await?;
            let mut full_at = None;
            for item in &page.items {
                let device: Device = item.record()?;
                let placed = device
                    .location
                    .is_some_and(|at| bbox.is_none_or(|bbox| bbox.holds(at.lon, at.lat)));
                if fleet.sees(&device) && placed {
                    features.extend(feature(&device, &markers));
                    if features.len() as u32 >= limit {
                        full_at = Some(item);
                        break;
                    }
                }
            }
            cursor = match full_at {
                Some(item) => Cursor::at(Index::Gsi1, item),
                None => page.next,
            };
            if full_at.is_some() || cursor.is_none() {
                break;
            }
        }
        Ok(Map {
            kind: "FeatureCollection",
            bbox: bbox.map(|b| [b.west, b.south, b.east, b.north]),
            features,
            next_cursor: cursor.map(|cursor| cursor.encode()),
        })
    }

    /// Every marker of `root` (an organisation has few).
    async fn all_markers(&self, root: OrganisationId) -> DomainResult<Vec<Marker>> {
        let mut markers = Vec::new();
        let mut cursor = None;
        loop {
            let page = self
                .store
                .query(
                    &Query::new(Index::Table, keys::organisation_partition(root))
                        .sort(SortCondition::BeginsWith(keys::MARKERS_PREFIX.to_owned()))
                        .limit(1_000)
                        .after(cursor),
                )
                .await?;
            for item in &page.items {
                markers.push(item.record()?);
            }
            cursor = page.next;
            if cursor.is_none() {
                return Ok(markers);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bounding_box_is_west_south_east_north_and_may_cross_the_antimeridian() {
        let berlin = BoundingBox::parse("13.0,52.3,13.8,52.7").unwrap();
        assert!(berlin.holds(13.405, 52.52));
        assert!(!berlin.holds(2.35, 48.85));
        let pacific = BoundingBox::parse("170,-20,-170,20").unwrap();
        assert!(pacific.holds(179.0, 0.0) && pacific.holds(-179.0, 0.0));
        assert!(!pacific.holds(0.0, 0.0));
        for bad in ["1,2,3", "0,10,1,5", "0,0,181,1", "a,b,c,d"] {
            assert!(BoundingBox::parse(bad).is_err(), "{bad}");
        }
    }

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
            .patched(both, &(), marker.created_at)
            .unwrap_err()
            .errors()
            .iter()
            .map(|e| e.code)
            .collect();
        assert_eq!(codes, ["invalid_colour", "one_target"]);
    }
}
