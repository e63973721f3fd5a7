//! The map (issue 13, item 5): an RFC 7946 GeoJSON FeatureCollection of the devices the caller
//! sees that have a position, each drawn with the marker that fits it best.

use super::Devices;
use super::reach::Fleet;
use super::registry::Device;
use crate::devices::markers::Marker;
use crate::error::DomainResult;
use crate::identity::Principal;
use crate::ids::OrganisationId;
use crate::keys;
use crate::store::{Cursor, Index, Query, SortCondition};
use crate::tenancy::ViewOrganisation;
use crate::validation::ValidationErrors;
use serde::Serialize;
use serde_json::{Value, json};

/// Devices a map request reads at most (pages of [`MAP_READ_SIZE`]): a map of an organisation
/// whose devices are mostly unplaced or outside the box goes on by `next_cursor`, each page
/// bounded in cost.
const MAP_READS: usize = 5;
const MAP_READ_SIZE: u32 = 200;
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
}
