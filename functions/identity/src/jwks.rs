//! The public keys access tokens are verified with, as a JSON Web Key Set.

use super::IdentityState;
use axum::Json;
use axum::extract::State;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use stratum_infra::http::{Access, Api, Operation};
use stratum_shared::identity::Identity;
use utoipa::ToSchema;

pub(crate) fn routes(api: Api<IdentityState>) -> Api<IdentityState> {
    api.route(
        Operation::get("/.well-known/jwks.json", "jwks")
            .summary(
                "auth",
                "The public keys access tokens are verified with (RFC 7517; the signing key first)",
            )
            .answers::<Jwks>(200)
            .access(Access::Public),
        jwks,
    )
}

/// A JSON Web Key Set (RFC 7517) of Ed25519 keys (RFC 8037).
#[derive(Serialize, ToSchema)]
struct Jwks {
    keys: Vec<Jwk>,
}

#[derive(Serialize, ToSchema)]
struct Jwk {
    /// `OKP`
    kty: &'static str,
    /// `Ed25519`
    crv: &'static str,
    /// The raw public key, base64url without padding.
    x: String,
    /// What access tokens name in their header's `kid`.
    kid: String,
    /// `EdDSA`
    alg: &'static str,
    /// `sig`
    #[serde(rename = "use")]
    usage: &'static str,
}

async fn jwks(State(identity): State<Identity>) -> Json<Jwks> {
    let keys = identity
        .tokens
        .verification_keys()
        .into_iter()
        .map(|key| Jwk {
            kty: "OKP",
            crv: "Ed25519",
            x: URL_SAFE_NO_PAD.encode(&key.public_key),
            kid: key.kid,
            alg: "EdDSA",
            usage: "sig",
        })
        .collect();
    Json(Jwks { keys })
}
