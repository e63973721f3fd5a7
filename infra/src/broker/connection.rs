//! One device's connection: signed in against its stored digest, one connection per device
//! (a newer one takes over), its publishes handed to ingest in order with at most
//! `MAX_IN_FLIGHT_PER_CONNECTION` on their way, and its acknowledgements written in order.

use super::packets::{constant_time_eq, packet_kind, read, write};
use crate::local_gateway::{LocalGateway, Publication};
use bytes::BytesMut;
use rumqttc::mqttbytes::QoS;
use rumqttc::mqttbytes::v4::{
    ConnAck, ConnectReturnCode, Packet, PubAck, Publish, SubAck, SubscribeReasonCode, UnsubAck,
};
use std::sync::Arc;
use std::time::Duration;
use stratum_shared::ids::DeviceId;
use stratum_shared::keys;
use stratum_shared::ports::{CredentialKind, Credentials, Secrets, Store};
use stratum_shared::telemetry::Envelope;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{broadcast, mpsc, oneshot};

/// How long a connection has to sign in.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Messages one connection has on their way to ingest at most: a device sending faster than
/// they are stored waits on its own connection, and never fills the queue all devices share.
const MAX_IN_FLIGHT_PER_CONNECTION: usize = 100;

/// Connections served at once at most.
const MAX_CONNECTIONS: usize = 10_000;

/// How long a write to a device may take before its connection is given up (a device that
/// does not read must not hold the broker's memory).
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// The keep-alive of a device that asks for none (0), as IoT Core's longest.
const LONGEST_KEEP_ALIVE_SECONDS: u64 = 1_200;

/// A message on its way to ingest, and where to say whether it may be acknowledged.
pub(super) type Pending = (Envelope, oneshot::Sender<bool>);

/// The connection each device has open, by a number of its own: a newer connection of the
/// same device takes over and the older one ends, as on IoT Core, so no device holds more
/// than one.
#[derive(Clone, Default)]
pub(super) struct Online(Arc<std::sync::Mutex<std::collections::HashMap<DeviceId, OnlineConnection>>>);

/// A device's open connection: its number, and what ends it when a newer one takes over.
pub(super) type OnlineConnection = (u64, oneshot::Sender<()>);

impl Online {
    /// Registers a connection of `device`, ending the one it had; what says when a newer one
    /// takes over from this.
    fn take_over(&self, device: DeviceId, connection: u64) -> oneshot::Receiver<()> {
        let (ended, taken_over) = oneshot::channel();
        let older = self
            .0
            .lock()
            .expect("the online lock")
            .insert(device, (connection, ended));
        if let Some((_, older)) = older {
            let _ = older.send(());
        }
        taken_over
    }

    /// Forgets the connection of `device`, unless a newer one took over meanwhile.
    fn leave(&self, device: DeviceId, connection: u64) {
        let mut online = self.0.lock().expect("the online lock");
        if online.get(&device).is_some_and(|(current, _)| *current == connection) {
            online.remove(&device);
        }
    }
}

/// A connection's view of the broker: logins, and the queue to ingest.
#[derive(Clone)]
pub(super) struct Connections {
    pub(super) store: Arc<dyn Store>,
    pub(super) secrets: Arc<dyn Secrets>,
    pub(super) gateway: LocalGateway,
    pub(super) ingest: mpsc::Sender<Pending>,
    pub(super) online: Online,
}

impl Connections {
    pub(super) async fn serve(self, listener: TcpListener) {
        // The broker's own subscription: a command published while no device listens is
        // still handed to the broker (and, as with QoS 1 without a session, goes no further).
        let _always = self.gateway.publications();
        let open = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
        loop {
            let (stream, peer) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, say: wait rather than spin.
                    tracing::warn!(%error, "accepting an MQTT connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let Ok(slot) = open.clone().try_acquire_owned() else {
                tracing::warn!(%peer, "too many MQTT connections; refused");
                continue;
            };
            let broker = self.clone();
            tokio::spawn(async move {
                if let Err(reason) = broker.connection(stream).await {
                    tracing::info!(%peer, %reason, "an MQTT connection ended");
                }
                drop(slot);
            });
        }
    }

    pub(super) async fn connection(&self, stream: TcpStream) -> Result<(), String> {
        static CONNECTIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let number = CONNECTIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut signed_in = None;
        let ended = self.connected(stream, number, &mut signed_in).await;
        if let Some(device) = signed_in {
            self.online.leave(device, number);
        }
        ended
    }

    /// Serves one connection; `signed_in` says which device it was once it signed in.
    async fn connected(
        &self,
        mut stream: TcpStream,
        number: u64,
        signed_in: &mut Option<DeviceId>,
    ) -> Result<(), String> {
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
        *signed_in = Some(device);
        let mut taken_over = self.online.take_over(device, number);
        write(
            &mut stream,
            Packet::ConnAck(ConnAck::new(ConnectReturnCode::Success, false)),
        )
        .await?;
        let in_flight = Arc::new(tokio::sync::Semaphore::new(MAX_IN_FLIGHT_PER_CONNECTION));
        // Reading goes on while earlier messages are being stored; what goes back is written
        // in order by its own task, acknowledgements once their message is stored (MQTT wants
        // QoS 1 acknowledgements in the order the messages came).
        let (mut stream, writer) = stream.into_split();
        let (out, outgoing) = mpsc::channel::<Outgoing>(256);
        let writing = tokio::spawn(write_in_order(writer, outgoing));
        // However the reading ends, the writing (and the socket) ends with it.
        let _writing = AbortOnDrop(writing);
        let send = |packet: Packet| {
            let out = out.clone();
            async move {
                out.send(Outgoing::Now(packet))
                    .await
                    .map_err(|_| "the connection's writer stopped".to_owned())
            }
        };
        let telemetry_topic = format!("devices/{device}/telemetry");
        let commands_topic = stratum_shared::devices::command_topic(device);
        // A device is heard from within 1.5 keep-alive periods (MQTT-3.1.2-24); 0 asks for none.
        let keep_alive = match connect.keep_alive {
            0 => Duration::from_secs(LONGEST_KEEP_ALIVE_SECONDS),
            seconds => Duration::from_millis(u64::from(seconds) * 1_500),
        };
        let mut commands = self.gateway.publications();
        let mut revocations = self.gateway.revocations();
        let mut subscribed = false;
        let mut next_pkid: u16 = 0;
        loop {
            tokio::select! {
                packet = tokio::time::timeout(keep_alive, read(&mut stream, &mut buffer)) => {
                    let packet = packet.map_err(|_| "keep-alive expired".to_owned())??;
                    match packet {
                        Packet::Publish(publish) if publish.qos == QoS::ExactlyOnce => {
                            // As IoT Core: QoS 2 is not supported, and the connection ends.
                            tracing::warn!(%device, "a device published at QoS 2");
                            return Err("QoS 2 is not supported".into());
                        }
                        Packet::Publish(publish) if publish.topic == telemetry_topic => {
                            // This device's own backlog is bounded: past it, it waits here.
                            let slot = in_flight
                                .clone()
                                .acquire_owned()
                                .await
                                .map_err(|_| "the connection's slots closed".to_owned())?;
                            let stored = self.ingest(device, &publish).await;
                            if publish.qos != QoS::AtMostOnce {
                                out.send(Outgoing::OnceStored(stored, publish.pkid, slot))
                                    .await
                                    .map_err(|_| "the connection's writer stopped".to_owned())?;
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
                            send(Packet::SubAck(SubAck::new(subscribe.pkid, codes))).await?;
                        }
                        Packet::Unsubscribe(unsubscribe) => {
                            if unsubscribe.topics.contains(&commands_topic) {
                                subscribed = false;
                            }
                            send(Packet::UnsubAck(UnsubAck::new(unsubscribe.pkid))).await?;
                        }
                        Packet::PingReq => send(Packet::PingResp).await?,
                        Packet::Disconnect => return Ok(()),
                        // Acknowledgements of the commands sent: delivery is at most once more.
                        Packet::PubAck(_) => {}
                        // Named, never printed: a second CONNECT carries the password.
                        other => return Err(format!("an unexpected {} packet", packet_kind(&other))),
                    }
                }
                _ = &mut taken_over => {
                    return Err("a newer connection of the device took over".into());
                }
                revoked = revocations.recv() => {
                    if revoked.is_ok_and(|revoked| revoked == device) {
                        return Err("the device's credentials were revoked".into());
                    }
                }
                command = commands.recv() => {
                    match command {
                        Ok(Publication { topic, payload }) if subscribed && topic == commands_topic => {
                            next_pkid = next_pkid.wrapping_add(1).max(1);
                            let mut publish = Publish::new(topic, QoS::AtLeastOnce, payload);
                            publish.pkid = next_pkid;
                            send(Packet::Publish(publish)).await?;
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

    /// Queues a telemetry message for ingest; what says whether it may be acknowledged once
    /// stored (stored, a repeat, or refused for good — anything but a failure to store, which
    /// the device sends again).
    pub(super) async fn ingest(&self, device: DeviceId, publish: &Publish) -> oneshot::Receiver<bool> {
        let (reply, stored) = oneshot::channel();
        match serde_json::from_slice::<serde_json::Value>(&publish.payload) {
            Ok(serde_json::Value::Object(message)) => {
                let envelope = Envelope {
                    device_id: device.to_string(),
                    client_id: device.to_string(),
                    received_at: Some(chrono::Utc::now().timestamp_millis()),
                    message,
                };
                // A closed queue drops the reply: no acknowledgement.
                let _ = self.ingest.send((envelope, reply)).await;
            }
            _ => {
                tracing::warn!(%device, refusal = "malformed", "a telemetry message was refused");
                let _ = reply.send(true);
            }
        }
        stored
    }
}

/// What goes back to a device: a packet now, or a message's acknowledgement once stored (with
/// the message's place in its connection's backlog, freed once acknowledged).
pub(super) enum Outgoing {
    Now(Packet),
    OnceStored(oneshot::Receiver<bool>, u16, tokio::sync::OwnedSemaphorePermit),
}

/// Writes what goes back to a device, in order, until the connection's reader is done. A
/// message that could not be stored ends the connection: MQTT 3.1.1 clients send
/// unacknowledged messages again when they reconnect.
async fn write_in_order(mut writer: OwnedWriteHalf, mut outgoing: mpsc::Receiver<Outgoing>) {
    while let Some(next) = outgoing.recv().await {
        let packet = match next {
            Outgoing::Now(packet) => packet,
            Outgoing::OnceStored(stored, pkid, _slot) => match stored.await {
                Ok(true) => Packet::PubAck(PubAck::new(pkid)),
                _ => return,
            },
        };
        match tokio::time::timeout(WRITE_TIMEOUT, write(&mut writer, packet)).await {
            Ok(Ok(())) => {}
            _ => return,
        }
    }
}

/// A task aborted when this is dropped.
pub(super) struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
