//! The device registry: platform admins pre-register devices by IMEI and model, and hand
//! them to an organisation. An IMEI is one item platform-wide, so a second registration of it
//! fails its conditional put (`409 imei_taken`). Devices are never deleted.

use super::Devices;
use super::environments::environment_count;
use crate::accounts::OrganisationKind;
use crate::audit::{AuditEvent, RequestContext};
use crate::error::{DomainError, DomainResult};
use crate::identity::{Organisation, PlatformAdmin};
use crate::ids::{DeviceId, DeviceModelId, EnvironmentId, JobId, OrganisationId, UserId};
use crate::keys;
use crate::store::{Condition, Cursor, Index, Item, Query, Write};
use crate::telecom::{Iccid, Imei};
use crate::time::Timestamp;
use crate::unit_of_work::UnitOfWork;
use crate::validation::ValidationErrors;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;

/// A device as stored and shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Device {
    pub id: DeviceId,
    pub imei: Imei,
    pub model_id: DeviceModelId,
    /// The organisation it was handed to; none while it is the platform's.
    pub organisation_id: Option<OrganisationId>,
    /// What its owners call it.
    #[serde(default)]
    pub name: Option<String>,
    /// The company of the organisation it is placed in, and the end user it serves there.
    #[serde(default)]
    pub company_id: Option<OrganisationId>,
    #[serde(default)]
    pub end_user_id: Option<UserId>,
    #[serde(default)]
    pub location: Option<Location>,
    #[serde(default, deserialize_with = "DeviceStatus::lenient")]
    pub status: DeviceStatus,
    /// The environment of its organisation it stands in.
    #[serde(default)]
    pub environment_id: Option<EnvironmentId>,
    #[serde(default)]
    pub firmware: Option<String>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    /// The SIM installed in it (locked to its IMEI).
    #[serde(default)]
    pub sim_iccid: Option<Iccid>,
    /// Its own settings of its model's ports, by port number.
    #[serde(default)]
    #[schema(value_type = BTreeMap<String, PortOverride>)]
    pub ports: BTreeMap<u8, PortOverride>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Where a device is in its life. A decommissioned device is retired for good: its messages
/// are dropped, and its status stays.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeviceStatus {
    #[default]
    Active,
    Inactive,
    Maintenance,
    Decommissioned,
}

impl DeviceStatus {
    /// A stored status: devices stored before the status was a closed set hold `null` or
    /// their owners' free text, which read as `active`.
    fn lenient<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<DeviceStatus, D::Error> {
        let stored = Option::<serde_json::Value>::deserialize(deserializer)?;
        Ok(stored
            .and_then(|value| serde_json::from_value(value).ok())
            .unwrap_or_default())
    }
}

/// A device's own setting of one of its model's ports; what it leaves out, the model says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PortOverride {
    pub name: Option<String>,
    pub unit: Option<String>,
    pub scale: Option<f64>,
    pub offset: Option<f64>,
    /// A disabled port's values are not kept.
    pub enabled: bool,
}

/// `POST /api/devices`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = DeviceRegistration)]
pub struct RegistrationPayload {
    /// 15 digits with a Luhn check digit, or the 14 without it (completed).
    #[schema(value_type = Imei)]
    pub imei: String,
    pub model_id: DeviceModelId,
}

/// `PUT /api/devices/{device_id}/organisation`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = DeviceAssignment)]
pub struct OrganisationPayload {
    /// A shared root organisation.
    pub organisation_id: OrganisationId,
}

impl Device {
    /// Where the device is within its organisation: what is recorded about it carries this.
    pub fn placement(&self) -> crate::placement::Placement {
        crate::placement::Placement::new(self.company_id, self.end_user_id)
    }

    /// A device just registered: the platform's, placed nowhere.
    pub(super) fn registered(id: DeviceId, imei: Imei, model_id: DeviceModelId, now: Timestamp) -> Device {
        Device {
            id,
            imei,
            model_id,
            organisation_id: None,
            name: None,
            company_id: None,
            end_user_id: None,
            location: None,
            status: DeviceStatus::Active,
            environment_id: None,
            firmware: None,
            metadata: BTreeMap::new(),
            sim_iccid: None,
            ports: BTreeMap::new(),
            created_at: now,
            updated_at: now,
        }
    }
}

/// Whether devices may be handed to `organisation`: a shared root that is not deleted.
pub(super) fn is_shared_root(organisation: &Organisation) -> bool {
    organisation.kind != OrganisationKind::Personal
        && organisation.parent_organisation_id.is_none()
        && organisation.deleted_at.is_none()
}

/// The device's item, indexed under its model and, once handed over, its organisation.
pub(super) fn device_item(device: &Device, version: Option<u64>) -> Item {
    let mut item = Item::from_record(keys::device(device.id), device).with_gsi2(keys::device_everywhere(device.id));
    if let Some(organisation) = device.organisation_id {
        item = item.with_gsi1(keys::device_of_organisation(organisation, device.id));
    }
    item.version = version.map_or(1, |v| v + 1);
    item
}

/// Where a device is, in WGS 84 (RFC 7946's coordinates).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Location {
    #[schema(minimum = -90, maximum = 90)]
    pub lat: f64,
    #[schema(minimum = -180, maximum = 180)]
    pub lon: f64,
    /// Metres above the ellipsoid.
    pub alt: Option<f64>,
}

/// What an IMEI's claim records: its device and, for an imported one, the job and row that
/// registered it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ImeiClaim {
    pub device_id: DeviceId,
    #[serde(default)]
    pub job_id: Option<JobId>,
    #[serde(default)]
    pub row: Option<u64>,
}

/// The writes that move a device's end-user pointer from where `before` had it to where
/// `after` has it (none when its organisation, company and end user stay).
pub(super) fn end_user_pointer_writes(before: &Device, after: &Device) -> Vec<Write> {
    let pointer = |device: &Device| {
        Some(keys::end_user_device(
            device.organisation_id?,
            device.end_user_id?,
            device.company_id?,
            device.id,
        ))
    };
    let (old, new) = (pointer(before), pointer(after));
    if old == new {
        return vec![];
    }
    let mut writes: Vec<Write> = old
        .map(|key| Write::Delete { key, condition: None })
        .into_iter()
        .collect();
    if let Some(key) = new {
        writes.push(Write::Put {
            item: crate::store::Item::from_record(key, &json!({ "device_id": after.id })),
            condition: None,
        });
    }
    writes
}

impl Devices {
    /// Pre-registers a device by IMEI and model (platform admins).
    pub async fn register(
        &self,
        admin: &PlatformAdmin,
        context: &RequestContext,
        imei: Imei,
        model_id: DeviceModelId,
    ) -> DomainResult<(Device, u64)> {
        if self.store.get(&keys::device_model(model_id)).await?.is_none() {
            return Err(DomainError::Inconsistent(ValidationErrors::single(
                "model_id",
                "unknown_model",
                "no device model has this id",
            )));
        }
        let now = self.now();
        let device = Device::registered(DeviceId::generate(), imei, model_id, now);
        let event = AuditEvent::by(admin.actor())
            .did("device.registered")
            .on("device", device.id)
            .changes(json!(device))
            .at(now, context);
        UnitOfWork::new()
            .write_or(
                Write::Put {
                    item: Item::from_record(
                        keys::imei(&device.imei),
                        &ImeiClaim {
                            device_id: device.id,
                            job_id: None,
                            row: None,
                        },
                    ),
                    condition: Some(Condition::NotExists),
                },
                DomainError::conflict("imei_taken", "a device with this IMEI is registered already"),
            )
            .write(Write::Put {
                item: device_item(&device, None),
                condition: Some(Condition::NotExists),
            })
            .audit(event)
            .commit(&*self.store)
            .await?;
        Ok((device, 1))
    }

    /// A device (platform admins).
    pub async fn device(&self, _: &PlatformAdmin, id: DeviceId) -> DomainResult<(Device, u64)> {
        let item = self.store.get(&keys::device(id)).await?.ok_or(DomainError::NotFound)?;
        Ok((item.record()?, item.version))
    }

    /// A page of the platform's devices (platform admins).
    pub async fn devices(
        &self,
        _: &PlatformAdmin,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> DomainResult<(Vec<Device>, Option<Cursor>)> {
        let page = self
            .store
            .query(&Query::new(Index::Gsi2, keys::ALL_DEVICES).limit(limit).after(cursor))
            .await?;
        let devices = page.items.iter().map(Item::record).collect::<Result<_, _>>()?;
        Ok((devices, page.next))
    }

    /// Hands a device to a shared root organisation (platform admins); handing it on to
    /// another is audited in both organisations' trails.
    pub async fn assign_to_organisation(
        &self,
        admin: &PlatformAdmin,
        context: &RequestContext,
        id: DeviceId,
        organisation_id: OrganisationId,
    ) -> DomainResult<(Device, u64)> {
        let found = self
            .store
            .batch_get(&[keys::device(id), keys::organisation(organisation_id)])
            .await?;
        let device_item_read = found[0].as_ref().ok_or(DomainError::NotFound)?;
        let (device, version): (Device, u64) = (device_item_read.record()?, device_item_read.version);
        let organisation = found[1]
            .as_ref()
            .map(|item| item.record::<Organisation>())
            .transpose()?;
        if !organisation.as_ref().is_some_and(is_shared_root) {
            return Err(DomainError::Inconsistent(ValidationErrors::single(
                "organisation_id",
                "not_a_root_organisation",
                "devices are handed to shared root organisations",
            )));
        }
        if device.organisation_id == Some(organisation_id) {
            return Ok((device, version));
        }
        if device.status == DeviceStatus::Decommissioned {
            return Err(DomainError::conflict(
                "decommissioned",
                "a decommissioned device is retired for good",
            ));
        }
        let now = self.now();
        let previous = device.organisation_id;
        // Nothing of the previous organisation goes along: its place there (company, end
        // user, environment, SIM), its owners' words for it (name, location, status,
        // firmware, metadata, port settings) stay behind, and its history is kept under that
        // organisation. Its credentials must have been revoked there first.
        let sim_out = self.take_out(&device).await?;
        let environment_left = device
            .organisation_id
            .zip(device.environment_id)
            .map(|(from, environment)| environment_count(from, environment, -1));
        let moved = Device {
            organisation_id: Some(organisation_id),
            updated_at: now,
            ..Device::registered(device.id, device.imei.clone(), device.model_id, device.created_at)
        };
        let event = |trail: OrganisationId| {
            AuditEvent::by(admin.actor())
                .did("device.assigned")
                .on("device", id)
                .in_organisation(trail)
                .changes(json!({ "from": previous, "to": organisation_id }))
                .at(now, context)
        };
        UnitOfWork::new()
            .write_or(
                Write::Put {
                    item: device_item(&moved, Some(version)),
                    condition: Some(Condition::VersionIs(version)),
                },
                DomainError::conflict("concurrent_change", "the device changed meanwhile; try again"),
            )
            .audit(event(organisation_id))
            .writes(previous.map(|from| event(from).write()))
            .writes(sim_out)
            .writes(environment_left)
            .writes(end_user_pointer_writes(&device, &moved))
            .write_or(
                Write::Check {
                    key: keys::device_credentials(id),
                    condition: Condition::NotExists,
                },
                DomainError::conflict(
                    "credentials_exist",
                    "the device has credentials in its organisation; they revoke them first",
                ),
            )
            .otherwise(DomainError::conflict(
                "concurrent_change",
                "the device's SIM changed meanwhile; try again",
            ))
            .commit(&*self.store)
            .await?;
        Ok((moved, version + 1))
    }
}
