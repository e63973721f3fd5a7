//! Telemetry ingest (issue 14, SPEC §7): a device's message, as the IoT Core rule (or the
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

use crate::alerts::{AlertRule, AlertedDevice, Notices};
use crate::devices::{Device, DeviceModel, DeviceStatus, EffectivePort, PortKind, effective_port};
use crate::error::{DomainError, DomainResult};
use crate::ids::{AlertRuleId, DeviceId, DeviceModelId, OrganisationId};
use crate::keys;
use crate::placement::Placement;
use crate::ports::{Clock, Store};
use crate::store::{Condition, Item, StoreError, Update, Write};
use crate::telecom::Imei;
use crate::time::Timestamp;
use chrono::DateTime;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

/// How long a point is kept unless its (root) organisation says otherwise
/// (`telemetry_retention_days`).
pub const DEFAULT_RETENTION_DAYS: i64 = 90;
/// How long a device's settings are used from the cache before they are read again.
pub const TARGET_TTL_SECONDS: i64 = 60;
/// How long an organisation's alert rules are used from the cache: a rule written applies
/// within this (one query per organisation and process, however many devices report).
pub const RULES_TTL_SECONDS: i64 = 10;
/// How far ahead of the receiving clock a message's `ts` may be (device clocks drift).
const MAX_CLOCK_SKEW_SECONDS: i64 = 300;

/// A message as the broker hands it on.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Envelope {
    /// The device id of the topic (`devices/{device_id}/telemetry`).
    pub device_id: String,
    /// The MQTT client id of the connection that published it.
    pub client_id: String,
    /// When the broker received it (milliseconds since the epoch).
    #[serde(default)]
    pub received_at: Option<i64>,
    /// The device's own message.
    #[serde(flatten)]
    pub message: Map<String, Value>,
}

/// Why a message was not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    /// Not the message format (or a `ts` far in the future).
    Malformed,
    /// Published by a connection whose client id is not the device of the topic.
    Impersonation,
    UnknownDevice,
    /// Not handed to an organisation.
    Unassigned,
    Decommissioned,
    /// Taken longer ago than points are kept: it would expire as it is stored.
    Stale,
}

/// What became of a message.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Stored {
        device: DeviceId,
        organisation: OrganisationId,
        /// The message named an IMEI other than the device's, which its SIM is locked to.
        sim_mismatch: bool,
        /// Why its alerts were not judged, if they were not (the device's next message
        /// judges again).
        unjudged: Option<String>,
    },
    /// Stored before: a repeat changes nothing.
    Repeated,
    Refused(Refusal),
    /// Not stored for a fault of ours (the device could not be read); sent again, it may be.
    Failed,
}

/// A device as ingest needs it.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// The device item's version it was made from.
    version: u64,
    organisation: Option<OrganisationId>,
    pub(crate) status: DeviceStatus,
    imei: Imei,
    has_sim: bool,
    ports: BTreeMap<u8, EffectivePort>,
    /// Its model's inactivity timeout.
    silence_ms: i64,
    /// How long its organisation keeps points.
    retention_days: i64,
    /// What its alerts record (its organisation's is `organisation`'s).
    pub(crate) alerted: Option<AlertedDevice>,
}

/// Devices (and models) a cache holds at most before it starts afresh.
const MAX_CACHED: usize = 50_000;

/// The devices and models ingest has read, each for [`TARGET_TTL_SECONDS`] (a device not
/// found too, so an unknown device's messages cost no read each).
#[derive(Default)]
pub struct TargetCache {
    devices: Cache<DeviceId, Arc<Option<Target>>>,
    models: Cache<DeviceModelId, Arc<DeviceModel>>,
    /// Each organisation's retention, in days.
    retentions: Cache<OrganisationId, i64>,
    /// Each organisation's alert rules.
    pub(crate) rules: Cache<OrganisationId, Arc<Vec<AlertRule>>>,
    /// Each device's alert state (its open alerts and pending breaches) with its present
    /// holder, as last read or changed here.
    pub(crate) books: Cache<(OrganisationId, DeviceId, Placement), Book>,
}

impl TargetCache {
    /// Drops a device's entry, so it is read afresh.
    pub(crate) fn forget(&self, device: DeviceId) {
        self.devices.lock().expect("the cache lock").remove(&device);
    }
}

/// A device's alert state as ingest knows it: the open alert of each source (by its sort
/// key) and each rule's pending breach (since when, in milliseconds).
#[derive(Debug, Clone, Default)]
pub(crate) struct Book {
    pub(crate) open: HashMap<String, String>,
    /// Since when, and the rule as it was then (its `updated_at`, milliseconds): a breach
    /// pending under a rule since changed starts afresh.
    pub(crate) pending: HashMap<AlertRuleId, (i64, i64)>,
}

// A device silent past its timeout comes back to a book read afresh, which sees its
// `offline` alert: the cache never outlives the shortest timeout.
const _: () = assert!(TARGET_TTL_SECONDS <= crate::devices::MIN_TIMEOUT_SECONDS as i64);

/// Entries by key, each with when it was read.
pub(crate) type Cache<K, V> = Mutex<HashMap<K, (i64, V)>>;

/// A fresh entry of `cache`, if there is one.
pub(crate) fn fresh<K: std::hash::Hash + Eq, V: Clone>(cache: &Cache<K, V>, key: &K, now: i64) -> Option<V> {
    fresh_for(cache, key, now, TARGET_TTL_SECONDS)
}

/// An entry of `cache` read less than `ttl` seconds ago, if there is one.
pub(crate) fn fresh_for<K: std::hash::Hash + Eq, V: Clone>(
    cache: &Cache<K, V>,
    key: &K,
    now: i64,
    ttl: i64,
) -> Option<V> {
    let cache = cache.lock().expect("the cache lock");
    cache
        .get(key)
        .filter(|(read_at, _)| now - read_at < ttl)
        .map(|(_, value)| value.clone())
}

/// Keeps `value` in `cache`, which starts afresh when full (entries live a minute anyway).
pub(crate) fn keep<K: std::hash::Hash + Eq, V>(cache: &Cache<K, V>, key: K, value: V, now: i64) {
    let mut cache = cache.lock().expect("the cache lock");
    if cache.len() >= MAX_CACHED {
        cache.clear();
    }
    cache.insert(key, (now, value));
}

/// The ingest use case, on the store and clock ports.
#[derive(Clone)]
pub struct Telemetry {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub targets: Arc<TargetCache>,
    /// What alert e-mails need.
    pub notices: Notices,
}

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
    pub(crate) fn now(&self) -> Timestamp {
        Timestamp::new(self.clock.now())
    }

    /// The device of `id` as ingest needs it: from the cache while fresh, else read (its
    /// model from the cache of models) and cached, a missing device too.
    pub(crate) async fn target(&self, id: DeviceId) -> DomainResult<Arc<Option<Target>>> {
        let now = self.now().unix_seconds();
        if let Some(target) = fresh(&self.targets.devices, &id, now) {
            return Ok(target);
        }
        let item = self.store.get(&keys::device(id)).await?;
        self.keep_target(id, item, now).await
    }

    /// Reads the devices of a batch's messages afresh, together (a request per 100 devices),
    /// so every message of the batch is written under its device's holder as it is now: a
    /// device moved to another company or end user records nothing more for the one before
    /// from the next batch on (issue 21, item 3).
    /// A device that cannot be read (or made sense of) here is forgotten, so its messages read
    /// it alone, and fail alone.
    async fn read_targets(&self, envelopes: &[Envelope]) {
        let now = self.now().unix_seconds();
        let mut ids: Vec<DeviceId> = envelopes
            .iter()
            .filter(|envelope| envelope.client_id == envelope.device_id)
            .filter_map(|envelope| DeviceId::parse(&envelope.device_id, "device_id").ok())
            .collect();
        ids.sort();
        ids.dedup();
        let keys: Vec<_> = ids.iter().map(|id| keys::device(*id)).collect();
        let Ok(items) = self.store.batch_get(&keys).await else {
            ids.iter().for_each(|id| self.targets.forget(*id));
            return;
        };
        for (id, item) in ids.iter().zip(items) {
            if self.keep_target(*id, item, now).await.is_err() {
                self.targets.forget(*id);
            }
        }
    }

    /// Caches the device of `id` as ingest needs it, from its item as read (`None`: no such
    /// device).
    async fn keep_target(&self, id: DeviceId, item: Option<Item>, now: i64) -> DomainResult<Arc<Option<Target>>> {
        // Unchanged since it was cached (the same version), and its model and retention read
        // less than a minute ago: nothing to make again.
        if let Some(item) = &item
            && let Some(cached) = fresh(&self.targets.devices, &id, now)
            && cached
                .as_ref()
                .as_ref()
                .is_some_and(|target| target.version == item.version)
        {
            return Ok(cached);
        }
        let target = match item {
            None => None,
            Some(item) => {
                let device: Device = item.record()?;
                let model = self.model(device.model_id, now).await?;
                let retention_days = match device.organisation_id {
                    Some(organisation) => self.retention(organisation, now).await?,
                    None => DEFAULT_RETENTION_DAYS,
                };
                Some(Target {
                    version: item.version,
                    organisation: device.organisation_id,
                    status: device.status,
                    imei: device.imei.clone(),
                    has_sim: device.sim_iccid.is_some(),
                    ports: model
                        .ports
                        .iter()
                        .map(|port| (port.number, effective_port(port, device.ports.get(&port.number))))
                        .collect(),
                    silence_ms: i64::from(model.inactivity_timeout_seconds) * 1000,
                    retention_days,
                    alerted: device.organisation_id.map(|organisation| AlertedDevice {
                        id: device.id,
                        organisation,
                        name: device.name.clone(),
                        company: device.company_id,
                        end_user: device.end_user_id,
                        model: device.model_id,
                        environment: device.environment_id,
                    }),
                })
            }
        };
        // Another batch read a newer version meanwhile (the local broker stores batches at
        // once): that one stays.
        if let Some(item_version) = target.as_ref().map(|target| target.version)
            && let Some(newer) = fresh_for(&self.targets.devices, &id, now, i64::MAX)
            && newer
                .as_ref()
                .as_ref()
                .is_some_and(|cached| cached.version > item_version)
        {
            return Ok(newer);
        }
        let target = Arc::new(target);
        keep(&self.targets.devices, id, target.clone(), now);
        Ok(target)
    }

    /// An organisation's retention, read once a minute per process however many of its
    /// devices report.
    async fn retention(&self, organisation: OrganisationId, now: i64) -> DomainResult<i64> {
        if let Some(days) = fresh(&self.targets.retentions, &organisation, now) {
            return Ok(days);
        }
        let days = match self.store.get(&keys::organisation(organisation)).await? {
            Some(item) => {
                item.record::<crate::identity::Organisation>()?
                    .details
                    .telemetry_retention_days
            }
            None => None,
        }
        .map_or(DEFAULT_RETENTION_DAYS, i64::from);
        keep(&self.targets.retentions, organisation, days, now);
        Ok(days)
    }

    /// A model, read once a minute per process however many devices are of it (the models'
    /// partition is shared by every device).
    async fn model(&self, id: DeviceModelId, now: i64) -> DomainResult<Arc<DeviceModel>> {
        if let Some(model) = fresh(&self.targets.models, &id, now) {
            return Ok(model);
        }
        let model: Arc<DeviceModel> = Arc::new(
            self.store
                .get(&keys::device_model(id))
                .await?
                .ok_or_else(|| DomainError::Internal(format!("a device of a missing model {id}")))?
                .record()?,
        );
        keep(&self.targets.models, id, model.clone(), now);
        Ok(model)
    }

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

    /// Judges a stored message that became its device's latest against its alert rules, its
    /// SIM's lock and an open `offline`.
    pub async fn judge_stored(&self, judgement: &Judgement) -> DomainResult<()> {
        self.judge(&judgement.0).await
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
    async fn plan(&self, envelope: &Envelope, now: Timestamp) -> DomainResult<Result<Plan, Outcome>> {
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

/// A stored message that became its device's latest, to be judged against its alert rules.
pub struct Judgement(Plan);

/// A message's writes: its latest values (an update conditional on being newer; for the
/// device's first message, the same fields put), its point, and the outcome once stored.
pub(crate) struct Plan {
    latest: Update,
    /// Taken when written.
    point: Option<Item>,
    /// The calibrated values, by port.
    pub(crate) values: BTreeMap<u8, Value>,
    /// The message's time, in milliseconds.
    pub(crate) ts_ms: i64,
    pub(crate) imei: Option<String>,
    /// The device (always found: a plan is made only for a known device).
    pub(crate) target: Arc<Option<Target>>,
    pub(crate) stored: Outcome,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
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
