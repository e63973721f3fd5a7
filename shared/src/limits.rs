//! Budgets per actor and window: how many invitations one person sends, how many mails one
//! address receives, how many registrations one source makes. A budget is a counter item per
//! (budget, subject, window) that expires with its window, spent with a conditional write so
//! that racing requests cannot overspend it.

use crate::error::{DomainError, DomainResult};
use crate::keys;
use crate::store::{Condition, Item, Store, StoreError, Update};
use crate::time::Timestamp;

/// A number of actions allowed per fixed window of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// The budget's name in keys and logs (`invitations`, `reset_mails`…).
    pub name: &'static str,
    pub per_window: u32,
    pub window_seconds: i64,
    /// The problem code a caller over budget gets.
    pub code: &'static str,
}

/// Whether a conditional write applied (`false`: its condition failed).
fn applied<T>(result: Result<T, StoreError>) -> DomainResult<bool> {
    match result {
        Ok(_) => Ok(true),
        Err(StoreError::ConditionFailed { .. }) => Ok(false),
        Err(other) => Err(other.into()),
    }
}

/// The outcome of spending from a budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spent {
    Allowed,
    /// Over budget until the window ends, this many seconds from now.
    Exhausted {
        retry_after_seconds: u64,
    },
}

impl Budget {
    /// Spends one action of `subject` (a user id, an address, a source address) at `now`.
    pub async fn spend(&self, store: &dyn Store, subject: &str, now: Timestamp) -> DomainResult<Spent> {
        let now = now.unix_seconds();
        let window = now - now.rem_euclid(self.window_seconds);
        let window_end = window + self.window_seconds;
        let key = keys::budget(self.name, subject, window);
        // In a busy window the counter exists: one conditional update. The first action of a
        // window creates it instead; if a racing first action created it meanwhile, the
        // update is tried once more. A failed update means absent or full; a failed create,
        // present.
        let spend = Update::new(key.clone())
            .add("count", 1)
            .when(Condition::AttributeBelow("count".into(), i64::from(self.per_window)));
        if applied(store.update(spend.clone()).await)? {
            return Ok(Spent::Allowed);
        }
        if self.per_window > 0 {
            let first = Item::new(key).with("count", 1).expiring_at(window_end);
            if applied(store.put(first, Some(Condition::NotExists)).await)? || applied(store.update(spend).await)? {
                return Ok(Spent::Allowed);
            }
        }
        Ok(Spent::Exhausted {
            retry_after_seconds: (window_end - now).max(1) as u64,
        })
    }

    /// Spends one action, answering 429 with this budget's code when it is exhausted.
    pub async fn require(&self, store: &dyn Store, subject: &str, now: Timestamp) -> DomainResult<()> {
        match self.spend(store, subject, now).await? {
            Spent::Allowed => Ok(()),
            Spent::Exhausted { retry_after_seconds } => Err(DomainError::Throttled {
                code: self.code,
                detail: format!(
                    "at most {} {} per {} minutes; try again later",
                    self.per_window,
                    self.name.replace('_', " "),
                    self.window_seconds / 60
                ),
                retry_after_seconds,
            }),
        }
    }
}
