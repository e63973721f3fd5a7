//! Telemetry (issue 14, SPEC §7): a device's message becomes a stored point and the device's
//! latest values ([`ingest`]), is judged against the organisation's alert rules ([`judge`]),
//! and silence past a model's timeout raises `offline` ([`sweep`]); what each reads once and
//! keeps is in [`cache`].

mod cache;
mod ingest;
mod judge;
mod sweep;

pub(crate) use cache::Target;
pub use cache::TargetCache;
pub use judge::MAX_ALERTS_PER_MESSAGE;
pub use sweep::Sweep;

use crate::alerts::Notices;
use crate::ids::{DeviceId, OrganisationId};
use crate::ports::{Clock, Store};
use crate::store::{Item, Update};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

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

// A device silent past its timeout comes back to a book read afresh, which sees its
// `offline` alert: the cache never outlives the shortest timeout.

/// The ingest use case, on the store and clock ports.
#[derive(Clone)]
pub struct Telemetry {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub targets: Arc<TargetCache>,
    /// What alert e-mails need.
    pub notices: Notices,
}

impl Telemetry {
    pub(crate) fn now(&self) -> Timestamp {
        Timestamp::new(self.clock.now())
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
