//! Who is calling and from where, as extractors.

use super::operation::Access;
use super::problem::ApiError;
use super::request_id::RequestId;
use axum::extract::{FromRef, FromRequestParts, RawPathParams};
use http::header;
use http::request::Parts;
use stratum_shared::accounts::UserKind;
use stratum_shared::audit::RequestContext;
use stratum_shared::identity::{Identity, Principal, require_platform_admin};
use stratum_shared::ids::OrganisationId;
use stratum_shared::tenancy::admits;

/// The authenticated caller: a person by `Authorization: Bearer <access token>`, or a machine
/// by `X-Api-Key`; 401 otherwise.
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl<S> FromRequestParts<S> for Caller
where
    S: Send + Sync,
    Identity: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let scope = scope(parts).await;
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")))
            .map(str::trim);
        let api_key = parts
            .headers
            .get("x-api-key")
            .and_then(|value| value.to_str().ok())
            .map(str::trim);
        let identity = Identity::from_ref(state);
        let principal = match (token, api_key) {
            (Some(token), _) => identity.authenticate(token, scope).await?,
            (None, Some(key)) => identity.authenticate_api_key(key, scope).await?,
            (None, None) => return Err(ApiError::Unauthenticated),
        };
        if let Some(access) = parts.extensions.get::<Access>() {
            admitted(&principal, *access, scope)?;
        }
        Ok(Caller(principal))
    }
}

/// The route's own access rule, applied as soon as the caller is known: extractors run in
/// order and the body comes last, so a caller the route does not admit gets its 403 or 404
/// whatever body it sent, never the body's 422 (issue 21, item 7). The use case authorises
/// again on what it reads; this reads nothing more than authentication did.
fn admitted(principal: &Principal, access: Access, scope: Option<OrganisationId>) -> Result<(), ApiError> {
    match access {
        Access::PlatformAdmins => {
            require_platform_admin(principal)?;
        }
        Access::Persons if principal.user.kind == UserKind::Machine => return Err(ApiError::Forbidden),
        Access::Organisation { permission, admin } => {
            if let Some(organisation) = scope {
                admits(principal, organisation, permission, admin)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// The organisation the request's path names (`{organisation_id}`), which authentication
/// reads along with the caller; a malformed id is left to the handler to refuse.
async fn scope(parts: &mut Parts) -> Option<OrganisationId> {
    let params = RawPathParams::from_request_parts(parts, &()).await.ok()?;
    let (_, value) = params.iter().find(|(name, _)| *name == "organisation_id")?;
    OrganisationId::parse(value, "organisation_id").ok()
}

/// The network address a request came from, as the entry point saw it (API Gateway's
/// `sourceIp`, or the socket's peer locally). Absent when the entry point cannot tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceAddress(pub String);

/// Extracts the [`SourceAddress`] the entry point recorded, if any.
#[derive(Debug, Clone)]
pub struct Source(pub Option<SourceAddress>);

impl<S: Send + Sync> FromRequestParts<S> for Source {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Source(parts.extensions.get::<SourceAddress>().cloned()))
    }
}

/// The request's id and source, for the audit events a change writes.
#[derive(Debug, Clone)]
pub struct Context(pub RequestContext);

impl<S: Send + Sync> FromRequestParts<S> for Context {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Context(RequestContext {
            request_id: parts.extensions.get::<RequestId>().map(|id| id.0.clone()),
            source_address: parts.extensions.get::<SourceAddress>().map(|source| source.0.clone()),
        }))
    }
}
