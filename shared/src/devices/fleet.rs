//! An organisation's devices (issue 13, item 3, first part): listed and read by its staff (a
//! company's staff: the company's; an end user: those assigned to them), and configured by
//! its owners — name, company, end user, location, status, firmware and free metadata.

use super::Devices;
use super::environments::environment_count;
use super::reach::Fleet;
use super::registry::{Device, DeviceStatus, device_item, end_user_pointer_writes};
use crate::audit::{AuditEvent, RequestContext};
use crate::devices::DevicePatch;
use crate::error::{DomainError, DomainResult};
use crate::identity::{Membership, Organisation, Principal};
use crate::ids::{DeviceId, DeviceModelId, EnvironmentId, OrganisationId};
use crate::keys;
use crate::sims::{Sim, sim_write};
use crate::store::{Condition, Cursor, Index, Query, Write};
use crate::telecom::Iccid;
use crate::tenancy::{ManageDevices, ViewOrganisation};
use crate::unit_of_work::UnitOfWork;
use crate::validation::ValidationErrors;
use serde_json::json;

/// Filters of `GET …/devices`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceFilter {
    pub company_id: Option<OrganisationId>,
    pub model_id: Option<DeviceModelId>,
    pub environment_id: Option<EnvironmentId>,
    pub status: Option<DeviceStatus>,
    pub sim_iccid: Option<Iccid>,
}

impl DeviceFilter {
    fn matches(&self, device: &Device) -> bool {
        self.company_id.is_none_or(|c| device.company_id == Some(c))
            && self.model_id.is_none_or(|m| device.model_id == m)
            && self.environment_id.is_none_or(|e| device.environment_id == Some(e))
            && self.status.is_none_or(|s| device.status == s)
            && self
                .sim_iccid
                .as_ref()
                .is_none_or(|i| device.sim_iccid.as_ref() == Some(i))
    }
}

impl Devices {
    /// A page of the organisation's devices the caller may see: a keyed query of the root's
    /// devices, the company, model and end-user scope applied to the page read.
    pub async fn organisation_devices(
        &self,
        principal: &Principal,
        organisation_id: OrganisationId,
        filter: DeviceFilter,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> DomainResult<(Vec<Device>, Option<Cursor>)> {
        let fleet = Fleet::of::<ViewOrganisation>(self, principal, organisation_id).await?;
        let page = self
            .store
            .query(
                &Query::new(Index::Gsi1, keys::devices_partition(fleet.root))
                    .limit(limit)
                    .after(cursor),
            )
            .await?;
        let devices = page
            .items
            .iter()
            .map(|item| item.record::<Device>())
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .filter(|device| fleet.sees(device) && filter.matches(device))
            .collect();
        Ok((devices, page.next))
    }

    /// One of the organisation's devices, if the caller may see it.
    pub async fn organisation_device(
        &self,
        principal: &Principal,
        organisation_id: OrganisationId,
        id: DeviceId,
    ) -> DomainResult<(Device, u64)> {
        let fleet = Fleet::of::<ViewOrganisation>(self, principal, organisation_id).await?;
        let item = self.store.get(&keys::device(id)).await?.ok_or(DomainError::NotFound)?;
        let device: Device = item.record()?;
        if !fleet.sees(&device) {
            return Err(DomainError::NotFound);
        }
        Ok((device, item.version))
    }

    /// Configures a device (owners), if it is still at `if_match`'s version.
    pub async fn update_device(
        &self,
        principal: &Principal,
        context: &RequestContext,
        organisation_id: OrganisationId,
        id: DeviceId,
        patch: DevicePatch,
        if_match: Option<u64>,
    ) -> DomainResult<(Device, u64)> {
        let fleet = Fleet::of::<ManageDevices>(self, principal, organisation_id).await?;
        let item = self.store.get(&keys::device(id)).await?.ok_or(DomainError::NotFound)?;
        let device: Device = item.record()?;
        if !fleet.sees(&device) {
            return Err(DomainError::NotFound);
        }
        if if_match.is_some_and(|wanted| wanted != item.version) {
            return Err(DomainError::PreconditionFailed);
        }
        let mut next = device.clone();
        if let Some(name) = patch.name {
            next.name = name;
        }
        if let Some(company) = patch.company_id {
            next.company_id = company;
            if company != device.company_id {
                // An end user belongs to a company; a device that leaves it leaves them too.
                next.end_user_id = None;
            }
        }
        if let Some(user) = patch.end_user_id {
            next.end_user_id = user;
        }
        if let Some(location) = patch.location {
            next.location = location;
        }
        if let Some(status) = patch.status {
            if device.status == DeviceStatus::Decommissioned && status != DeviceStatus::Decommissioned {
                return Err(DomainError::conflict(
                    "decommissioned",
                    "a decommissioned device stays decommissioned",
                ));
            }
            next.status = status;
        }
        if let Some(environment) = patch.environment_id {
            next.environment_id = environment;
        }
        if let Some(firmware) = patch.firmware {
            next.firmware = firmware;
        }
        if let Some(metadata) = patch.metadata {
            next.metadata = metadata;
        }
        if let Some(sim) = patch.sim_iccid {
            next.sim_iccid = sim;
        }
        let mut checks = self.check_placement(&fleet, &next).await?;
        checks.extend(self.sim_moves(&fleet, &device, &next).await?);
        checks.extend(end_user_pointer_writes(&device, &next));
        let mut unit = UnitOfWork::new();
        if next.environment_id != device.environment_id {
            if let Some(left) = device.environment_id {
                unit = unit.write(environment_count(fleet.root, left, -1));
            }
            if let Some(entered) = next.environment_id {
                unit = unit.write_or(
                    environment_count(fleet.root, entered, 1),
                    DomainError::Inconsistent(ValidationErrors::single(
                        "environment_id",
                        "unknown_environment",
                        "no environment of this organisation has this id",
                    )),
                );
            }
        }
        if next.status == DeviceStatus::Decommissioned && device.status != DeviceStatus::Decommissioned {
            unit = unit.write_or(
                Write::Check {
                    key: keys::device_credentials(device.id),
                    condition: Condition::NotExists,
                },
                DomainError::conflict("credentials_exist", "revoke the device's credentials first"),
            );
        }
        next.updated_at = self.now();
        let event = AuditEvent::by(principal.actor())
            .did("device.changed")
            .on("device", id)
            .in_organisation(fleet.root)
            .changes(json!(next))
            .at(next.updated_at, context);
        unit.write_or(
            Write::Put {
                item: device_item(&next, Some(item.version)),
                condition: Some(Condition::VersionIs(item.version)),
            },
            DomainError::PreconditionFailed,
        )
        .writes(checks)
        .audit(event)
        .otherwise(DomainError::conflict(
            "concurrent_change",
            "the end user's membership changed meanwhile; try again",
        ))
        .commit(&*self.store)
        .await?;
        Ok((next, item.version + 1))
    }

    /// The SIM writes of a device's SIM changing from `before`'s to `after`'s: the new SIM,
    /// the organisation's and installed nowhere else, gets the device and its IMEI as lock;
    /// the old one is taken out (installed nowhere, unlocked). Each is conditional on the
    /// version read, so two devices racing for one SIM cannot both have it.
    async fn sim_moves(&self, fleet: &Fleet, before: &Device, after: &Device) -> DomainResult<Vec<Write>> {
        if before.sim_iccid == after.sim_iccid {
            return Ok(vec![]);
        }
        let mut writes: Vec<Write> = self.take_out(before).await?.into_iter().collect();
        if let Some(new) = &after.sim_iccid {
            let item = self.store.get(&keys::sim(fleet.root, new)).await?;
            let sim = item.as_ref().map(|item| item.record::<Sim>()).transpose()?;
            // Through a company only the company's own SIMs exist: the root's stock and a
            // sibling's answer as an ICCID nobody holds does.
            let Some((sim, version)) = sim
                .filter(|sim| sim.organisation_id == fleet.root)
                .filter(|sim| fleet.company.is_none_or(|company| sim.company_id == Some(company)))
                .zip(item.map(|item| item.version))
            else {
                return Err(DomainError::Inconsistent(ValidationErrors::single(
                    "sim_iccid",
                    "unknown_sim",
                    "no SIM of this organisation has this ICCID",
                )));
            };
            if sim.installed_in.is_some_and(|device| device != after.id) {
                return Err(DomainError::Inconsistent(ValidationErrors::single(
                    "sim_iccid",
                    "installed_elsewhere",
                    "this SIM is installed in another device; take it out there first",
                )));
            }
            let installed = Sim {
                installed_in: Some(after.id),
                imei_lock: Some(after.imei.clone()),
                updated_at: self.now(),
                ..sim
            };
            writes.push(sim_write(&installed, Some(version)));
        }
        Ok(writes)
    }

    /// The write that takes a device's SIM out of it (installed nowhere, unlocked), if it has
    /// one that is still installed in it.
    pub(super) async fn take_out(&self, device: &Device) -> DomainResult<Option<Write>> {
        let (Some(iccid), Some(root)) = (&device.sim_iccid, device.organisation_id) else {
            return Ok(None);
        };
        let Some(item) = self.store.get(&keys::sim(root, iccid)).await? else {
            return Ok(None);
        };
        let sim: Sim = item.record()?;
        if sim.installed_in != Some(device.id) {
            return Ok(None);
        }
        let out = Sim {
            installed_in: None,
            imei_lock: None,
            updated_at: self.now(),
            ..sim
        };
        Ok(Some(sim_write(&out, Some(item.version))))
    }

    /// That a device's company is one of its root's (through a company: that company) and its
    /// end user an active member of that company; the membership is checked again in the
    /// write.
    async fn check_placement(&self, fleet: &Fleet, device: &Device) -> DomainResult<Vec<Write>> {
        let inconsistent = |field: &str, code: &'static str, message: &str| {
            DomainError::Inconsistent(ValidationErrors::single(field, code, message))
        };
        if let Some(own) = fleet.company
            && device.company_id != Some(own)
        {
            // Neither to a sibling nor back to the root: where a company's device goes is its
            // root's owners' call.
            return Err(inconsistent(
                "company_id",
                "not_this_company",
                "through a company, devices stay in that company",
            ));
        }
        let Some(company) = device.company_id else {
            if device.end_user_id.is_some() {
                return Err(inconsistent(
                    "end_user_id",
                    "no_company",
                    "an end user belongs to a company: place the device in one first",
                ));
            }
            return Ok(vec![]);
        };
        let mut wanted = vec![keys::organisation(company)];
        if let Some(user) = device.end_user_id {
            wanted.push(keys::membership(user, company));
        }
        let found = self.store.batch_get(&wanted).await?;
        let company_record = found[0]
            .as_ref()
            .map(|item| item.record::<Organisation>())
            .transpose()?;
        if company_record.is_none_or(|c| c.parent_organisation_id != Some(fleet.root) || c.deleted_at.is_some()) {
            return Err(inconsistent(
                "company_id",
                "unknown_company",
                "no company of this organisation has this id",
            ));
        }
        let Some(membership_item) = found.get(1) else {
            return Ok(vec![]);
        };
        match membership_item
            .as_ref()
            .map(|item| (item.record::<Membership>(), item.key.clone()))
        {
            Some((Ok(membership), key)) if membership.active => Ok(vec![Write::Check {
                key,
                condition: Condition::AttributeEquals("active".into(), json!(true)),
            }]),
            _ => Err(inconsistent(
                "end_user_id",
                "not_a_member",
                "the end user must be a member of the device's company",
            )),
        }
    }
}
