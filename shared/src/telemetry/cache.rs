//! What ingest and judging read once and keep: each device's target (its holder, model and
//! ports), models and retention per organisation, alert rules per organisation and each device's
//! alert state, every entry for a bounded time ([`TARGET_TTL_SECONDS`], [`RULES_TTL_SECONDS`]).

use super::{DEFAULT_RETENTION_DAYS, Envelope, RULES_TTL_SECONDS, TARGET_TTL_SECONDS, Telemetry};
use crate::alerts::{AlertRule, AlertedDevice};
use crate::devices::{Device, DeviceModel, DeviceStatus, EffectivePort, effective_port};
use crate::error::{DomainError, DomainResult};
use crate::ids::{AlertRuleId, DeviceId, DeviceModelId, OrganisationId};
use crate::keys;
use crate::placement::Placement;
use crate::store::{Index, Item, Query, SortCondition};
use crate::telecom::Imei;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

/// A device as ingest needs it.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// The device item's version it was made from.
    pub(super) version: u64,
    pub(super) organisation: Option<OrganisationId>,
    pub(crate) status: DeviceStatus,
    pub(super) imei: Imei,
    pub(super) has_sim: bool,
    pub(super) ports: BTreeMap<u8, EffectivePort>,
    /// Its model's inactivity timeout.
    pub(super) silence_ms: i64,
    /// How long its organisation keeps points.
    pub(super) retention_days: i64,
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

impl Telemetry {
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
    pub(super) async fn read_targets(&self, envelopes: &[Envelope]) {
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
    pub(super) async fn retention(&self, organisation: OrganisationId, now: i64) -> DomainResult<i64> {
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
    pub(super) async fn model(&self, id: DeviceModelId, now: i64) -> DomainResult<Arc<DeviceModel>> {
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

    /// The organisation's alert rules, read every [`RULES_TTL_SECONDS`] per process.
    pub(super) async fn rules(&self, organisation: OrganisationId) -> DomainResult<Arc<Vec<AlertRule>>> {
        let now = self.now().unix_seconds();
        if let Some(rules) = fresh_for(&self.targets.rules, &organisation, now, RULES_TTL_SECONDS) {
            return Ok(rules);
        }
        self.read_rules(organisation).await
    }

    /// The organisation's alert rules as stored now, kept in the cache.
    pub(super) async fn read_rules(&self, organisation: OrganisationId) -> DomainResult<Arc<Vec<AlertRule>>> {
        let now = self.now().unix_seconds();
        let mut rules = Vec::new();
        let mut cursor = None;
        loop {
            let page = self
                .store
                .query(
                    &Query::new(Index::Table, keys::organisation_partition(organisation))
                        .sort(SortCondition::BeginsWith(keys::ALERT_RULES_PREFIX.to_owned()))
                        .limit(crate::store::MAX_PAGE)
                        .after(cursor),
                )
                .await?;
            for item in &page.items {
                rules.push(item.record()?);
            }
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        let rules = Arc::new(rules);
        keep(&self.targets.rules, organisation, rules.clone(), now);
        Ok(rules)
    }

    /// A device's alert state while with its present holder, read once a minute per process
    /// (and kept as changed here).
    pub(super) async fn book(&self, device: &AlertedDevice) -> DomainResult<Book> {
        let now = self.now().unix_seconds();
        let cached = (device.organisation, device.id, device.placement());
        if let Some(book) = fresh(&self.targets.books, &cached, now) {
            return Ok(book);
        }
        let page = self
            .store
            .query(
                &Query::new(
                    Index::Table,
                    keys::device_alerts_partition(device.organisation, device.id),
                )
                .sort(SortCondition::BeginsWith(keys::alert_state_of(&device.placement())))
                .limit(crate::store::MAX_PAGE),
            )
            .await?;
        let mut book = Book::default();
        for item in page.items {
            if let Some(alert_key) = item.attribute("alert_key").and_then(Value::as_str) {
                let source = item.key.sk.rsplit('#').next().unwrap_or_default().to_owned();
                book.open.insert(source, alert_key.to_owned());
            } else if let (Some(rule), Some(since)) = (
                item.attribute("rule_id")
                    .and_then(|v| serde_json::from_value::<AlertRuleId>(v.clone()).ok()),
                item.attribute("since_ms").and_then(Value::as_i64),
            ) {
                let stamp = item.attribute("rule_stamp").and_then(Value::as_i64).unwrap_or_default();
                book.pending.insert(rule, (since, stamp));
            }
        }
        keep(&self.targets.books, cached, book.clone(), now);
        Ok(book)
    }

    /// Keeps what this process changed of a device's alert state (until its entry expires),
    /// or forgets it after a lost race so the next message reads it afresh.
    pub(super) fn remember(&self, device: &AlertedDevice, book: Option<Book>) {
        let mut books = self.targets.books.lock().expect("the cache lock");
        let key = (device.organisation, device.id, device.placement());
        match book {
            Some(book) => {
                if let Some(entry) = books.get_mut(&key) {
                    entry.1 = book;
                }
            }
            None => {
                books.remove(&key);
            }
        }
    }
}
