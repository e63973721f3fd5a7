//! A device's upkeep (issue 13, item 3): its maintenance history — entries appended by its
//! owners, never changed or removed — and its own settings of its model's ports (name, unit,
//! calibration, enabled), which the telemetry path applies over the model's defaults.

use super::Devices;
use super::models::{DeviceModel, Port, PortKind, check_calibration, check_unit};
use super::registry::{Device, PortOverride, device_item};
use crate::audit::{Actor, AuditEvent, RequestContext};
use crate::error::{DomainError, DomainResult};
use crate::identity::Principal;
use crate::ids::{DeviceId, MaintenanceId, OrganisationId};
use crate::store::{Condition, Cursor, Item, Write};
use crate::tenancy::{ManageDevices, ReadDevices};
use crate::time::Timestamp;
use crate::unit_of_work::UnitOfWork;
use crate::validation::{Collector, MAX_NAME_CHARS, ValidationErrors, free_text};
use crate::{keys, schema};
use chrono::DateTime;
use serde::{Deserialize, Serialize};
use serde_json::json;

const MAX_NOTE_CHARS: usize = 2_000;

/// An entry of a device's maintenance history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MaintenanceEntry {
    pub id: MaintenanceId,
    pub device_id: DeviceId,
    /// When the work was done.
    pub performed_at: Timestamp,
    /// What was done.
    pub description: String,
    /// Who did it, in the owners' words (a technician, a contractor).
    pub performed_by: Option<String>,
    pub recorded_by: Actor,
    pub recorded_at: Timestamp,
    /// Where the device was when it was recorded: who reads it in the device's history.
    #[serde(default)]
    pub company_id: Option<crate::ids::OrganisationId>,
    #[serde(default)]
    pub end_user_id: Option<crate::ids::UserId>,
}

/// `POST …/devices/{device_id}/maintenance`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = MaintenanceRequest)]
pub struct MaintenancePayload {
    #[schema(schema_with = note)]
    pub description: String,
    /// RFC 3339; now if left out, and never in the future.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub performed_at: Option<String>,
    #[schema(schema_with = schema::optional_name)]
    pub performed_by: Option<String>,
}

fn note() -> utoipa::openapi::schema::Schema {
    schema::free_text(MAX_NOTE_CHARS).into()
}

/// `PUT …/devices/{device_id}/ports/{port}`: the device's whole setting of the port; what it
/// leaves out, the model says.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PortSettingRequest)]
pub struct PortPayload {
    #[schema(schema_with = schema::optional_name)]
    pub name: Option<String>,
    /// Empty for none; free text otherwise.
    #[schema(max_length = 20)]
    pub unit: Option<String>,
    /// Calibration: value = raw × scale + offset; a scale of 0 is refused.
    pub scale: Option<f64>,
    pub offset: Option<f64>,
    #[serde(default = "enabled")]
    pub enabled: bool,
}

fn enabled() -> bool {
    true
}

/// A port as the device uses it: the model's, with the device's own settings over it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = DevicePort)]
pub struct EffectivePort {
    pub number: u8,
    pub name: String,
    pub kind: PortKind,
    pub unit: String,
    pub scale: f64,
    pub offset: f64,
    pub enabled: bool,
    /// Whether the device has its own setting of this port.
    pub overridden: bool,
}

/// A device's ports, in number order.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = DevicePorts)]
pub struct DevicePorts {
    pub items: Vec<EffectivePort>,
}

/// The port as `device` uses it.
pub fn effective_port(port: &Port, setting: Option<&PortOverride>) -> EffectivePort {
    EffectivePort {
        number: port.number,
        name: setting
            .and_then(|s| s.name.clone())
            .unwrap_or_else(|| port.name.clone()),
        kind: port.kind,
        unit: setting
            .and_then(|s| s.unit.clone())
            .unwrap_or_else(|| port.unit.clone()),
        scale: setting.and_then(|s| s.scale).unwrap_or(port.scale),
        offset: setting.and_then(|s| s.offset).unwrap_or(port.offset),
        enabled: setting.is_none_or(|s| s.enabled),
        overridden: setting.is_some(),
    }
}

impl PortPayload {
    fn parse(self) -> Result<PortOverride, ValidationErrors> {
        let mut errors = Collector::new();
        let name = self
            .name
            .and_then(|name| errors.check(free_text("name", &name, MAX_NAME_CHARS)));
        let unit = self.unit.and_then(|unit| check_unit(&mut errors, "unit", &unit));
        check_calibration(&mut errors, &|name| name.to_owned(), self.scale, self.offset);
        errors.finish(|| PortOverride {
            name,
            unit,
            scale: self.scale,
            offset: self.offset,
            enabled: self.enabled,
        })
    }
}

impl Devices {
    /// Appends an entry to a device's maintenance history (owners).
    pub async fn record_maintenance(
        &self,
        principal: &Principal,
        context: &RequestContext,
        organisation_id: OrganisationId,
        id: DeviceId,
        payload: MaintenancePayload,
    ) -> DomainResult<MaintenanceEntry> {
        let now = self.now();
        let mut errors = Collector::new();
        let description = errors.check(free_text("description", &payload.description, MAX_NOTE_CHARS));
        let performed_by = payload
            .performed_by
            .and_then(|name| errors.check(free_text("performed_by", &name, MAX_NAME_CHARS)));
        let performed_at = match payload.performed_at.as_deref().map(DateTime::parse_from_rfc3339) {
            None => Some(now),
            Some(Ok(at)) if at <= now.as_datetime() => Some(Timestamp::new(at.to_utc())),
            Some(Ok(_)) => {
                errors.push("performed_at", "in_the_future", "maintenance is recorded once done");
                None
            }
            Some(Err(_)) => {
                errors.push("performed_at", "invalid_date_time", "an RFC 3339 date-time");
                None
            }
        };
        errors.finish(|| ())?;
        let (device, _, fleet) = self.device_for::<ManageDevices>(principal, organisation_id, id).await?;
        let root = fleet.root;
        let entry = MaintenanceEntry {
            id: MaintenanceId::generate(),
            device_id: device.id,
            performed_at: performed_at.expect("checked"),
            description: description.expect("checked"),
            performed_by,
            recorded_by: principal.actor(),
            recorded_at: now,
            company_id: device.company_id,
            end_user_id: device.end_user_id,
        };
        let event = AuditEvent::by(entry.recorded_by.clone())
            .did("device.maintenance_recorded")
            .on("device", device.id)
            .in_organisation(root)
            .changes(json!(entry))
            .at(now, context);
        UnitOfWork::new()
            .write(Write::Put {
                item: Item::from_record(keys::maintenance_entry(device.id, root, entry.id), &entry),
                condition: Some(Condition::NotExists),
            })
            .audit(event)
            .commit(&*self.store)
            .await?;
        Ok(entry)
    }

    /// A page of a device's maintenance history, newest first (its staff).
    pub async fn maintenance(
        &self,
        principal: &Principal,
        organisation_id: OrganisationId,
        id: DeviceId,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> DomainResult<(Vec<MaintenanceEntry>, Option<Cursor>)> {
        self.history(principal, organisation_id, id, keys::maintenance_of, limit, cursor)
            .await
    }

    /// A device's ports as it uses them (its staff).
    pub async fn ports(
        &self,
        principal: &Principal,
        organisation_id: OrganisationId,
        id: DeviceId,
    ) -> DomainResult<DevicePorts> {
        let (device, ..) = self.device_for::<ReadDevices>(principal, organisation_id, id).await?;
        let model = self.model_of(&device).await?;
        Ok(DevicePorts {
            items: model
                .ports
                .iter()
                .map(|port| effective_port(port, device.ports.get(&port.number)))
                .collect(),
        })
    }

    /// Sets a device's own setting of one of its model's ports (owners), if the device is
    /// still at `if_match`'s version; a port its model lacks is not found.
    pub async fn set_port(
        &self,
        principal: &Principal,
        context: &RequestContext,
        organisation_id: OrganisationId,
        (id, number): (DeviceId, u8),
        payload: PortPayload,
        if_match: Option<u64>,
    ) -> DomainResult<(EffectivePort, u64)> {
        let setting = payload.parse()?;
        let (device, version, fleet) = self.device_for::<ManageDevices>(principal, organisation_id, id).await?;
        let root = fleet.root;
        if if_match.is_some_and(|wanted| wanted != version) {
            return Err(DomainError::PreconditionFailed);
        }
        let model = self.model_of(&device).await?;
        let port = model
            .ports
            .iter()
            .find(|port| port.number == number)
            .ok_or(DomainError::NotFound)?;
        let mut next = device.clone();
        next.ports.insert(number, setting.clone());
        next.updated_at = self.now();
        let event = AuditEvent::by(principal.actor())
            .did("device.port_set")
            .on("device", device.id)
            .in_organisation(root)
            .changes(json!({ "port": number, "setting": setting }))
            .at(next.updated_at, context);
        UnitOfWork::new()
            .write_or(
                Write::Put {
                    item: device_item(&next, Some(version)),
                    condition: Some(Condition::VersionIs(version)),
                },
                DomainError::PreconditionFailed,
            )
            .audit(event)
            .commit(&*self.store)
            .await?;
        Ok((effective_port(port, Some(&setting)), version + 1))
    }

    async fn model_of(&self, device: &Device) -> DomainResult<DeviceModel> {
        let item = self
            .store
            .get(&keys::device_model(device.model_id))
            .await?
            .ok_or_else(|| DomainError::Internal(format!("device {} of a missing model", device.id)))?;
        Ok(item.record()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_setting_overrides_only_what_it_names() {
        let port = Port {
            number: 1,
            name: "Temperature".into(),
            kind: PortKind::Analog,
            unit: "°C".into(),
            scale: 0.1,
            offset: -40.0,
        };
        let setting = PortOverride {
            name: Some("Cold room".into()),
            unit: None,
            scale: None,
            offset: Some(-39.5),
            enabled: true,
        };
        let effective = effective_port(&port, Some(&setting));
        assert_eq!(
            (
                effective.name.as_str(),
                effective.unit.as_str(),
                effective.scale,
                effective.offset
            ),
            ("Cold room", "°C", 0.1, -39.5)
        );
        assert!(effective.overridden);
        assert!(!effective_port(&port, None).overridden);
    }
}
