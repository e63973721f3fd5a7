//! The devices function's routes (SPEC §7, §13): device models, pre-registration by IMEI and
//! the hand-over of devices to organisations (the platform's: admins write, everyone signed in
//! reads models), and an organisation's view of its devices.
//!
//! One module per sub-resource, each declaring its routes beside its handlers; [`api`] chains
//! them.

mod alerts;
mod commands;
mod credentials;
mod maintenance;
mod map;
mod models;
mod organisation_devices;
mod ports;
mod registration;
mod telemetry;

pub use registration::IMPORT_LIMIT;

use axum::extract::FromRef;
use stratum_infra::http::{Api, ApiError, catalogue};
use stratum_shared::alerts::AlertRule;
use stratum_shared::catalogue::StoreAndClock;
use stratum_shared::devices::{Devices, Environment, Marker};
use stratum_shared::identity::Identity;

pub(crate) type Result<T> = std::result::Result<T, ApiError>;

/// The devices function's state.
#[derive(Clone)]
pub struct DevicesApi {
    pub identity: Identity,
    pub devices: Devices,
}

impl FromRef<DevicesApi> for StoreAndClock {
    fn from_ref(state: &DevicesApi) -> StoreAndClock {
        StoreAndClock {
            store: state.devices.store.clone(),
            clock: state.devices.clock.clone(),
        }
    }
}

impl FromRef<DevicesApi> for Identity {
    fn from_ref(state: &DevicesApi) -> Identity {
        state.identity.clone()
    }
}

pub fn api(identity: Identity, devices: Devices) -> Api {
    // The order of declaration is the order `Api::operations` lists the routes in: kept as it
    // was before the routes moved into their modules.
    let sub_resources: [fn(Api<DevicesApi>) -> Api<DevicesApi>; 13] = [
        models::routes,
        registration::routes,
        organisation_devices::routes,
        credentials::routes,
        commands::routes,
        catalogue::<Environment, _>,
        catalogue::<AlertRule, _>,
        alerts::routes,
        catalogue::<Marker, _>,
        map::routes,
        maintenance::routes,
        ports::routes,
        telemetry::routes,
    ];
    sub_resources
        .into_iter()
        .fold(Api::new(), |api, routes| routes(api))
        .with_state(DevicesApi { identity, devices })
}
