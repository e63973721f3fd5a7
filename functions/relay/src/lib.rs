//! The outbox relay: drains each lane of the outbox into its queue, the identity lane first
//! every round, so a confirmation never waits behind an organisation's notices. On AWS it is
//! woken by the table's stream when a message is written (low latency) and by a one-minute
//! schedule (a sweep, so a missed wake-up delays a message but never loses it). Locally the
//! server runs the same drain in-process.

use stratum_shared::clock::SystemClock;
use stratum_shared::error::DomainResult;
use stratum_shared::mail::Lane;
use stratum_shared::outbox::relay;
use stratum_shared::ports::{Clock, Queue, Store};

/// Messages moved per round (one query, one queue send, one delete transaction).
pub const BATCH: u32 = 100;
/// Rounds per invocation, so one invocation stays well inside its timeout.
const MAX_ROUNDS: usize = 50;

/// Handles one wake-up (a stream batch or a scheduled event; either way only a signal):
/// drains the outbox and reports how many messages went to the queue and how many were set
/// aside.
pub async fn handle(
    store: &dyn Store,
    queues: &Queues<'_>,
    _wake_up: serde_json::Value,
) -> DomainResult<serde_json::Value> {
    let drained = drain(store, queues, &SystemClock).await?;
    tracing::info!(
        relayed = drained.relayed,
        parked = drained.parked,
        deferred = drained.deferred,
        "outbox drained"
    );
    Ok(serde_json::json!({ "relayed": drained.relayed, "parked": drained.parked }))
}

/// What a drain did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Drained {
    pub relayed: usize,
    /// Messages set aside under `OUTBOX_PARKED` (each one logged as an error).
    pub parked: usize,
    /// Messages the queue could not take through its own fault, left for the next wake-up.
    pub deferred: usize,
}

/// Where each lane's messages go: SQS queues of their own on AWS (each with its own consumer),
/// the in-process notifier locally.
#[derive(Clone, Copy)]
pub struct Queues<'a> {
    pub identity: &'a dyn Queue,
    pub notices: &'a dyn Queue,
}

impl<'a> Queues<'a> {
    /// The queue of `lane`.
    pub fn of_lane(&self, lane: Lane) -> &'a dyn Queue {
        match lane {
            Lane::Identity => self.identity,
            Lane::Notices => self.notices,
        }
    }
}

/// Relays until the outbox is empty (or the round limit): every round a batch of each lane,
/// the identity lane first. A message the queue refuses stays for later rounds until it is
/// parked; the messages behind it go out meanwhile.
pub async fn drain(store: &dyn Store, queues: &Queues<'_>, clock: &dyn Clock) -> DomainResult<Drained> {
    let mut drained = Drained::default();
    for _ in 0..MAX_ROUNDS {
        let mut progress = false;
        for lane in Lane::ALL {
            let round = relay(store, lane, queues.of_lane(lane), clock, BATCH).await?;
            drained.relayed += round.sent;
            drained.parked += round.parked.len();
            drained.deferred += round.deferred;
            for parked in &round.parked {
                tracing::error!(
                    outbox_sort_key = %parked.message,
                    kind = %parked.kind,
                    reason = %parked.reason,
                    "outbox message parked: the queue kept refusing it; it is kept under OUTBOX_PARKED"
                );
            }
            progress |= round.made_progress();
        }
        if !progress {
            break;
        }
    }
    Ok(drained)
}
