//! Platform settings that tenancy depends on.

use super::Tenancy;
use crate::audit::{AuditEvent, RequestContext};
use crate::error::{DomainError, DomainResult};
use crate::identity::{PlatformAdmin, Principal, require_platform_admin};
use crate::keys;
use crate::settings::PlatformSettings;
use crate::store::{Item, Write};
use crate::unit_of_work::UnitOfWork;

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
