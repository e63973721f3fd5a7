//! Device models (SPEC §7, seed 001): defined by platform admins, read by everyone signed in.
//! A model names its ports (number, name, kind, unit and default calibration) and the
//! inactivity timeout its devices default to.

use super::Devices;
use crate::audit::{AuditEvent, RequestContext};
use crate::error::{DomainError, DomainResult};
use crate::identity::PlatformAdmin;
use crate::ids::DeviceModelId;
use crate::store::{Condition, Cursor, Index, Item, Query, Write};
use crate::time::Timestamp;
use crate::unit_of_work::UnitOfWork;
use crate::validation::{Collector, MAX_NAME_CHARS, ValidationErrors, free_text, storable_number};
use crate::{keys, schema};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeSet;

/// Ports a model has at most.
pub const MAX_PORTS: usize = 64;
const MAX_UNIT_CHARS: usize = 20;
/// Inactivity timeouts: a minute to a week.
pub(crate) const MIN_TIMEOUT_SECONDS: u32 = 60;
const MAX_TIMEOUT_SECONDS: u32 = 604_800;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PortKind {
    Analog,
    Digital,
    Counter,
}

/// A port of a model, with its default calibration: value = raw × scale + offset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Port {
    #[schema(minimum = 1, maximum = 255)]
    pub number: u8,
    /// Free text like every name (control characters and the like are a 422); stated by length
    /// only here, as the full pattern nested in an array of objects overwhelms the fuzzer's
    /// regex engine.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    pub kind: PortKind,
    /// The unit of the calibrated value (`°C`, `bar`, `kWh`); empty for none.
    #[schema(max_length = 20)]
    #[serde(default)]
    pub unit: String,
    #[serde(default = "one")]
    pub scale: f64,
    #[serde(default)]
    pub offset: f64,
}

fn one() -> f64 {
    1.0
}

/// A port's unit, checked: empty for none.
pub(super) fn check_unit(errors: &mut Collector, field: &str, unit: &str) -> Option<String> {
    if unit.trim().is_empty() {
        Some(String::new())
    } else {
        errors.check(free_text(field, unit, MAX_UNIT_CHARS))
    }
}

/// A port's calibration, checked: a scale other than 0, both storable numbers.
pub(super) fn check_calibration(
    errors: &mut Collector,
    field: &dyn Fn(&str) -> String,
    scale: Option<f64>,
    offset: Option<f64>,
) {
    if scale == Some(0.0) {
        errors.push(field("scale"), "zero_scale", "a scale of 0 would erase every reading");
    }
    for (name, value) in [("scale", scale), ("offset", offset)] {
        if value.is_some_and(|value| !storable_number(value)) {
            errors.push(field(name), "out_of_range", "a magnitude from 1e-130 to 1e125");
        }
    }
}

/// A device model as stored and shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeviceModel {
    pub id: DeviceModelId,
    pub name: String,
    pub manufacturer: String,
    pub ports: Vec<Port>,
    pub inactivity_timeout_seconds: u32,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// `POST /api/device-models`, and the whole model again for `PUT`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = DeviceModelRequest)]
pub struct DeviceModelPayload {
    #[schema(schema_with = schema::name_text)]
    pub name: String,
    #[schema(schema_with = schema::name_text)]
    pub manufacturer: String,
    #[schema(max_items = 64)]
    pub ports: Vec<Port>,
    /// How long a device of this model may stay silent before it is offline (60 s to 7 days).
    #[serde(deserialize_with = "crate::schema::whole_number")]
    #[schema(minimum = 60, maximum = 604_800)]
    pub inactivity_timeout_seconds: u32,
}

/// A model's fields, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelInput {
    pub name: String,
    pub manufacturer: String,
    pub ports: Vec<Port>,
    pub inactivity_timeout_seconds: u32,
}

impl ModelInput {
    pub fn parse(raw: DeviceModelPayload) -> Result<ModelInput, ValidationErrors> {
        let mut errors = Collector::new();
        let name = errors.check(free_text("name", &raw.name, MAX_NAME_CHARS));
        let manufacturer = errors.check(free_text("manufacturer", &raw.manufacturer, MAX_NAME_CHARS));
        if raw.ports.len() > MAX_PORTS {
            errors.push("ports", "too_many", format!("at most {MAX_PORTS} ports"));
        }
        let mut numbers = BTreeSet::new();
        let mut ports = Vec::new();
        for (i, port) in raw.ports.into_iter().enumerate() {
            let field = |name: &str| format!("ports[{i}].{name}");
            if port.number == 0 {
                errors.push(field("number"), "out_of_range", "ports are numbered from 1 to 255");
            } else if !numbers.insert(port.number) {
                errors.push(field("number"), "duplicate_port", "each port number once");
            }
            let name = errors.check(free_text(&field("name"), &port.name, MAX_NAME_CHARS));
            let unit = check_unit(&mut errors, &field("unit"), &port.unit);
            check_calibration(&mut errors, &field, Some(port.scale), Some(port.offset));
            if let (Some(name), Some(unit)) = (name, unit) {
                ports.push(Port { name, unit, ..port });
            }
        }
        if !(MIN_TIMEOUT_SECONDS..=MAX_TIMEOUT_SECONDS).contains(&raw.inactivity_timeout_seconds) {
            errors.push(
                "inactivity_timeout_seconds",
                "out_of_range",
                "60 seconds to 7 days (604,800)",
            );
        }
        ports.sort_by_key(|port| port.number);
        errors.finish(|| ModelInput {
            name: name.expect("checked"),
            manufacturer: manufacturer.expect("checked"),
            ports,
            inactivity_timeout_seconds: raw.inactivity_timeout_seconds,
        })
    }
}

impl Devices {
    /// Defines a model (platform admins).
    pub async fn create_model(
        &self,
        admin: &PlatformAdmin,
        context: &RequestContext,
        input: ModelInput,
    ) -> DomainResult<(DeviceModel, u64)> {
        let now = self.now();
        let model = DeviceModel {
            id: DeviceModelId::generate(),
            name: input.name,
            manufacturer: input.manufacturer,
            ports: input.ports,
            inactivity_timeout_seconds: input.inactivity_timeout_seconds,
            created_at: now,
            updated_at: now,
        };
        self.write_model(admin, context, &model, None, "device_model.created")
            .await?;
        Ok((model, 1))
    }

    /// Replaces a model's definition (platform admins), if still at `if_match`'s version.
    pub async fn replace_model(
        &self,
        admin: &PlatformAdmin,
        context: &RequestContext,
        id: DeviceModelId,
        input: ModelInput,
        if_match: Option<u64>,
    ) -> DomainResult<(DeviceModel, u64)> {
        let (model, version) = self.model(id).await?;
        if if_match.is_some_and(|wanted| wanted != version) {
            return Err(DomainError::PreconditionFailed);
        }
        let replaced = DeviceModel {
            name: input.name,
            manufacturer: input.manufacturer,
            ports: input.ports,
            inactivity_timeout_seconds: input.inactivity_timeout_seconds,
            updated_at: self.now(),
            ..model
        };
        self.write_model(admin, context, &replaced, Some(version), "device_model.changed")
            .await?;
        Ok((replaced, version + 1))
    }

    async fn write_model(
        &self,
        admin: &PlatformAdmin,
        context: &RequestContext,
        model: &DeviceModel,
        version: Option<u64>,
        action: &str,
    ) -> DomainResult<()> {
        let mut item = Item::from_record(keys::device_model(model.id), model);
        item.version = version.map_or(1, |v| v + 1);
        let condition = version.map_or(Condition::NotExists, Condition::VersionIs);
        let event = AuditEvent::by(admin.actor())
            .did(action)
            .on("device_model", model.id)
            .changes(json!(model))
            .at(self.now(), context);
        UnitOfWork::new()
            .write_or(
                Write::Put {
                    item,
                    condition: Some(condition),
                },
                DomainError::PreconditionFailed,
            )
            .audit(event)
            .commit(&*self.store)
            .await
    }

    /// A model and its version.
    pub async fn model(&self, id: DeviceModelId) -> DomainResult<(DeviceModel, u64)> {
        let item = self
            .store
            .get(&keys::device_model(id))
            .await?
            .ok_or(DomainError::NotFound)?;
        Ok((item.record()?, item.version))
    }

    /// A page of the models.
    pub async fn models(&self, limit: u32, cursor: Option<Cursor>) -> DomainResult<(Vec<DeviceModel>, Option<Cursor>)> {
        let page = self
            .store
            .query(&Query::new(Index::Table, keys::DEVICE_MODELS).limit(limit).after(cursor))
            .await?;
        let models = page.items.iter().map(Item::record).collect::<Result<_, _>>()?;
        Ok((models, page.next))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn port(number: u8, scale: f64) -> Port {
        Port {
            number,
            name: format!("Port {number}"),
            kind: PortKind::Analog,
            unit: "°C".into(),
            scale,
            offset: 0.0,
        }
    }

    fn payload(ports: Vec<Port>, timeout: u32) -> DeviceModelPayload {
        DeviceModelPayload {
            name: "T-100".into(),
            manufacturer: "Acme".into(),
            ports,
            inactivity_timeout_seconds: timeout,
        }
    }

    #[test]
    fn a_model_numbers_its_ports_once_and_calibrates_none_to_zero() {
        let codes: Vec<&str> = ModelInput::parse(payload(vec![port(1, 1.0), port(1, 0.0), port(0, 1.0)], 30))
            .unwrap_err()
            .errors()
            .iter()
            .map(|e| e.code)
            .collect();
        assert_eq!(codes, ["duplicate_port", "zero_scale", "out_of_range", "out_of_range"]);
        let input = ModelInput::parse(payload(vec![port(2, 0.5), port(1, 1.0)], 3600)).unwrap();
        assert_eq!(
            input.ports.iter().map(|p| p.number).collect::<Vec<_>>(),
            [1, 2],
            "sorted by number"
        );
    }
}
