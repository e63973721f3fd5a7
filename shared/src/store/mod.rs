//! The single-table store port.
//!
//! Every record lives in one table of [`Item`]s addressed by a partition key and a sort key,
//! optionally projected into two global secondary indexes, optionally expiring (TTL), and
//! always carrying a version for optimistic concurrency. The semantics here are the contract:
//! the DynamoDB adapter and the embedded adapter in `infra` both pass the same conformance
//! suite (`tests/tests/spec/store_conformance.rs`).
//!
//! Expired items are invisible: reads skip them and conditions treat them as absent, whether
//! or not a background sweeper has deleted them yet (DynamoDB deletes them up to days late).

mod condition;
mod item;
mod query;
mod update;

pub use condition::Condition;
pub use item::{Attributes, IndexKey, Item, Key};
pub use query::{Cursor, Index, Page, Query, SortCondition};
pub use update::Update;

use async_trait::async_trait;

/// DynamoDB's limit on the operations of one transaction; the embedded store enforces it too.
pub const MAX_TRANSACTION_WRITES: usize = 100;
/// Largest page a query returns, whatever limit is asked for.
pub const MAX_PAGE: u32 = 1000;

/// One write of a transaction.
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    Put {
        item: Item,
        condition: Option<Condition>,
    },
    Update(Update),
    Delete {
        key: Key,
        condition: Option<Condition>,
    },
    /// Checks a condition on an item the transaction does not otherwise touch.
    Check {
        key: Key,
        condition: Condition,
    },
}

impl Write {
    pub fn key(&self) -> &Key {
        match self {
            Write::Put { item, .. } => &item.key,
            Write::Update(update) => &update.key,
            Write::Delete { key, .. } | Write::Check { key, .. } => key,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// A condition did not hold. `index` is the position of the failing write in a
    /// transaction (0 for a single write); nothing was written.
    #[error("condition failed on write {index}")]
    ConditionFailed { index: usize },
    /// Another transaction touched the same items at the same time; nothing was written and
    /// the caller may retry.
    #[error("transaction conflicted with a concurrent write")]
    Contention,
    /// The request breaks a rule of the port (too many writes, the same key twice, a bad
    /// attribute type); a programming error, never the client's.
    #[error("invalid store request: {0}")]
    Invalid(String),
    /// A cursor that this store did not issue for this query.
    #[error("invalid cursor")]
    InvalidCursor,
    /// The backend failed or could not be reached.
    #[error("store unavailable: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait Store: Send + Sync {
    /// The live item with this key (strongly consistent).
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError>;

    /// The live items with these keys, in the order of `keys`; any number of keys.
    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, StoreError>;

    /// Writes the whole item if `condition` holds.
    async fn put(&self, item: Item, condition: Option<Condition>) -> Result<(), StoreError>;

    /// Changes part of a live item (see [`Update`]) and returns the item as written.
    async fn update(&self, update: Update) -> Result<Item, StoreError>;

    /// Deletes the item if `condition` holds; deleting an absent item is not an error.
    async fn delete(&self, key: &Key, condition: Option<Condition>) -> Result<(), StoreError>;

    /// One page of live items under one partition key of the table or an index.
    async fn query(&self, query: &Query) -> Result<Page, StoreError>;

    /// Up to [`MAX_TRANSACTION_WRITES`] writes on distinct keys, applied all or none.
    async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError>;

    /// Each write on its own, in order, as if by its own call: each condition checked and
    /// each outcome reported (a failed condition is `ConditionFailed { index: 0 }`, as for a
    /// single write). A store that can commits them together (the embedded store: one
    /// transaction, one sync to disk); the default sends them one by one. An error of the
    /// whole (the backend unreachable) may leave some written: each write must be safe to
    /// repeat.
    async fn write_each(&self, writes: Vec<Write>) -> Result<Vec<Result<(), StoreError>>, StoreError> {
        let mut outcomes = Vec::with_capacity(writes.len());
        for write in writes {
            let outcome = match write {
                Write::Put { item, condition } => self.put(item, condition).await,
                Write::Update(update) => self.update(update).await.map(drop),
                Write::Delete { key, condition } => self.delete(&key, condition).await,
                check @ Write::Check { .. } => self.transact(vec![check]).await,
            };
            match outcome {
                Ok(()) => outcomes.push(Ok(())),
                Err(error @ StoreError::ConditionFailed { .. }) => outcomes.push(Err(error)),
                Err(other) => return Err(other),
            }
        }
        Ok(outcomes)
    }
}

/// Checks the rules of [`Store::transact`] that do not depend on stored data, so both
/// adapters reject the same malformed transactions the same way.
pub fn check_transaction(writes: &[Write]) -> Result<(), StoreError> {
    if writes.is_empty() || writes.len() > MAX_TRANSACTION_WRITES {
        return Err(StoreError::Invalid(format!(
            "a transaction holds 1 to {MAX_TRANSACTION_WRITES} writes, not {}",
            writes.len()
        )));
    }
    let mut keys: Vec<&Key> = writes.iter().map(Write::key).collect();
    keys.sort();
    if keys.windows(2).any(|pair| pair[0] == pair[1]) {
        return Err(StoreError::Invalid(
            "a transaction touches each item at most once".into(),
        ));
    }
    Ok(())
}
