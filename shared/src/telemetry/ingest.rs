//! Ingest (issue 14, SPEC §7): a device's message, as the IoT Core rule (or the
//! local broker) hands it on with the topic's device id, the connection's client id and the
//! broker's receive time, becomes a stored point and the device's latest values.
//!
//! The message: `{"ts": "<RFC 3339>", "seq": <u64>, "values": {"<port>": <number | bool>},
//! "imei"?: "…", "lat"?: …, "lon"?: …}`. A message whose client id is not the device of its
//! topic, or for a device unknown, not handed to an organisation or decommissioned, is
//! refused: counted and logged by the adapter, never stored.
//!
//! Writes per message: the latest values (an update conditional on being newer, so a late
//! message never overwrites newer values or last-seen) and the point (a put conditional on
//! being new, keyed by time and sequence, so a message delivered twice is stored once). Both
//! are in the device's own partitions: no partition on this path is shared by devices.
//! A batch's devices are read together, once per batch (one request per 100 devices), so a
//! message is written under its device's holder as it is; models and organisations' retention
//! come from a per-process cache of [`TARGET_TTL_SECONDS`].

use super::{Envelope, Judgement, MAX_CLOCK_SKEW_SECONDS, Outcome, Plan, Refusal, Telemetry};
use crate::alerts::AlertedDevice;
use crate::devices::{DeviceStatus, EffectivePort, PortKind};
use crate::error::DomainResult;
use crate::ids::DeviceId;
use crate::keys;
use crate::store::{Condition, Item, StoreError, Update, Write};
use crate::telecom::Imei;
use crate::time::Timestamp;
use chrono::DateTime;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// A message parsed.
struct Reading {
    ts: Timestamp,
    seq: u64,
    values: BTreeMap<u8, Value>,
    imei: Option<String>,
    position: Option<(f64, f64)>,
}

fn parse(message: &Map<String, Value>, now: Timestamp) -> Option<Reading> {
    let ts = DateTime::parse_from_rfc3339(message.get("ts")?.as_str()?)
        .ok()?
        .to_utc();
    if ts.timestamp() > now.unix_seconds() + MAX_CLOCK_SKEW_SECONDS || ts.timestamp() < 0 {
        return None;
    }
    let seq = message.get("seq")?.as_u64()?;
    let mut values = BTreeMap::new();
    for (port, value) in message.get("values")?.as_object()? {
        let port: u8 = port.parse().ok().filter(|p| *p > 0)?;
        match value {
            Value::Bool(_) => {}
            Value::Number(n) if n.as_f64().is_some_and(crate::validation::storable_number) => {}
            _ => return None,
        }
        values.insert(port, value.clone());
    }
    let imei = match message.get("imei") {
        None => None,
        Some(value) => Some(Imei::parse(value.as_str()?, "imei").ok()?.as_str().to_owned()),
    };
    let position = match (message.get("lat"), message.get("lon")) {
        (None, None) => None,
        (Some(lat), Some(lon)) => {
            let (lat, lon) = (lat.as_f64()?, lon.as_f64()?);
            let storable = crate::validation::storable_number(lat) && crate::validation::storable_number(lon);
            (storable && (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)).then_some((lat, lon))?;
            Some((lat, lon))
        }
        _ => return None,
    };
    Some(Reading {
        ts: Timestamp::new(ts),
        seq,
        values,
        imei,
        position,
    })
}

/// The calibrated value of a port's raw value: numbers through scale and offset (a digital
/// port's numbers become booleans), booleans as they are.
fn calibrate(port: &EffectivePort, raw: &Value) -> Value {
    match (port.kind, raw) {
        (PortKind::Digital, Value::Number(n)) => json!(n.as_f64().unwrap_or(0.0) != 0.0),
        (_, Value::Number(n)) => json!(n.as_f64().unwrap_or(0.0) * port.scale + port.offset),
        (_, other) => other.clone(),
    }
}

impl Telemetry {
    /// Stores one message: its point, and the device's latest values if it is the newest.
    pub async fn ingest(&self, envelope: &Envelope) -> DomainResult<Outcome> {
        let mut outcomes = self.ingest_batch(std::slice::from_ref(envelope)).await?;
        Ok(outcomes.remove(0))
    }

    /// Stores a batch of messages, each as [`Telemetry::ingest`] would, and judges each that
    /// became its device's latest against its alert rules (see [`Telemetry::store_batch`]).
    pub async fn ingest_batch(&self, envelopes: &[Envelope]) -> DomainResult<Vec<Outcome>> {
        let (mut outcomes, judgements) = self.store_batch(envelopes).await?;
        for (position, judgement) in judgements {
            // A judgement that fails is reported, and the device's next message judges again.
            if let Err(error) = self.judge_stored(&judgement).await
                && let Outcome::Stored { unjudged, .. } = &mut outcomes[position]
            {
                *unjudged = Some(error.to_string());
            }
        }
        Ok(outcomes)
    }

    /// Stores a batch of messages in one round of writes for the whole batch (the latest
    /// values and the points; a device's first message adds a round for its first latest
    /// values), so a store that commits a round together (the embedded one) syncs to disk once
    /// a batch rather than twice a message. What each message became, and the messages that
    /// became their device's latest, to judge (by their position in the batch): the local
    /// broker acknowledges once stored and judges afterwards, so no device's alerts hold up
    /// another's acknowledgements.
    pub async fn store_batch(&self, envelopes: &[Envelope]) -> DomainResult<(Vec<Outcome>, Vec<(usize, Judgement)>)> {
        let now = self.now();
        let mut outcomes: Vec<Option<Outcome>> = vec![None; envelopes.len()];
        let mut planned: Vec<(usize, Plan)> = Vec::new();
        self.read_targets(envelopes).await;
        for (position, envelope) in envelopes.iter().enumerate() {
            // One device that cannot be read fails its own messages, not the batch.
            match self.plan(envelope, now).await {
                Ok(Ok(plan)) => planned.push((position, plan)),
                Ok(Err(refused)) => outcomes[position] = Some(refused),
                Err(_) => outcomes[position] = Some(Outcome::Failed),
            }
        }
        // One round for the latest values and the points together (the embedded store commits
        // it once); a point put only if new, so a repeat changes nothing.
        let count = planned.len();
        let mut writes: Vec<Write> = Vec::with_capacity(count * 2);
        writes.extend(planned.iter().map(|(_, plan)| Write::Update(plan.latest.clone())));
        writes.extend(planned.iter_mut().map(|(_, plan)| Write::Put {
            item: plan.point.take().expect("a point is written once"),
            condition: Some(Condition::NotExists),
        }));
        let mut written = self.store.write_each(writes).await?;
        let stored = written.split_off(count);
        // Whether each message's values became the latest: only those raise or clear alerts.
        let mut newest: Vec<bool> = written.iter().map(Result::is_ok).collect();
        // No latest values yet (or a newer message's): a first put, which only the device's
        // first message makes; a message that lost to another first of the same batch updates.
        // A repeat too: its point may have been stored by a delivery that ended before its
        // latest values were (a crash between the two).
        let firsts: Vec<usize> = (0..count).filter(|i| !newest[*i]).collect();
        if !firsts.is_empty() {
            let puts = firsts
                .iter()
                .map(|i| {
                    let latest = &planned[*i].1.latest;
                    let mut item = Item::from_record(latest.key.clone(), &Map::from_iter(latest.set.clone()));
                    item.gsi1 = latest.gsi1.clone();
                    Write::Put {
                        item,
                        condition: Some(Condition::NotExists),
                    }
                })
                .collect();
            let put = self.store.write_each(puts).await?;
            let mut again = Vec::new();
            for (i, outcome) in firsts.into_iter().zip(put) {
                match outcome {
                    Ok(()) => newest[i] = true,
                    Err(_) => again.push(i),
                }
            }
            if !again.is_empty() {
                let updates = again
                    .iter()
                    .map(|i| Write::Update(planned[*i].1.latest.clone()))
                    .collect();
                for (i, outcome) in again.into_iter().zip(self.store.write_each(updates).await?) {
                    newest[i] = outcome.is_ok();
                }
            }
        }
        let mut judgements = Vec::new();
        for (((position, plan), outcome), newest) in planned.into_iter().zip(stored).zip(newest) {
            let outcome = match outcome {
                Ok(()) => plan.stored.clone(),
                Err(StoreError::ConditionFailed { .. }) => Outcome::Repeated,
                Err(other) => return Err(other.into()),
            };
            outcomes[position] = Some(outcome);
            // Level-triggered: whatever became the latest is judged (a repeat that completes an
            // earlier delivery's latest values too).
            if newest {
                judgements.push((position, Judgement(plan)));
            }
        }
        let outcomes = outcomes
            .into_iter()
            .map(|outcome| outcome.expect("every message has an outcome"))
            .collect();
        Ok((outcomes, judgements))
    }

    /// A message's writes, or why it is refused.
    pub(super) async fn plan(&self, envelope: &Envelope, now: Timestamp) -> DomainResult<Result<Plan, Outcome>> {
        let refused = |refusal| Ok(Err(Outcome::Refused(refusal)));
        if envelope.client_id != envelope.device_id {
            return refused(Refusal::Impersonation);
        }
        let Ok(id) = DeviceId::parse(&envelope.device_id, "device_id") else {
            return refused(Refusal::UnknownDevice);
        };
        let Some(reading) = parse(&envelope.message, now) else {
            return refused(Refusal::Malformed);
        };
        let found = self.target(id).await?;
        let Some(target) = found.as_ref() else {
            return refused(Refusal::UnknownDevice);
        };
        let Some(organisation) = target.organisation else {
            return refused(Refusal::Unassigned);
        };
        if target.status == DeviceStatus::Decommissioned {
            return refused(Refusal::Decommissioned);
        }
        let expires_at = reading.ts.unix_seconds() + target.retention_days * 86_400;
        if expires_at <= now.unix_seconds() {
            return refused(Refusal::Stale);
        }
        let values: BTreeMap<u8, Value> = reading
            .values
            .iter()
            .filter_map(|(number, raw)| {
                let port = target.ports.get(number).filter(|port| port.enabled)?;
                let value = calibrate(port, raw);
                // A calibration past what the store keeps drops the value, not the message.
                let storable = value.as_f64().is_none_or(crate::validation::storable_number);
                storable.then_some((*number, value))
            })
            .collect();
        let sim_mismatch = target.has_sim && reading.imei.as_deref().is_some_and(|imei| imei != target.imei.as_str());
        let millis = reading.ts.unix_millis();
        // Whose it is: the company and end user the device is placed with now (read for this
        // batch), recorded on everything this message writes.
        let placement = target
            .alerted
            .as_ref()
            .map(AlertedDevice::placement)
            .unwrap_or_default();
        // When it falls silent: its model's timeout after this message reached us.
        let silent_after = keys::silent_after(organisation, id, Some(now.unix_millis() + target.silence_ms));
        let mut latest = Update::new(keys::device_latest(organisation, &placement, id))
            .set("last_seen", json!(reading.ts))
            .set("last_ts", json!(millis))
            .set("company_id", json!(placement.company_id))
            .set("end_user_id", json!(placement.end_user_id))
            .with_gsi1(silent_after);
        for (port, value) in &values {
            latest = latest.set(format!("port_{port}"), json!({ "value": value, "ts": reading.ts }));
        }
        if let Some((lat, lon)) = reading.position {
            latest = latest.set("position", json!({ "lat": lat, "lon": lon, "ts": reading.ts }));
        }
        // Newer: a later time, or the same time and a later sequence number (devices whose
        // clocks tick in seconds send several messages a second).
        let seq = i64::try_from(reading.seq).unwrap_or(i64::MAX);
        latest = latest.set("last_seq", json!(seq));
        latest.condition = Some(Condition::Any(vec![
            Condition::AttributeBelow("last_ts".into(), millis),
            Condition::All(vec![
                Condition::AttributeEquals("last_ts".into(), json!(millis)),
                Condition::AttributeBelow("last_seq".into(), seq),
            ]),
        ]));
        let point = Item::from_record(
            keys::telemetry_point(organisation, id, millis, reading.seq),
            &json!({
                "ts": reading.ts,
                "seq": reading.seq,
                "values": values.iter().map(|(port, value)| (port.to_string(), value.clone())).collect::<Map<_, _>>(),
                "imei": reading.imei,
                "position": reading.position.map(|(lat, lon)| json!({ "lat": lat, "lon": lon })),
                "received_at": envelope.received_at,
                "company_id": placement.company_id,
                "end_user_id": placement.end_user_id,
            }),
        )
        .expiring_at(expires_at);
        Ok(Ok(Plan {
            latest,
            point: Some(point),
            values,
            ts_ms: millis,
            imei: reading.imei,
            target: found.clone(),
            stored: Outcome::Stored {
                device: id,
                organisation,
                sim_mismatch,
                unjudged: None,
            },
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn at(text: &str) -> Timestamp {
        Timestamp::new(DateTime::parse_from_rfc3339(text).unwrap().to_utc())
    }

    #[test]
    fn a_message_needs_ts_seq_and_values_of_numbers_or_booleans_by_port() {
        let now = at("2026-03-01T09:00:00Z");
        let message = |value: Value| value.as_object().unwrap().clone();
        let good = parse(
            &message(json!({ "ts": "2026-03-01T08:59:00Z", "seq": 7, "values": { "1": 21.5, "2": true }, "lat": 52.5, "lon": 13.4 })),
            now,
        )
        .unwrap();
        assert_eq!((good.seq, good.values.len(), good.position), (7, 2, Some((52.5, 13.4))));
        for bad in [
            json!({ "seq": 1, "values": {} }),
            json!({ "ts": "2026-03-01T08:59:00Z", "seq": -1, "values": {} }),
            json!({ "ts": "2026-03-01T08:59:00Z", "seq": 1, "values": { "0": 1 } }),
            json!({ "ts": "2026-03-01T08:59:00Z", "seq": 1, "values": { "1": "hot" } }),
            json!({ "ts": "2026-03-01T09:30:00Z", "seq": 1, "values": {} }),
            json!({ "ts": "2026-03-01T08:59:00Z", "seq": 1, "values": {}, "lat": 91, "lon": 0 }),
        ] {
            assert!(parse(&message(bad.clone()), now).is_none(), "{bad}");
        }
    }

    #[test]
    fn calibration_scales_and_offsets_numbers_and_reads_digital_numbers_as_booleans() {
        let port = |kind| EffectivePort {
            number: 1,
            name: "p".into(),
            kind,
            unit: String::new(),
            scale: 0.1,
            offset: -40.0,
            enabled: true,
            overridden: false,
        };
        assert_eq!(calibrate(&port(PortKind::Analog), &json!(650)), json!(25.0));
        assert_eq!(calibrate(&port(PortKind::Digital), &json!(1)), json!(true));
        assert_eq!(calibrate(&port(PortKind::Digital), &json!(false)), json!(false));
    }
}
