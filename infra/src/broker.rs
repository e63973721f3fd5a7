//! The local server's MQTT broker (MQTT 3.1.1, what devices speak to IoT Core): a device
//! signs in with the login its credentials gave (username and client id: its id; the password
//! is checked against the stored digest), may publish only to `devices/{its id}/telemetry`
//! and subscribe only to `devices/{its id}/commands` — the confinement IoT Core's policy
//! gives on AWS. Its messages go through the same ingest use case as on AWS; commands come
//! from the device gateway's bus.
//!
//! Why not rumqttd: it authenticates a connection but has no per-topic authorisation, and the
//! messages it hands on do not say which client published them, so a device could publish
//! under another device's topic unseen. The packets are rumqttc's codec; the rules are here.

use crate::local_gateway::{LocalGateway, Publication};
use bytes::BytesMut;
use rumqttc::mqttbytes::QoS;
use rumqttc::mqttbytes::v4::{
    ConnAck, ConnectReturnCode, Packet, PubAck, Publish, SubAck, SubscribeReasonCode, UnsubAck,
};
use std::sync::Arc;
use std::time::Duration;
use stratum_shared::devices::{CredentialKind, Credentials};
use stratum_shared::identity::Secrets;
use stratum_shared::ids::DeviceId;
use stratum_shared::keys;
use stratum_shared::store::Store;
use stratum_shared::telemetry::{Envelope, Outcome, Telemetry};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;

/// A packet's size at most (a telemetry message is small; IoT Core's limit is 128 KB).
const MAX_PACKET_BYTES: usize = 128 * 1024;
/// How long a connection has to sign in.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// What the broker needs: the store (logins), the secrets port (digests), ingest, and the
/// gateway whose bus carries commands.
#[derive(Clone)]
pub struct Broker {
    pub store: Arc<dyn Store>,
    pub secrets: Arc<dyn Secrets>,
    pub telemetry: Telemetry,
    pub gateway: LocalGateway,
}

impl Broker {
    /// Serves devices on `listener` until the task is dropped.
    pub async fn serve(self, listener: TcpListener) {
        // The broker's own subscription: a command published while no device listens is
        // still handed to the broker (and, as with QoS 1 without a session, goes no further).
        let _always = self.gateway.publications();
        loop {
            let Ok((stream, peer)) = listener.accept().await else {
                continue;
            };
            let broker = self.clone();
            tokio::spawn(async move {
                if let Err(reason) = broker.connection(stream).await {
                    tracing::info!(%peer, %reason, "an MQTT connection ended");
                }
            });
        }
    }

    async fn connection(&self, mut stream: TcpStream) -> Result<(), String> {
        let _ = stream.set_nodelay(true);
        let mut buffer = BytesMut::with_capacity(4_096);
        let connect = match tokio::time::timeout(CONNECT_TIMEOUT, read(&mut stream, &mut buffer)).await {
            Ok(Ok(Packet::Connect(connect))) => connect,
            Ok(Ok(_)) => return Err("the first packet was not CONNECT".into()),
            Ok(Err(error)) => return Err(error),
            Err(_) => return Err("no CONNECT in time".into()),
        };
        let device = match self.sign_in(&connect.client_id, connect.login.as_ref()).await {
            Ok(device) => device,
            Err(code) => {
                write(&mut stream, Packet::ConnAck(ConnAck::new(code, false))).await?;
                return Err(format!("sign-in refused for client id {:?}", connect.client_id));
            }
        };
        write(
            &mut stream,
            Packet::ConnAck(ConnAck::new(ConnectReturnCode::Success, false)),
        )
        .await?;
        let telemetry_topic = format!("devices/{device}/telemetry");
        let commands_topic = stratum_shared::devices::command_topic(device);
        let keep_alive = Duration::from_secs(u64::from(connect.keep_alive.max(1)) * 3 / 2);
        let mut commands = self.gateway.publications();
        let mut subscribed = false;
        let mut next_pkid: u16 = 0;
        loop {
            tokio::select! {
                packet = tokio::time::timeout(keep_alive, read(&mut stream, &mut buffer)) => {
                    let packet = packet.map_err(|_| "keep-alive expired".to_owned())??;
                    match packet {
                        Packet::Publish(publish) if publish.topic == telemetry_topic => {
                            let acknowledged = self.ingest(device, &publish).await;
                            if publish.qos != QoS::AtMostOnce && acknowledged {
                                write(&mut stream, Packet::PubAck(PubAck::new(publish.pkid))).await?;
                            }
                        }
                        Packet::Publish(publish) => {
                            // MQTT 3.1.1 has no refusal of a publish: the connection ends.
                            tracing::warn!(%device, topic = %publish.topic, "a device published outside its own topics");
                            return Err("publish outside the device's topics".into());
                        }
                        Packet::Subscribe(subscribe) => {
                            let codes = subscribe
                                .filters
                                .iter()
                                .map(|filter| {
                                    if filter.path == commands_topic {
                                        subscribed = true;
                                        SubscribeReasonCode::Success(match filter.qos {
                                            QoS::AtMostOnce => QoS::AtMostOnce,
                                            _ => QoS::AtLeastOnce,
                                        })
                                    } else {
                                        SubscribeReasonCode::Failure
                                    }
                                })
                                .collect();
                            write(&mut stream, Packet::SubAck(SubAck::new(subscribe.pkid, codes))).await?;
                        }
                        Packet::Unsubscribe(unsubscribe) => {
                            if unsubscribe.topics.contains(&commands_topic) {
                                subscribed = false;
                            }
                            write(&mut stream, Packet::UnsubAck(UnsubAck::new(unsubscribe.pkid))).await?;
                        }
                        Packet::PingReq => write(&mut stream, Packet::PingResp).await?,
                        Packet::Disconnect => return Ok(()),
                        // Acknowledgements of the commands sent: delivery is at most once more.
                        Packet::PubAck(_) => {}
                        other => return Err(format!("unexpected packet {other:?}")),
                    }
                }
                command = commands.recv() => {
                    match command {
                        Ok(Publication { topic, payload }) if subscribed && topic == commands_topic => {
                            next_pkid = next_pkid.wrapping_add(1).max(1);
                            let mut publish = Publish::new(topic, QoS::AtLeastOnce, payload);
                            publish.pkid = next_pkid;
                            write(&mut stream, Packet::Publish(publish)).await?;
                        }
                        Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                        Err(broadcast::error::RecvError::Closed) => return Ok(()),
                    }
                }
            }
        }
    }

    /// The device a login proves: its id as client id and username, and the password whose
    /// digest its credentials keep.
    async fn sign_in(
        &self,
        client_id: &str,
        login: Option<&rumqttc::mqttbytes::v4::Login>,
    ) -> Result<DeviceId, ConnectReturnCode> {
        let login = login.ok_or(ConnectReturnCode::NotAuthorized)?;
        if login.username != client_id {
            return Err(ConnectReturnCode::BadClientId);
        }
        let device = DeviceId::parse(client_id, "client_id").map_err(|_| ConnectReturnCode::BadUserNamePassword)?;
        let stored = self
            .store
            .get(&keys::device_credentials(device))
            .await
            .map_err(|_| ConnectReturnCode::ServiceUnavailable)?
            .and_then(|item| item.record::<Credentials>().ok());
        let proven = stored.is_some_and(|credentials| {
            credentials.kind == CredentialKind::Mqtt
                && credentials
                    .password_digest
                    .is_some_and(|digest| constant_time_eq(&digest, &self.secrets.digest(&login.password)))
        });
        if proven {
            Ok(device)
        } else {
            Err(ConnectReturnCode::BadUserNamePassword)
        }
    }

    /// Ingests a telemetry message; whether it may be acknowledged (stored, a repeat, or
    /// refused for good — anything but a failure to store, which the device sends again).
    async fn ingest(&self, device: DeviceId, publish: &Publish) -> bool {
        let message = match serde_json::from_slice::<serde_json::Value>(&publish.payload) {
            Ok(serde_json::Value::Object(message)) => message,
            _ => {
                tracing::warn!(%device, refusal = "malformed", "a telemetry message was refused");
                return true;
            }
        };
        let envelope = Envelope {
            device_id: device.to_string(),
            client_id: device.to_string(),
            received_at: Some(chrono::Utc::now().timestamp_millis()),
            message,
        };
        match self.telemetry.ingest(&envelope).await {
            Ok(Outcome::Refused(refusal)) => {
                tracing::warn!(%device, ?refusal, "a telemetry message was refused");
                true
            }
            Ok(_) => true,
            Err(error) => {
                tracing::error!(%device, %error, "a telemetry message could not be stored");
                false
            }
        }
    }
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn read(stream: &mut TcpStream, buffer: &mut BytesMut) -> Result<Packet, String> {
    loop {
        match Packet::read(buffer, MAX_PACKET_BYTES) {
            Ok(packet) => return Ok(packet),
            Err(rumqttc::mqttbytes::Error::InsufficientBytes(_)) => {}
            Err(error) => return Err(format!("a malformed packet: {error}")),
        }
        if stream.read_buf(buffer).await.map_err(|e| e.to_string())? == 0 {
            return Err("the device closed the connection".into());
        }
    }
}

async fn write(stream: &mut TcpStream, packet: Packet) -> Result<(), String> {
    let mut out = BytesMut::new();
    packet.write(&mut out, MAX_PACKET_BYTES).map_err(|e| e.to_string())?;
    stream.write_all(&out).await.map_err(|e| e.to_string())
}
