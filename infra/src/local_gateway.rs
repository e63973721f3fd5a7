//! The device gateway of the local server: credentials for the embedded MQTT broker (at
//! `STRATUM_MQTT_ADDR`), whose passwords the domain keeps as digests, and commands handed to
//! the broker over an in-process bus, which it publishes to the device's subscribers.

use async_trait::async_trait;
use stratum_shared::ids::DeviceId;
use stratum_shared::ports::{Credentials, DeviceGateway, Issued, PortError};
use tokio::sync::broadcast;

/// Messages the bus holds for a slow broker before the oldest are dropped.
const BUS_CAPACITY: usize = 1_024;

/// A message for the broker to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publication {
    pub topic: String,
    pub payload: Vec<u8>,
}

#[derive(Clone)]
pub struct LocalGateway {
    host: String,
    port: u16,
    bus: broadcast::Sender<Publication>,
    /// Devices whose credentials were revoked: their open connections end.
    revoked: broadcast::Sender<DeviceId>,
}

impl LocalGateway {
    /// The gateway of the broker listening at `host:port`.
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        Self {
            host: host.into(),
            port,
            bus: broadcast::channel(BUS_CAPACITY).0,
            revoked: broadcast::channel(BUS_CAPACITY).0,
        }
    }

    /// The devices whose credentials are revoked from now on, for the broker.
    pub fn revocations(&self) -> broadcast::Receiver<DeviceId> {
        self.revoked.subscribe()
    }

    /// What the gateway publishes, for the broker.
    pub fn publications(&self) -> broadcast::Receiver<Publication> {
        self.bus.subscribe()
    }
}

#[async_trait]
impl DeviceGateway for LocalGateway {
    async fn issue(&self, _: DeviceId) -> Result<Issued, PortError> {
        Ok(Issued::Mqtt {
            host: self.host.clone(),
            port: self.port,
        })
    }

    /// The broker signs a device in against its stored digest, which revoking deletes; a
    /// connection already open is ended here.
    async fn revoke(&self, device: DeviceId, _: &Credentials) -> Result<(), PortError> {
        // No broker listening: no connection to end.
        let _ = self.revoked.send(device);
        Ok(())
    }

    async fn publish(&self, topic: &str, payload: &[u8]) -> Result<(), PortError> {
        self.bus
            .send(Publication {
                topic: topic.to_owned(),
                payload: payload.to_vec(),
            })
            .map(drop)
            .map_err(|_| {
                tracing::warn!(topic, "no broker is running to publish a command");
                PortError::Unavailable("no broker is running".to_owned())
            })
    }
}
