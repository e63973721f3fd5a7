//! Secrets as ports: password hashing (argon2id), random tokens and their digests, sealing at
//! rest (AES-256-GCM under the data key) and signed access tokens (EdDSA JWTs), all in `infra`.

use crate::accounts::Password;
use crate::error::DomainResult;
use crate::ids::{SessionId, UserId};
use crate::time::Timestamp;
use async_trait::async_trait;

/// Hashes and verifies passwords (argon2id in `infra`). Async because hashing is deliberately
/// slow and must not block the request executor.
#[async_trait]
pub trait PasswordHasher: Send + Sync {
    async fn hash(&self, password: &Password) -> String;
    /// Whether `password` matches the PHC string `hash`.
    async fn verify(&self, password: &str, hash: &str) -> bool;
    /// Spends the time a verification would, for unknown accounts, so response times do not
    /// tell which addresses are registered.
    async fn waste_time(&self, password: &str);
}

/// Random secrets and their digests.
pub trait Secrets: Send + Sync {
    /// A fresh token: 256 bits from a CSPRNG, URL-safe text.
    fn token(&self) -> String;
    /// The digest under which a token is stored (SHA-256, hex); the token itself never is.
    fn digest(&self, token: &str) -> String;
}

/// Encrypts secrets at rest and in transit through queues (AES-256-GCM under the data key in
/// `infra`): provider secrets, and outbox messages whose links carry tokens.
pub trait SecretBox: Send + Sync {
    /// `plaintext` sealed; an error where this process holds no data key (housekeeping).
    fn seal(&self, plaintext: &str) -> DomainResult<String>;
    fn open(&self, sealed: &str) -> Option<String>;
    /// A keyed digest of `text` (HMAC-SHA256 under a key derived from the data key, hex): what
    /// a short secret such as an activation code is stored under, so a copy of the table alone
    /// cannot test guesses against it.
    fn mac(&self, text: &str) -> DomainResult<String>;
}

/// The claims a verified access token carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessClaims {
    pub user_id: UserId,
    pub session_id: SessionId,
    /// When the token's session began (sign-in), so that ending every session at once (a
    /// password reset, a suspension) ends its tokens with it.
    pub session_started_at: Timestamp,
}

/// Issues and verifies short-lived signed access tokens (EdDSA JWTs in `infra`).
pub trait AccessTokens: Send + Sync {
    /// A token for `claims`, valid from `now` for [`AccessTokens::lifetime_seconds`]; an
    /// error where this process holds no signing key (only the identity function signs).
    fn issue(&self, claims: &AccessClaims, now: Timestamp) -> DomainResult<String>;
    /// The claims of a valid token: signature by a known key, issuer, audience and times.
    fn verify(&self, token: &str, now: Timestamp) -> Option<AccessClaims>;
    fn lifetime_seconds(&self) -> u64;
    /// The public keys tokens are verified with (the signing key's first), for
    /// `GET /.well-known/jwks.json`.
    fn verification_keys(&self) -> Vec<VerificationKey>;
}

/// A public key access tokens are verified with: its `kid` and the raw Ed25519 key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationKey {
    pub kid: String,
    pub public_key: Vec<u8>,
}
