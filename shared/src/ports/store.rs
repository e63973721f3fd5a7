//! The single-table store port: what both adapters (DynamoDB, embedded SQLite) do, with the
//! semantics [`crate::store`] describes and the conformance suite checks.

use crate::store::{Condition, Item, Key, Page, Query, StoreError, Update, Write};
use async_trait::async_trait;

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

    /// Up to [`MAX_TRANSACTION_WRITES`](crate::store::MAX_TRANSACTION_WRITES) writes on distinct keys, applied all or none.
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
