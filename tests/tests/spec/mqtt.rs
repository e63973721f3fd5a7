//! The local server's MQTT broker (issue 14, item 7), exercised by an MQTT client library over
//! TCP: a device signs in with the login its credentials gave, publishes its telemetry into
//! the same ingest as on AWS, receives its commands, and reaches nothing of another device's.

use crate::devices::devices_of_root;
use crate::organisations::organisation;
use crate::world::World;
use rumqttc::{AsyncClient, ConnectReturnCode, Event, EventLoop, MqttOptions, Packet, QoS};
use serde_json::json;
use std::time::Duration;

/// A device's MQTT connection to the world's broker, signed in as `username` with `password`.
fn connect(world: &World, client_id: &str, username: &str, password: &str) -> (AsyncClient, EventLoop) {
    let addr = world.mqtt_addr().expect("a local broker");
    let mut options = MqttOptions::new(client_id, addr.ip().to_string(), addr.port());
    options.set_credentials(username, password);
    options.set_keep_alive(Duration::from_secs(30));
    AsyncClient::new(options, 10)
}

/// The next incoming packet that `wanted` picks, within five seconds; an error ends it.
async fn next<T>(events: &mut EventLoop, mut wanted: impl FnMut(Packet) -> Option<T>) -> Result<T, String> {
    tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match events.poll().await {
                Ok(Event::Incoming(packet)) => {
                    if let Some(found) = wanted(packet) {
                        return Ok(found);
                    }
                }
                Ok(Event::Outgoing(_)) => {}
                Err(error) => return Err(error.to_string()),
            }
        }
    })
    .await
    .map_err(|_| "nothing in time".to_owned())?
}

#[tokio::test]
async fn a_device_publishes_its_telemetry_and_receives_its_commands_through_the_broker_and_nothing_else() {
    let world = World::local().await;
    let admin = world.admin().await;
    let ada = world.person("ada").await;
    let root = organisation(&world, &ada, "Fleet").await;
    let ids = devices_of_root(&world, &admin, &ada, &root, 2).await;
    let mut passwords = Vec::new();
    for id in &ids {
        let issued = world
            .call(
                "POST",
                &format!("/api/organisations/{root}/devices/{id}/credentials"),
                ada.token(),
                None,
            )
            .await;
        passwords.push(issued.body["mqtt"]["password"].as_str().unwrap().to_owned());
    }

    let (_, mut refused) = connect(&world, &ids[0], &ids[0], "not the password");
    let answer = next(&mut refused, |packet| match packet {
        Packet::ConnAck(ack) => Some(ack.code),
        _ => None,
    })
    .await;
    assert!(
        matches!(&answer, Err(error) if error.contains("BadUserNamePassword") || error.contains("refused")),
        "a wrong password signs nothing in: {answer:?}"
    );

    let (device, mut events) = connect(&world, &ids[0], &ids[0], &passwords[0]);
    let code = next(&mut events, |packet| match packet {
        Packet::ConnAck(ack) => Some(ack.code),
        _ => None,
    })
    .await
    .unwrap();
    assert_eq!(code, ConnectReturnCode::Success);
    let commands = format!("devices/{}/commands", ids[0]);
    device.subscribe(&commands, QoS::AtLeastOnce).await.unwrap();
    device
        .subscribe(format!("devices/{}/commands", ids[1]), QoS::AtLeastOnce)
        .await
        .unwrap();
    let granted: Vec<Vec<rumqttc::SubscribeReasonCode>> = vec![
        next(&mut events, |packet| match packet {
            Packet::SubAck(ack) => Some(ack.return_codes),
            _ => None,
        })
        .await
        .unwrap(),
        next(&mut events, |packet| match packet {
            Packet::SubAck(ack) => Some(ack.return_codes),
            _ => None,
        })
        .await
        .unwrap(),
    ];
    assert_eq!(
        granted,
        [
            vec![rumqttc::SubscribeReasonCode::Success(QoS::AtLeastOnce)],
            vec![rumqttc::SubscribeReasonCode::Failure]
        ],
        "its own commands only"
    );
    let message = json!({ "ts": "2026-03-01T08:30:00Z", "seq": 1, "values": { "1": 650 } });
    device
        .publish(
            format!("devices/{}/telemetry", ids[0]),
            QoS::AtLeastOnce,
            false,
            message.to_string(),
        )
        .await
        .unwrap();
    next(&mut events, |packet| matches!(packet, Packet::PubAck(_)).then_some(()))
        .await
        .unwrap();
    let latest = world
        .call(
            "GET",
            &format!("/api/organisations/{root}/devices/{}/latest", ids[0]),
            ada.token(),
            None,
        )
        .await;
    assert_eq!(
        latest.body["values"]["1"]["value"], 25.0,
        "the same ingest as on AWS: {latest:?}"
    );

    let sent = world
        .call(
            "POST",
            &format!("/api/organisations/{root}/devices/{}/commands", ids[0]),
            ada.token(),
            Some(json!({ "name": "reboot" })),
        )
        .await;
    assert_eq!(sent.body["status"], "published");
    let received = next(&mut events, |packet| match packet {
        Packet::Publish(publish) => Some(publish),
        _ => None,
    })
    .await
    .unwrap();
    assert_eq!(received.topic, commands);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&received.payload).unwrap()["id"],
        sent.body["id"]
    );

    // Device 1, signed in as itself, publishing under device 0's topic: cut off, nothing stored.
    let (intruder, mut intrusion) = connect(&world, &ids[1], &ids[1], &passwords[1]);
    next(&mut intrusion, |packet| {
        matches!(packet, Packet::ConnAck(_)).then_some(())
    })
    .await
    .unwrap();
    let forged = json!({ "ts": "2026-03-01T08:45:00Z", "seq": 2, "values": { "1": 999 } });
    intruder
        .publish(
            format!("devices/{}/telemetry", ids[0]),
            QoS::AtLeastOnce,
            false,
            forged.to_string(),
        )
        .await
        .unwrap();
    let cut = next(&mut intrusion, |packet| {
        matches!(packet, Packet::PubAck(_)).then_some(())
    })
    .await;
    assert!(cut.is_err(), "no acknowledgement, the connection ends: {cut:?}");
    let after = world
        .call(
            "GET",
            &format!("/api/organisations/{root}/devices/{}/latest", ids[0]),
            ada.token(),
            None,
        )
        .await;
    assert_eq!(
        after.body["values"]["1"]["value"], 25.0,
        "the forged message was not stored"
    );

    // Revoked, its open connection ends.
    let revoked = world
        .call(
            "DELETE",
            &format!("/api/organisations/{root}/devices/{}/credentials", ids[0]),
            ada.token(),
            None,
        )
        .await;
    assert_eq!(revoked.status, 204);
    let ended = next(&mut events, |_| None::<()>).await;
    assert!(
        matches!(&ended, Err(error) if error != "nothing in time"),
        "the connection ends: {ended:?}"
    );

    // Another device's id as client id with one's own login: refused.
    let (_, mut borrowed) = connect(&world, &ids[0], &ids[1], &passwords[1]);
    let borrowed = next(&mut borrowed, |packet| {
        matches!(packet, Packet::ConnAck(_)).then_some(())
    })
    .await;
    assert!(borrowed.is_err(), "{borrowed:?}");
    world.stop().await;
}

/// Issue 21, L7: a device holds one connection at most: a newer one takes over and the older
/// ends, as on IoT Core, so no device can hold many of the broker's connections.
#[tokio::test]
async fn a_newer_connection_of_a_device_takes_over_and_the_older_one_ends() {
    let world = World::local().await;
    let admin = world.admin().await;
    let ada = world.person("ada").await;
    let root = organisation(&world, &ada, "Fleet").await;
    let device = devices_of_root(&world, &admin, &ada, &root, 1).await.remove(0);
    let issued = world
        .call(
            "POST",
            &format!("/api/organisations/{root}/devices/{device}/credentials"),
            ada.token(),
            None,
        )
        .await;
    let password = issued.body["mqtt"]["password"].as_str().unwrap().to_owned();
    let signed_in =
        |packet| matches!(packet, Packet::ConnAck(ack) if ack.code == ConnectReturnCode::Success).then_some(());

    let (_first, mut first) = connect(&world, &device, &device, &password);
    next(&mut first, signed_in).await.unwrap();
    let (second, mut second_events) = connect(&world, &device, &device, &password);
    next(&mut second_events, signed_in).await.unwrap();

    let ended = next(&mut first, |_| None::<()>).await;
    assert!(
        matches!(&ended, Err(error) if error != "nothing in time"),
        "the older connection ends: {ended:?}"
    );
    let message = json!({ "ts": "2026-03-01T08:45:00Z", "seq": 1, "values": { "1": 650 } });
    second
        .publish(
            format!("devices/{device}/telemetry"),
            QoS::AtLeastOnce,
            false,
            message.to_string(),
        )
        .await
        .unwrap();
    let acknowledged = next(&mut second_events, |packet| {
        matches!(packet, Packet::PubAck(_)).then_some(())
    })
    .await;
    assert!(acknowledged.is_ok(), "the newer one carries on: {acknowledged:?}");
    world.stop().await;
}
