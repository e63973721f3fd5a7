//! A caller's reach among an organisation's devices: the root and company they act in, and
//! whether they are staff (who see every device) or an end user (who sees their own).

use super::Devices;
use super::registry::Device;
use crate::error::DomainResult;
use crate::identity::Principal;
use crate::ids::{OrganisationId, UserId};
use crate::placement::Reader;
use crate::tenancy::{Grant, Permission, authorize};

/// A caller's reach among an organisation's devices.
pub(super) struct Fleet {
    pub(super) root: OrganisationId,
    pub(super) company: Option<OrganisationId>,
    pub(super) user: UserId,
    pub(super) staff: bool,
}

impl Fleet {
    pub(super) async fn of<G: Grant>(
        devices: &Devices,
        principal: &Principal,
        organisation_id: OrganisationId,
    ) -> DomainResult<Fleet> {
        let access = authorize::<G>(&*devices.store, principal, organisation_id).await?;
        let organisation = access.organisation();
        Ok(Fleet {
            root: organisation.parent_organisation_id.unwrap_or(organisation.id),
            company: organisation.parent_organisation_id.map(|_| organisation.id),
            user: principal.user.id,
            staff: access.may(Permission::ReadDevices),
        })
    }

    pub(super) fn sees(&self, device: &Device) -> bool {
        device.organisation_id == Some(self.root) && device.placement().seen_by(&self.reader())
    }

    /// The caller as a reader of what was recorded about devices.
    pub(super) fn reader(&self) -> Reader {
        Reader {
            company: self.company,
            user: self.user,
            staff: self.staff,
        }
    }
}
