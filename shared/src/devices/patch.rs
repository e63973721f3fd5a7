//! A device patch as owners send it (`PATCH …/devices/{device_id}`): `null` clears a field,
//! absent keeps it; every bad field is reported at once.

use super::registry::{DeviceStatus, Location};
use crate::ids::{EnvironmentId, OrganisationId, UserId};
use crate::schema;
use crate::telecom::Iccid;
use crate::validation::{Collector, MAX_NAME_CHARS, ValidationErrors, free_text, storable_number};
use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;

const MAX_SHORT_TEXT: usize = 50;

const MAX_METADATA: usize = 20;

const MAX_METADATA_VALUE: usize = 200;

/// `PATCH …/devices/{device_id}`: the fields to change; `null` clears one.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = DevicePatch)]
pub struct DevicePatchPayload {
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = schema::optional_name)]
    pub name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = schema::optional_uuid)]
    pub company_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = schema::optional_uuid)]
    pub end_user_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Location>)]
    pub location: Option<Option<Location>>,
    /// `decommissioned` is final, and needs the device's credentials revoked first.
    pub status: Option<DeviceStatus>,
    /// One of the organisation's environments; `null` takes the device out of its own.
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = schema::optional_uuid)]
    pub environment_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = optional_short)]
    pub firmware: Option<Option<String>>,
    /// Free key/values (at most 20); replaces the whole set.
    pub metadata: Option<BTreeMap<String, String>>,
    /// The SIM installed in the device: one of the organisation's, installed nowhere else; its
    /// IMEI lock becomes the device's IMEI. `null` takes it out.
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = optional_iccid)]
    pub sim_iccid: Option<Option<String>>,
}

fn optional_iccid() -> utoipa::openapi::schema::Schema {
    schema::nullable(<Iccid as utoipa::PartialSchema>::schema())
}

fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

fn optional_short() -> utoipa::openapi::schema::Schema {
    schema::nullable(schema::free_text(MAX_SHORT_TEXT))
}

/// A device patch, parsed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DevicePatch {
    pub name: Option<Option<String>>,
    pub company_id: Option<Option<OrganisationId>>,
    pub end_user_id: Option<Option<UserId>>,
    pub location: Option<Option<Location>>,
    pub status: Option<DeviceStatus>,
    pub environment_id: Option<Option<EnvironmentId>>,
    pub firmware: Option<Option<String>>,
    pub metadata: Option<BTreeMap<String, String>>,
    pub sim_iccid: Option<Option<Iccid>>,
}

impl DevicePatch {
    pub fn parse(raw: DevicePatchPayload) -> Result<DevicePatch, ValidationErrors> {
        let mut errors = Collector::new();
        let mut text = |field: &str, value: Option<Option<String>>, max: usize| match value {
            Some(Some(text)) => errors.check(free_text(field, &text, max)).map(Some),
            other => other,
        };
        let name = text("name", raw.name, MAX_NAME_CHARS);
        let firmware = text("firmware", raw.firmware, MAX_SHORT_TEXT);
        let company_id = match raw.company_id {
            Some(Some(id)) => errors.check(OrganisationId::parse(&id, "company_id")).map(Some),
            other => other.map(|_| None),
        };
        let environment_id = match raw.environment_id {
            Some(Some(id)) => errors.check(EnvironmentId::parse(&id, "environment_id")).map(Some),
            other => other.map(|_| None),
        };
        let end_user_id = match raw.end_user_id {
            Some(Some(id)) => errors.check(UserId::parse(&id, "end_user_id")).map(Some),
            other => other.map(|_| None),
        };
        if let Some(Some(location)) = raw.location {
            let valid = (-90.0..=90.0).contains(&location.lat)
                && (-180.0..=180.0).contains(&location.lon)
                && location.alt.is_none_or(storable_number)
                && [location.lat, location.lon].into_iter().all(storable_number);
            if !valid {
                errors.push("location", "out_of_range", "lat in −90…90, lon in −180…180");
            }
        }
        let metadata = raw.metadata.map(|metadata| {
            if metadata.len() > MAX_METADATA {
                errors.push("metadata", "too_many", format!("at most {MAX_METADATA} keys"));
            }
            metadata
                .into_iter()
                .filter_map(|(key, value)| {
                    let key = errors.check(free_text(&format!("metadata.{key}"), &key, MAX_SHORT_TEXT))?;
                    let value = errors.check(free_text(&format!("metadata.{key}"), &value, MAX_METADATA_VALUE))?;
                    Some((key, value))
                })
                .collect()
        });
        let sim_iccid = match raw.sim_iccid {
            Some(Some(text)) => errors.check(Iccid::parse(&text, "sim_iccid")).map(Some),
            other => other.map(|_| None),
        };
        errors.finish(|| DevicePatch {
            sim_iccid,
            name,
            company_id,
            end_user_id,
            location: raw.location,
            status: raw.status,
            environment_id,
            firmware,
            metadata,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_patch_reports_every_bad_field() {
        let raw: DevicePatchPayload = serde_json::from_value(json!({
            "name": "a\nb", "company_id": "x", "location": { "lat": 91.0, "lon": 0.0 }, "status": "active",
            "metadata": { "room": "4\u{0007}" }
        }))
        .unwrap();
        let fields: Vec<String> = DevicePatch::parse(raw)
            .unwrap_err()
            .errors()
            .iter()
            .map(|e| e.field.clone())
            .collect();
        assert_eq!(fields, ["name", "company_id", "location", "metadata.room"]);
    }

    #[test]
    fn null_clears_and_absent_keeps() {
        let raw: DevicePatchPayload = serde_json::from_value(json!({ "name": null })).unwrap();
        let patch = DevicePatch::parse(raw).unwrap();
        assert_eq!(patch.name, Some(None));
        assert_eq!(patch.firmware, None);
    }
}
