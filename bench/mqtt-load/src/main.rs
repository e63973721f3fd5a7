//! `mqtt-load HOST:PORT LOGINS.json MESSAGES [alternate]`: connects every device of LOGINS.json
//! (an array of `{"id", "password"}`), each publishing MESSAGES telemetry messages at QoS 1 as
//! fast as its in-flight window allows (100), and prints the messages acknowledged per second —
//! the broker acknowledges a message once ingest has stored it. With `alternate`, port 1's raw
//! value alternates between 1,000 and 0 (a device tripping and clearing its rules every message).
//!
//! `mqtt-load latency HOST:PORT LOGINS.json MESSAGES`: the first device publishes MESSAGES
//! messages one at a time, each after the last one's acknowledgement, and prints the
//! acknowledgement latency's median, 99th percentile and maximum.

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let [_, mode, addr, logins, messages] = &args[..]
        && mode == "latency"
    {
        return latency(addr, logins, messages.parse().expect("a number of messages")).await;
    }
    let (addr, logins, messages, alternate) = match &args[..] {
        [_, addr, logins, messages] => (addr, logins, messages, false),
        [_, addr, logins, messages, alternate] if alternate == "alternate" => (addr, logins, messages, true),
        _ => {
            eprintln!(
                "usage: mqtt-load HOST:PORT LOGINS.json MESSAGES [alternate] | mqtt-load latency HOST:PORT LOGINS.json MESSAGES"
            );
            std::process::exit(2);
        }
    };
    let (host, port) = addr.rsplit_once(':').expect("HOST:PORT");
    let port: u16 = port.parse().expect("a port");
    let messages: usize = messages.parse().expect("a number of messages");
    let logins: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(logins).expect("the logins file")).expect("JSON");
    let started = Instant::now();
    // Taken now: ingest refuses a message older than points are kept.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64;
    let mut devices = Vec::new();
    for login in logins {
        let (id, password) = (
            login["id"].as_str().unwrap().to_owned(),
            login["password"].as_str().unwrap().to_owned(),
        );
        let (host, started) = (host.to_owned(), started);
        devices.push(tokio::spawn(async move {
            let mut options = MqttOptions::new(&id, host, port);
            options.set_credentials(&id, &password);
            options.set_keep_alive(Duration::from_secs(60));
            options.set_inflight(100);
            let (client, mut events) = AsyncClient::new(options, 200);
            let topic = format!("devices/{id}/telemetry");
            let publisher = tokio::spawn(async move {
                for seq in 0..messages {
                    let ts = now - messages as i64 + seq as i64;
                    let value = match alternate {
                        true if seq % 2 == 0 => 1_000,
                        true => 0,
                        false => 600 + seq % 100,
                    };
                    let message = format!(
                        r#"{{"ts":"{}","seq":{seq},"values":{{"1":{value}}}}}"#,
                        chrono_free_rfc3339(ts)
                    );
                    client
                        .publish(&topic, QoS::AtLeastOnce, false, message)
                        .await
                        .expect("queued");
                }
                client
            });
            let mut acknowledged = 0;
            let mut times = Vec::with_capacity(messages);
            while acknowledged < messages {
                match events.poll().await {
                    Ok(Event::Incoming(Packet::PubAck(_))) => {
                        acknowledged += 1;
                        times.push(started.elapsed());
                    }
                    Ok(_) => {}
                    Err(error) => panic!("device {id}: {error}"),
                }
            }
            let _ = publisher.await;
            times
        }));
    }
    let mut total = 0;
    for device in devices {
        total += device.await.expect("a device finished").len();
    }
    let elapsed = started.elapsed();
    println!(
        "{total} messages from {} devices in {:.2} s: {:.0} messages/s",
        total / messages.max(1),
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64()
    );
}

/// One device's acknowledgement latency, message after message.
async fn latency(addr: &str, logins: &str, messages: usize) {
    let (host, port) = addr.rsplit_once(':').expect("HOST:PORT");
    let logins: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(logins).expect("the logins file")).expect("JSON");
    let (id, password) = (
        logins[0]["id"].as_str().unwrap().to_owned(),
        logins[0]["password"].as_str().unwrap().to_owned(),
    );
    let mut options = MqttOptions::new(&id, host, port.parse::<u16>().expect("a port"));
    options.set_credentials(&id, &password);
    options.set_keep_alive(Duration::from_secs(60));
    let (client, mut events) = AsyncClient::new(options, 10);
    let topic = format!("devices/{id}/telemetry");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64;
    let mut waits = Vec::with_capacity(messages);
    for seq in 0..messages {
        let message = format!(
            r#"{{"ts":"{}","seq":{seq},"values":{{"1":500}}}}"#,
            chrono_free_rfc3339(now - messages as i64 + seq as i64)
        );
        let sent = Instant::now();
        client
            .publish(&topic, QoS::AtLeastOnce, false, message)
            .await
            .expect("queued");
        loop {
            match events.poll().await {
                Ok(Event::Incoming(Packet::PubAck(_))) => break,
                Ok(_) => {}
                Err(error) => panic!("device {id}: {error}"),
            }
        }
        waits.push(sent.elapsed());
    }
    waits.sort();
    let at = |fraction: f64| waits[((waits.len() - 1) as f64 * fraction) as usize].as_secs_f64() * 1000.0;
    println!(
        "median {:.1} ms, p99 {:.1} ms, max {:.1} ms over {messages} messages",
        at(0.5),
        at(0.99),
        at(1.0)
    );
}

/// `2026-03-01T08:30:00Z` for a Unix time, without a date crate (days from civil, Howard Hinnant).
fn chrono_free_rfc3339(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3_600,
        secs % 3_600 / 60,
        secs % 60
    )
}
