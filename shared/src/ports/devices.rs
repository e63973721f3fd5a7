//! The device gateway port: the broker devices connect to (AWS IoT Core, or the embedded MQTT
//! broker), which issues and revokes their credentials and publishes their commands.

use super::PortError;
use crate::ids::DeviceId;
use crate::time::Timestamp;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// What the broker gave a device.
#[derive(Debug, Clone, PartialEq)]
pub enum Issued {
    /// AWS IoT Core: a certificate attached to the device's thing and the shared policy.
    Certificate {
        certificate_id: String,
        certificate_arn: String,
        certificate_pem: String,
        private_key: String,
    },
    /// The embedded broker, at this address; the password is the domain's to make.
    Mqtt { host: String, port: u16 },
}

/// The broker devices connect to: AWS IoT Core, or the local embedded broker.
#[async_trait]
pub trait DeviceGateway: Send + Sync {
    /// Makes credentials for `device` (on AWS: its thing, a certificate, the policy attached).
    async fn issue(&self, device: DeviceId) -> Result<Issued, PortError>;
    /// Revokes what `issue` made (on AWS: the certificate made inactive and detached).
    async fn revoke(&self, device: DeviceId, credentials: &Credentials) -> Result<(), PortError>;
    /// Publishes `payload` on `topic` (QoS 1).
    async fn publish(&self, topic: &str, payload: &[u8]) -> Result<(), PortError>;
}

/// A device's credentials as stored: which kind, and nothing that would let anyone use them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Credentials {
    pub device_id: DeviceId,
    pub kind: CredentialKind,
    /// The certificate's id and ARN (AWS).
    pub certificate_id: Option<String>,
    pub certificate_arn: Option<String>,
    /// The MQTT password's digest (local).
    pub password_digest: Option<String>,
    pub issued_at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    Certificate,
    Mqtt,
}
