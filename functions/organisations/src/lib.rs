//! The organisations function's routes: shared organisations (seed 002), companies, members
//! and roles, leaving, audit trails, billing, machines, and the platform settings that govern
//! who may create organisations.
//!
//! One module per sub-resource, each declaring its routes beside its handlers; [`api`] chains
//! them.

mod audit;
mod billing;
mod companies;
mod machines;
mod members;
mod organisations;
mod platform_settings;

use axum::extract::FromRef;
use stratum_infra::http::{Api, ApiError};
use stratum_shared::identity::Identity;
use stratum_shared::invitations::Invitations;
use stratum_shared::tenancy::Tenancy;

pub(crate) type Result<T> = std::result::Result<T, ApiError>;

/// The organisations function's state: tenancy, on identity's ports, and invitations (a
/// `pending_owner` organisation invites its first owner).
#[derive(Clone)]
pub struct Organisations {
    pub tenancy: Tenancy,
    pub invitations: Invitations,
}

impl FromRef<Organisations> for Identity {
    fn from_ref(state: &Organisations) -> Identity {
        state.invitations.identity.clone()
    }
}

pub fn api(invitations: Invitations) -> Api {
    let state = Organisations {
        tenancy: invitations.tenancy.clone(),
        invitations,
    };
    // The order of declaration is the order `Api::operations` lists the routes in: kept as it
    // was before the routes moved into their modules.
    let sub_resources: [fn(Api<Organisations>) -> Api<Organisations>; 7] = [
        organisations::routes,
        companies::routes,
        members::routes,
        audit::routes,
        billing::routes,
        machines::routes,
        platform_settings::routes,
    ];
    sub_resources
        .into_iter()
        .fold(Api::new(), |api, routes| routes(api))
        .with_state(state)
}
