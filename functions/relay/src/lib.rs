//! The outbox relay: drains the outbox partition into the queue. On AWS it is woken by the
//! table's stream when a message is written (low latency) and by a one-minute schedule (a
//! sweep, so a missed wake-up delays a message but never loses it). Locally the server runs
//! the same drain in-process.

use stratum_shared::error::DomainResult;
use stratum_shared::outbox::{Queue, relay};
use stratum_shared::store::Store;

/// Messages moved per round (one query, one queue send, one delete transaction).
pub const BATCH: u32 = 100;
/// Rounds per invocation, so one invocation stays well inside its timeout.
const MAX_ROUNDS: usize = 50;

/// Handles one wake-up (a stream batch or a scheduled event; either way only a signal):
/// drains the outbox and reports how many messages went to the queue.
pub async fn handle(
    store: &dyn Store,
    queue: &dyn Queue,
    _wake_up: serde_json::Value,
) -> DomainResult<serde_json::Value> {
    let relayed = drain(store, queue).await?;
    tracing::info!(relayed, "outbox drained");
    Ok(serde_json::json!({ "relayed": relayed }))
}

/// Relays until the outbox is empty (or the round limit); returns how many were relayed.
pub async fn drain(store: &dyn Store, queue: &dyn Queue) -> DomainResult<usize> {
    let mut total = 0;
    for _ in 0..MAX_ROUNDS {
        let relayed = relay(store, queue, BATCH).await?;
        total += relayed;
        if relayed == 0 {
            break;
        }
    }
    Ok(total)
}
