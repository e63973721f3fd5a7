//! MQTT packets on the wire: read and written with a size limit, named for logs, and passwords
//! compared in constant time.

use bytes::BytesMut;
use rumqttc::mqttbytes::v4::Packet;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// A packet's size at most (a telemetry message is small; IoT Core's limit is 128 KB).
const MAX_PACKET_BYTES: usize = 128 * 1024;

/// A packet's kind, for logs (a packet itself may carry a password).
pub(super) fn packet_kind(packet: &Packet) -> &'static str {
    match packet {
        Packet::Connect(_) => "CONNECT",
        Packet::ConnAck(_) => "CONNACK",
        Packet::Publish(_) => "PUBLISH",
        Packet::PubAck(_) => "PUBACK",
        Packet::PubRec(_) => "PUBREC",
        Packet::PubRel(_) => "PUBREL",
        Packet::PubComp(_) => "PUBCOMP",
        Packet::Subscribe(_) => "SUBSCRIBE",
        Packet::SubAck(_) => "SUBACK",
        Packet::Unsubscribe(_) => "UNSUBSCRIBE",
        Packet::UnsubAck(_) => "UNSUBACK",
        Packet::PingReq => "PINGREQ",
        Packet::PingResp => "PINGRESP",
        Packet::Disconnect => "DISCONNECT",
    }
}

pub(super) fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub(super) async fn read(stream: &mut (impl AsyncRead + Unpin), buffer: &mut BytesMut) -> Result<Packet, String> {
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

pub(super) async fn write(stream: &mut (impl AsyncWrite + Unpin), packet: Packet) -> Result<(), String> {
    let mut out = BytesMut::new();
    packet.write(&mut out, MAX_PACKET_BYTES).map_err(|e| e.to_string())?;
    stream.write_all(&out).await.map_err(|e| e.to_string())
}
