//! The device gateway of the local server: credentials for the embedded MQTT broker (at
//! `STRATUM_MQTT_ADDR`), whose passwords the domain keeps as digests, and commands handed to
//! the broker over an in-process bus, which it publishes to the device's subscribers.

use async_trait::async_trait;
use stratum_shared::devices::{Credentials, DeviceGateway, Issued};
use stratum_shared::ids::DeviceId;
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
}

impl LocalGateway {
    /// The gateway of the broker listening at `host:port`.
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        Self {
            host: host.into(),
            port,
            bus: broadcast::channel(BUS_CAPACITY).0,
        }
    }

    /// What the gateway publishes, for the broker.
    pub fn publications(&self) -> broadcast::Receiver<Publication> {
        self.bus.subscribe()
    }
}

#[async_trait]
impl DeviceGateway for LocalGateway {
    async fn issue(&self, _: DeviceId) -> Result<Issued, String> {
        Ok(Issued::Mqtt {
            host: self.host.clone(),
            port: self.port,
        })
    }

    /// Nothing to undo here: the broker signs a device in against its stored digest, which
    /// revoking deletes.
    async fn revoke(&self, _: DeviceId, _: &Credentials) -> Result<(), String> {
        Ok(())
    }

    async fn publish(&self, topic: &str, payload: &[u8]) -> Result<(), String> {
        self.bus
            .send(Publication {
                topic: topic.to_owned(),
                payload: payload.to_vec(),
            })
            .map(drop)
            .map_err(|_| {
                tracing::warn!(topic, "no broker is running to publish a command");
                "no broker is running".to_owned()
            })
    }
}
