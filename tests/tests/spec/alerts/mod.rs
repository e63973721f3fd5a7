//! Alert rules and alerts (issue 14, items 3–5): rules owners write and staff read; alerts
//! raised once per device and source however many messages race (fed to the ingest worker's
//! handler in concurrent batches), e-mailed once per person
//! per state change through the outbox (read back from moto's SES on the Lambda path, from
//! the `.eml` folder locally); acknowledged and cleared by operators and owners; `offline`
//! for silent devices and `sim_mismatch` for a foreign IMEI.
//!
//! The Givens the alert specs share live here: the alert e-mails to an address, a telemetry
//! message, and the "too hot" rule.

mod handling;
mod offline;
mod raising;
mod rules;

use crate::world::{Mail, World};
use serde_json::{Value, json};
use stratum_shared::telemetry::Envelope;

/// The alert e-mails sent to `to` (not the sign-up's), waiting for at least `at_least`.
async fn alert_mails(world: &World, to: &str, at_least: usize) -> Vec<Mail> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let mails: Vec<Mail> = world
            .mails_to(to, 0)
            .await
            .into_iter()
            .filter(|mail| mail.subject.starts_with('['))
            .collect();
        if mails.len() >= at_least || std::time::Instant::now() > deadline {
            return mails;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

fn message(device: &str, ts: &str, seq: u64, raw: i64) -> Envelope {
    Envelope {
        device_id: device.to_owned(),
        client_id: device.to_owned(),
        received_at: None,
        message: json!({ "ts": ts, "seq": seq, "values": { "1": raw } })
            .as_object()
            .unwrap()
            .clone(),
    }
}

/// Port 1 of the spec model reads `raw × 0.1 − 40` °C: above 40 °C is hot, below 35 °C clear.
fn hot_rule() -> Value {
    json!({
        "name": "Too hot", "port": 1, "condition": ">", "value": 40, "clear_value": 35,
        "severity": "critical", "recipients": { "roles": ["owner", "operator"] }
    })
}
