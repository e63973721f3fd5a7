//! The identity function's routes: registration, e-mail confirmation, sign-in, token refresh,
//! sign-out, password reset, the caller's profile and sessions, and user administration.
//!
//! One module per sub-resource, each declaring its routes beside its handlers; [`api`] chains
//! them. The request fields several of them share live in `fields`.

mod fields;
mod jwks;
mod me;
mod password_reset;
mod registration;
mod sign_in;
mod users;

pub use password_reset::FORGOT_PASSWORD_TAKES;

use axum::extract::FromRef;
use stratum_infra::http::{Api, ApiError};
use stratum_shared::identity::Identity;
use stratum_shared::invitations::Invitations;

pub(crate) type Result<T> = std::result::Result<T, ApiError>;

/// The identity function's state: identity, and the invitations a registration accepts.
#[derive(Clone)]
pub struct IdentityState {
    pub identity: Identity,
    pub invitations: Invitations,
}

impl FromRef<IdentityState> for Identity {
    fn from_ref(state: &IdentityState) -> Identity {
        state.identity.clone()
    }
}

impl FromRef<IdentityState> for Invitations {
    fn from_ref(state: &IdentityState) -> Invitations {
        state.invitations.clone()
    }
}

pub fn api(invitations: Invitations) -> Api {
    let state = IdentityState {
        identity: invitations.identity.clone(),
        invitations,
    };
    // The order of declaration is the order `Api::operations` lists the routes in: kept as it
    // was before the routes moved into their modules.
    let sub_resources: [fn(Api<IdentityState>) -> Api<IdentityState>; 6] = [
        registration::routes,
        sign_in::routes,
        password_reset::routes,
        me::routes,
        users::routes,
        jwks::routes,
    ];
    sub_resources
        .into_iter()
        .fold(Api::new(), |api, routes| routes(api))
        .with_state(state)
}
