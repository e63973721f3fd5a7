//! The transactional outbox (SPEC §12): a message caused by a change is written in the same
//! transaction as the change; a relay later moves it to the queue; the consumer delivers it
//! at most once per message id. Nothing is lost if a process dies anywhere in between.

use crate::clock::Clock;
use crate::error::{DomainError, DomainResult};
use crate::ids::MessageId;
use crate::keys;
use crate::mail::{EmailMessage, RenderedEmail};
use crate::store::{Condition, Index, Item, MAX_TRANSACTION_WRITES, Query, SortCondition, Store, StoreError, Write};
use crate::time::Timestamp;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// How long a consumer holds a message it is delivering before another may retry it.
const DELIVERY_LEASE_SECONDS: i64 = 120;
/// How long a delivered message is remembered, to drop redeliveries.
const DELIVERY_MEMORY_SECONDS: i64 = 14 * 24 * 3600;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxMessage {
    pub id: MessageId,
    pub created_at: Timestamp,
    pub email: EmailMessage,
}

impl OutboxMessage {
    pub fn email(email: EmailMessage, now: Timestamp) -> Self {
        Self {
            id: MessageId::generate(),
            created_at: now,
            email,
        }
    }

    /// The write that puts this message in the outbox, for the transaction of its cause.
    pub fn write(&self) -> Write {
        Write::Put {
            item: Item::from_record(keys::outbox_message(self.id), self),
            condition: Some(Condition::NotExists),
        }
    }
}

/// Where relayed messages go: SQS on AWS, the in-process notifier locally.
#[async_trait]
pub trait Queue: Send + Sync {
    /// Sends every message or fails; a message may be sent more than once.
    async fn send(&self, messages: &[OutboxMessage]) -> Result<(), String>;
}

/// Sends rendered e-mail: SES on AWS, `.eml` files locally.
#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, email: &RenderedEmail) -> Result<(), String>;
}

/// Moves up to `batch` outbox messages to the queue, oldest first, deleting each only after
/// the queue accepted it. Returns how many were relayed.
pub async fn relay(store: &dyn Store, queue: &dyn Queue, batch: u32) -> DomainResult<usize> {
    let batch = batch.min(MAX_TRANSACTION_WRITES as u32);
    let page = store
        .query(
            &Query::new(Index::Table, keys::OUTBOX_PARTITION)
                .sort(SortCondition::BeginsWith("MESSAGE#".into()))
                .limit(batch),
        )
        .await?;
    if page.items.is_empty() {
        return Ok(0);
    }
    let messages = page
        .items
        .iter()
        .map(Item::record::<OutboxMessage>)
        .collect::<Result<Vec<_>, _>>()?;
    queue.send(&messages).await.map_err(DomainError::Internal)?;
    let sent = page
        .items
        .into_iter()
        .map(|item| Write::Delete {
            key: item.key,
            condition: None,
        })
        .collect();
    store.transact(sent).await?;
    Ok(messages.len())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    /// Already delivered (or being delivered) under this id: nothing was sent.
    Duplicate,
}

/// Delivers one message at most once per id: claims a lease on the message id, sends,
/// then remembers the delivery. If sending fails the claim is released so a retry can send;
/// if the process dies mid-way the lease expires and a redelivery sends.
pub async fn deliver(
    store: &dyn Store,
    mailer: &dyn Mailer,
    clock: &dyn Clock,
    message: &OutboxMessage,
) -> DomainResult<Delivery> {
    let key = keys::delivery(message.id);
    let now = clock.now().timestamp();
    let lease = Item::new(key.clone())
        .expiring_at(now + DELIVERY_LEASE_SECONDS)
        .with("state", "sending");
    match store.put(lease, Some(Condition::NotExists)).await {
        Err(StoreError::ConditionFailed { .. }) => return Ok(Delivery::Duplicate),
        other => other?,
    }
    if let Err(cause) = mailer.send(&message.email.render()).await {
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
