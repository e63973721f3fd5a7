//! The single-table store port.
//!
//! Every record lives in one table of [`Item`]s addressed by a partition key and a sort key,
//! optionally projected into two global secondary indexes, optionally expiring (TTL), and
//! always carrying a version for optimistic concurrency. The semantics here are the contract:
//! the DynamoDB adapter and the embedded adapter in `infra` both pass the same conformance
//! suite (`tests/tests/spec/store_conformance/`).
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

/// Checks the rules of [`Store::transact`](crate::ports::Store::transact) that do not depend on stored data, so both
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
