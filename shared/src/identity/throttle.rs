//! Sign-in throttling with exponential back-off. Every attempt first *claims* a slot with a
//! conditional write on the throttle record, and only a successful claim may check a
//! password; so however many attempts race, no more pass than the policy allows. A claim
//! that turns out to be a successful sign-in is refunded: successes never count.

use super::Throttle;
use crate::error::{DomainError, DomainResult};
use crate::ports::Store;
use crate::store::{Condition, Item, Key, StoreError, Update};
use crate::time::Timestamp;

/// How long a throttle record is kept after its lock ends: failures wear off after an hour
/// without one, so ordinary typos never add up to a lock.
const FORGET_AFTER_SECONDS: i64 = 3600;
/// Claims retried this often when racing other claims before giving up as throttled.
const CLAIM_ATTEMPTS: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Attempts allowed before any waiting.
    pub free_attempts: u32,
    /// The first wait; it doubles with every further attempt.
    pub base_delay_seconds: u64,
    pub max_delay_seconds: u64,
}

impl ThrottlePolicy {
    /// How long to wait after the `failures`-th failed attempt.
    pub fn delay_after(&self, failures: i64) -> u64 {
        let failures = u32::try_from(failures.max(0)).unwrap_or(u32::MAX);
        if failures < self.free_attempts {
            return 0;
        }
        let doublings = (failures - self.free_attempts).min(32);
        self.base_delay_seconds
            .saturating_mul(1u64 << doublings)
            .min(self.max_delay_seconds)
    }
}

/// An attempt claimed on one throttle record, to give back if it succeeds.
pub(super) struct Claimed {
    key: Key,
}

impl Claimed {
    /// Gives a successful attempt back: one failure less, atomically, so successes racing each
    /// other and failures on the same record all land (a lock the claim set stays until it
    /// ends; it only happens past the free attempts, when the record is under attack).
    pub(super) async fn refund(self, store: &dyn Store) -> DomainResult<()> {
        match store.update(Update::new(self.key).add("failures", -1)).await {
            // The record was forgotten meanwhile: nothing to give back.
            Ok(_) | Err(StoreError::ConditionFailed { .. }) => Ok(()),
            Err(other) => Err(other.into()),
        }
    }
}

/// Claims one attempt under `policy`, or answers how long to wait. The claim counts as a
/// failure until the record expires, or until it is refunded or (per account and source)
/// deleted by a successful sign-in. `read` is the record as the caller already read it, if
/// it did, for the first attempt; a lost race reads it again.
pub(super) async fn claim(
    store: &dyn Store,
    key: &Key,
    policy: &ThrottlePolicy,
    now: Timestamp,
    mut read: Option<Option<Item>>,
) -> DomainResult<Claimed> {
    let now = now.unix_seconds();
    for _ in 0..CLAIM_ATTEMPTS {
        let current = match read.take() {
            Some(item) => item,
            None => store.get(key).await?,
        };
        let (throttle, condition) = match &current {
            Some(item) => (item.record::<Throttle>()?, Condition::VersionIs(item.version)),
            None => (
                Throttle {
                    failures: 0,
                    locked_until: 0,
                },
                Condition::NotExists,
            ),
        };
        if throttle.locked_until > now {
            return Err(DomainError::too_many_attempts((throttle.locked_until - now) as u64));
        }
        let failures = throttle.failures.max(0) + 1;
        let locked_until = now + policy.delay_after(failures) as i64;
        let mut item = Item::from_record(key.clone(), &Throttle { failures, locked_until })
            .expiring_at(locked_until + FORGET_AFTER_SECONDS);
        item.version = current.map_or(1, |item| item.version + 1);
        match store.put(item, Some(condition)).await {
            Ok(()) => return Ok(Claimed { key: key.clone() }),
            Err(StoreError::ConditionFailed { .. }) => continue,
            Err(other) => return Err(other.into()),
        }
    }
    Err(DomainError::too_many_attempts(policy.base_delay_seconds.max(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_after_the_free_attempts_up_to_a_ceiling() {
        let policy = ThrottlePolicy {
            free_attempts: 5,
            base_delay_seconds: 1,
            max_delay_seconds: 900,
        };
        let waits: Vec<u64> = (1..=8).map(|n| policy.delay_after(n)).collect();
        assert_eq!(waits, [0, 0, 0, 0, 1, 2, 4, 8]);
        assert_eq!(policy.delay_after(40), 900);
    }
}
