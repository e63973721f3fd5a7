//! The platform settings (platform admins), which govern among other things who may create
//! organisations.

use super::{Organisations, Result};
use axum::Json;
use axum::extract::State;
use stratum_infra::http::{Access, Api, Caller, Context, Operation, RequestBody, Valid};
use stratum_shared::settings::PlatformSettings;
use stratum_shared::validation::ValidationErrors;

pub(crate) fn routes(api: Api<Organisations>) -> Api<Organisations> {
    api.route(
        Operation::get("/api/platform/settings", "getPlatformSettings")
            .summary("platform", "Platform settings (platform admins)")
            .access(Access::PlatformAdmins)
            .answers::<PlatformSettings>(200),
        get_platform_settings,
    )
    .route(
        Operation::put("/api/platform/settings", "putPlatformSettings")
            .summary("platform", "Change platform settings (platform admins)")
            .access(Access::PlatformAdmins)
            .takes::<PlatformSettings>()
            .answers::<PlatformSettings>(200),
        put_platform_settings,
    )
}

async fn get_platform_settings(
    State(state): State<Organisations>,
    Caller(principal): Caller,
) -> Result<Json<PlatformSettings>> {
    let admin = stratum_shared::identity::require_platform_admin(&principal)?;
    Ok(Json(state.tenancy.platform_settings_for(&admin).await?))
}

struct Settings(PlatformSettings);

impl RequestBody for Settings {
    type Raw = PlatformSettings;

    fn parse(raw: PlatformSettings) -> std::result::Result<Self, ValidationErrors> {
        raw.parse().map(Settings)
    }
}

async fn put_platform_settings(
    State(state): State<Organisations>,
    Caller(principal): Caller,
    Context(context): Context,
    Valid(Settings(settings)): Valid<Settings>,
) -> Result<Json<PlatformSettings>> {
    Ok(Json(
        state
            .tenancy
            .set_platform_settings(&principal, &context, settings)
            .await?,
    ))
}
