//! Platform settings that tenancy depends on.

use super::Tenancy;
use crate::audit::{AuditEvent, RequestContext};
use crate::error::{DomainError, DomainResult};
use crate::identity::{PlatformAdmin, Principal, require_platform_admin};
use crate::keys;
use crate::store::{Item, Write};
use crate::unit_of_work::UnitOfWork;
use serde::{Deserialize, Serialize};

/// Who may create shared organisations (SPEC §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrganisationCreation {
    /// Any person (seed 004).
    #[default]
    Anyone,
    /// Platform admins only, naming the first owner (seed 003).
    PlatformAdmins,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlatformSettings {
    #[serde(default)]
    pub organisation_creation: OrganisationCreation,
    /// Days an invitation stays valid (`invitations.expiry_days`), 1 to 365.
    #[serde(
        default = "default_invitation_expiry_days",
        deserialize_with = "crate::schema::whole_number"
    )]
    #[schema(minimum = 1, maximum = 365)]
    pub invitation_expiry_days: u32,
}

/// The longest an invitation may stay valid.
pub const MAX_INVITATION_EXPIRY_DAYS: u32 = 365;

impl PlatformSettings {
    /// Settings as sent, held to their bounds.
    pub fn parse(self) -> Result<Self, crate::validation::ValidationErrors> {
        if !(1..=MAX_INVITATION_EXPIRY_DAYS).contains(&self.invitation_expiry_days) {
            return Err(crate::validation::ValidationErrors::single(
                "invitation_expiry_days",
                "out_of_range",
                "a whole number of days from 1 to 365",
            ));
        }
        Ok(self)
    }
}

fn default_invitation_expiry_days() -> u32 {
    14
}

impl Default for PlatformSettings {
    fn default() -> Self {
        Self {
            organisation_creation: OrganisationCreation::default(),
            invitation_expiry_days: default_invitation_expiry_days(),
        }
    }
}

impl Tenancy {
    pub async fn platform_settings(&self) -> DomainResult<PlatformSettings> {
        Ok(self
            .store
            .get(&keys::platform_settings())
            .await?
            .map(|item| item.record())
            .transpose()?
            .unwrap_or_default())
    }

    /// The platform settings as platform admins read them (`GET /api/platform/settings`);
    /// other use cases read them with [`Tenancy::platform_settings`].
    pub async fn platform_settings_for(&self, _admin: &PlatformAdmin) -> DomainResult<PlatformSettings> {
        self.platform_settings().await
    }

    /// Replaces the platform settings (platform admins; to anyone else they do not exist).
    pub async fn set_platform_settings(
        &self,
        principal: &Principal,
        context: &RequestContext,
        settings: PlatformSettings,
    ) -> DomainResult<PlatformSettings> {
        let admin = require_platform_admin(principal)?;
        self.replace_platform_settings(&admin, context, settings).await
    }

    async fn replace_platform_settings(
        &self,
        admin: &PlatformAdmin,
        context: &RequestContext,
        settings: PlatformSettings,
    ) -> DomainResult<PlatformSettings> {
        let changes = serde_json::to_value(&settings).map_err(|e| DomainError::Internal(e.to_string()))?;
        let event = AuditEvent::by(admin.actor())
            .did("platform.settings_changed")
            .on("platform", "settings")
            .changes(changes)
            .at(self.now(), context);
        let item = Item::from_record(keys::platform_settings(), &settings);
        UnitOfWork::new()
            .write(Write::Put { item, condition: None })
            .audit(event)
            .commit(&*self.store)
            .await?;
        Ok(settings)
    }
}
