//! The ports: every trait an adapter in `infra` implements, with the values that cross it. Use
//! cases hold them as `Arc<dyn …>`; the adapters are DynamoDB or SQLite, SQS or an in-process
//! queue, SES or `.eml` files, IoT Core or the embedded broker, argon2id, AES-256-GCM, EdDSA.
//!
//! - the single table: [`Store`];
//! - time: [`Clock`];
//! - secrets: [`PasswordHasher`], [`Secrets`], [`SecretBox`], [`AccessTokens`];
//! - the outbox's relay and the notifier: [`Queue`], [`Mailer`], [`MailSeal`], [`MailOpen`];
//! - chunks of jobs: [`JobQueue`];
//! - the broker devices connect to: [`DeviceGateway`];
//! - a SIM's operator: [`OperatorConnector`].
//!
//! A port that calls another service answers a [`PortError`], which says whether trying the
//! same call again can help; the store answers its own [`StoreError`](crate::store::StoreError).

mod clock;
mod devices;
mod jobs;
mod mail;
mod operators;
mod secrets;
mod store;

pub use clock::Clock;
pub use devices::{CredentialKind, Credentials, DeviceGateway, Issued};
pub use jobs::{ChunkOfRows, JobQueue};
pub use mail::{MailOpen, MailSeal, Mailer, OutboxMessage, Queue, Refusal};
pub use operators::{ConnectorAnswer, OperatorConnector, StateChange};
pub use secrets::{AccessClaims, AccessTokens, PasswordHasher, SecretBox, Secrets, VerificationKey};
pub use store::Store;

/// Why a call to another service failed, and whether the same call can succeed later.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PortError {
    /// The service could not be reached, timed out, throttled or failed itself: the same call
    /// may succeed later.
    #[error("{0}")]
    Unavailable(String),
    /// The service refused this call (bad input, missing resource, no permission): the same
    /// call will fail the same way.
    #[error("{0}")]
    Refused(String),
}

impl From<PortError> for crate::error::DomainError {
    fn from(error: PortError) -> Self {
        crate::error::DomainError::Internal(error.to_string())
    }
}

impl PortError {
    /// Whether trying the same call again can help.
    pub fn is_transient(&self) -> bool {
        matches!(self, PortError::Unavailable(_))
    }
}
