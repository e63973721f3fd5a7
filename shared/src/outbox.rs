//! The transactional outbox (SPEC §12): a message caused by a change is written in the same
//! transaction as the change; a relay later moves it to the queue; the consumer delivers it
//! at most once per message id. Nothing is lost if a process dies anywhere in between.
//!
//! Two lanes, each with its own outbox partition and queue: identity mail (confirmation,
//! reset, invitations) and notices (rule and alert e-mail), so no backlog of notices ever
//! delays a confirmation (issue 21, item 1). The relay serves the identity lane first.

use crate::error::{DomainError, DomainResult};
use crate::keys;
use crate::mail::Lane;
use crate::ports::{Clock, MailOpen, Mailer, OutboxMessage, Queue, Store};
use crate::store::{Condition, Index, Item, MAX_TRANSACTION_WRITES, Query, SortCondition, StoreError, Update, Write};

/// How long a consumer holds a message it is delivering before another may retry it.
const DELIVERY_LEASE_SECONDS: i64 = 120;
/// How long a delivered message is remembered, to drop redeliveries.
const DELIVERY_MEMORY_SECONDS: i64 = 14 * 24 * 3600;
/// Refusals by the queue after which a message is set aside instead of tried again, so one
/// message the queue will never take cannot hold up the ones behind it.
pub const MAX_REFUSALS: u32 = 5;

/// How long a parked message is kept for operators, from when it was parked.
const PARKED_FOR_SECONDS: i64 = 30 * 24 * 3600;

/// A message the relay set aside: kept under [`keys::PARKED_MESSAGES`] for operators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parked {
    /// The outbox item's sort key (the message id, when the item could be read at all).
    pub message: String,
    pub kind: String,
    pub reason: String,
}

/// What one round of the relay did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RelayRound {
    pub sent: usize,
    /// Refused for good this round, counted on the message and left for another try.
    pub refused: usize,
    /// Not taken because of the queue's own fault: left as they were, for a later drain.
    pub deferred: usize,
    pub parked: Vec<Parked>,
}

impl RelayRound {
    /// Whether the round changed the outbox (so another round may find more to do).
    pub fn made_progress(&self) -> bool {
        self.sent + self.refused + self.parked.len() > 0
    }
}

/// Moves up to `batch` messages of `lane`'s outbox to its queue, oldest first, deleting each
/// only after the queue took it. A message the queue refuses for good stays for another round
/// until it has been refused [`MAX_REFUSALS`] times, then it is parked; one the queue could
/// not take through its own fault stays as it is; an item that is not a message at all is
/// parked at once. Either way the messages behind it go out.
pub async fn relay(
    store: &dyn Store,
    lane: Lane,
    queue: &dyn Queue,
    clock: &dyn Clock,
    batch: u32,
) -> DomainResult<RelayRound> {
    let batch = batch.min(MAX_TRANSACTION_WRITES as u32);
    let page = store
        .query(
            &Query::new(Index::Table, keys::outbox_partition(lane))
                .sort(SortCondition::BeginsWith("MESSAGE#".into()))
                .limit(batch),
        )
        .await?;
    let mut round = RelayRound::default();
    let mut messages = Vec::new();
    for item in page.items {
        match item.record::<OutboxMessage>() {
            Ok(message) => messages.push((item, message)),
            Err(unreadable) => {
                let kind = "unreadable".to_owned();
                round
                    .parked
                    .push(park(store, item, kind, unreadable.to_string()).await?);
            }
        }
    }
    if messages.is_empty() {
        return Ok(round);
    }
    let batch: Vec<OutboxMessage> = messages.iter().map(|(_, message)| message.clone()).collect();
    let refusals = queue.send(&batch).await?;
    let mut sent = Vec::new();
    for (item, message) in messages {
        match refusals.iter().find(|refusal| refusal.id == message.id) {
            None => sent.push(Write::Delete {
                key: item.key,
                condition: None,
            }),
            Some(refusal) if !refusal.permanent => round.deferred += 1,
            Some(refusal) if message.refusals + 1 >= MAX_REFUSALS => {
                let item = item.expiring_at(clock.now().timestamp() + PARKED_FOR_SECONDS);
                round
                    .parked
                    .push(park(store, item, message.kind, refusal.reason.clone()).await?);
            }
            Some(_) => {
                round.refused += 1;
                let counted = Update::new(item.key).add("refusals", 1);
                match store.update(counted).await {
                    // Relayed and deleted by a concurrent relay meanwhile.
                    Ok(_) | Err(StoreError::ConditionFailed { .. }) => {}
                    Err(other) => return Err(other.into()),
                }
            }
        }
    }
    round.sent = sent.len();
    if !sent.is_empty() {
        store.transact(sent).await?;
    }
    Ok(round)
}

/// Moves an outbox item to the parked messages, with the reason, in one transaction.
async fn park(store: &dyn Store, item: Item, kind: String, reason: String) -> DomainResult<Parked> {
    let parked = Item {
        key: keys::parked_message(&item.key.sk),
        ..item.clone()
    }
    .with("parked_reason", reason.as_str());
    let moved = store
        .transact(vec![
            Write::Put {
                item: parked,
                condition: None,
            },
            Write::Delete {
                key: item.key.clone(),
                condition: Some(Condition::Exists),
            },
        ])
        .await;
    match moved {
        // Another relay moved or sent it meanwhile.
        Ok(()) | Err(StoreError::ConditionFailed { .. }) => Ok(Parked {
            message: item.key.sk,
            kind,
            reason,
        }),
        Err(other) => Err(other.into()),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    /// Already delivered (or being delivered) under this id: nothing was sent.
    Duplicate,
}

/// Delivers one message at most once per id: claims a lease on the message id, sends,
/// then remembers the delivery. If sending fails the claim is released so a retry can send;
/// if the process dies mid-way the lease expires and a redelivery sends. `only`: the lane the
/// message came through, where that lane carries one kind of mail (an e-mail of another is
/// refused, never sent).
pub async fn deliver(
    store: &dyn Store,
    mailer: &dyn Mailer,
    clock: &dyn Clock,
    key: &dyn MailOpen,
    message: &OutboxMessage,
    only: Option<Lane>,
) -> DomainResult<Delivery> {
    let email = message.open(key).map_err(DomainError::Internal)?;
    if let Some(lane) = only
        && email.lane() != lane
    {
        return Err(DomainError::Internal(format!(
            "message {} is not for the {lane:?} lane it came through",
            message.id
        )));
    }
    let key = keys::delivery(message.id);
    let now = clock.now().timestamp();
    let lease = Item::new(key.clone())
        .expiring_at(now + DELIVERY_LEASE_SECONDS)
        .with("state", "sending");
    match store.put(lease, Some(Condition::NotExists)).await {
        Err(StoreError::ConditionFailed { .. }) => return Ok(Delivery::Duplicate),
        other => other?,
    }
    if let Err(cause) = mailer.send(&email.render()).await {
        store.delete(&key, None).await?;
        return Err(DomainError::Internal(format!(
            "sending message {}: {cause}",
            message.id
        )));
    }
    let delivered = Item::new(key)
        .expiring_at(now + DELIVERY_MEMORY_SECONDS)
        .with("state", "sent");
    store.put(delivered, None).await?;
    Ok(Delivery::Sent)
}
