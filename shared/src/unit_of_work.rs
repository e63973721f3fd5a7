//! One unit of work: a state change's writes, the audit events that record it and the outbox
//! messages it causes, committed as one store transaction (all or nothing), with what each
//! write's failed condition means to the use case attached to the write itself.
//!
//! A use case first decides (reads, checks, builds the writes), then applies:
//!
//! ```ignore
//! UnitOfWork::new()
//!     .write_or(membership, DomainError::conflict("already_a_member", "…"))
//!     .write(counts)
//!     .audit(event)
//!     .outbox(message)
//!     .commit(store)
//!     .await?;
//! ```
//!
//! The store answers a failed condition with the failing write's position
//! ([`StoreError::ConditionFailed`]); the unit of work turns it back into the meaning the
//! caller gave that write, so no use case counts positions. A write without a meaning, when
//! the unit has no [`otherwise`](UnitOfWork::otherwise) either, fails with the store's own
//! error: that is how a lost race on a version condition reaches the retry loops
//! (`tenancy::with_retries`) that plan the change again.

use crate::audit::AuditEvent;
use crate::error::DomainError;
use crate::ports::{OutboxMessage, Store};
use crate::store::{StoreError, Write};

/// The writes of one change and what a failed condition on each of them means (`M`: a
/// [`DomainError`] unless the use case needs its own outcomes, such as "plan again").
#[must_use = "a unit of work does nothing until it is committed"]
#[derive(Debug)]
pub struct UnitOfWork<M = DomainError> {
    writes: Vec<Write>,
    /// Parallel to `writes`: the meaning of each write's failed condition, if it has one.
    meanings: Vec<Option<M>>,
    /// The meaning of a failed condition on any write without its own.
    otherwise: Option<M>,
}

impl<M> Default for UnitOfWork<M> {
    fn default() -> Self {
        Self {
            writes: Vec::new(),
            meanings: Vec::new(),
            otherwise: None,
        }
    }
}

impl UnitOfWork {
    /// A unit of work whose failures are domain errors. (A use case with outcomes of its own,
    /// such as "plan again", starts from `UnitOfWork::default()` instead.)
    pub fn new() -> Self {
        Self::default()
    }
}

impl<M> UnitOfWork<M> {
    /// A write whose failed condition means whatever [`UnitOfWork::otherwise`] says, or, with
    /// nothing said, fails the commit with the store's error.
    pub fn write(mut self, write: Write) -> Self {
        self.writes.push(write);
        self.meanings.push(None);
        self
    }

    /// Several writes without a meaning of their own (an `Option` is zero or one write).
    pub fn writes(mut self, writes: impl IntoIterator<Item = Write>) -> Self {
        for write in writes {
            self = self.write(write);
        }
        self
    }

    /// A write whose failed condition means `meaning` (a taken address, a changed version,
    /// a token already used…).
    pub fn write_or(mut self, write: Write, meaning: M) -> Self {
        self.writes.push(write);
        self.meanings.push(Some(meaning));
        self
    }

    /// What a failed condition on any write without a meaning of its own means.
    pub fn otherwise(self, meaning: M) -> Self {
        Self {
            otherwise: Some(meaning),
            ..self
        }
    }

    /// The same unit with every meaning translated (for a caller with outcomes of its own
    /// around a unit built with domain errors).
    pub fn map_meanings<N>(self, translate: impl Fn(M) -> N) -> UnitOfWork<N> {
        UnitOfWork {
            writes: self.writes,
            meanings: self.meanings.into_iter().map(|m| m.map(&translate)).collect(),
            otherwise: self.otherwise.map(&translate),
        }
    }

    /// Appends an audit event recording the change (SPEC §10: in the change's transaction).
    pub fn audit(self, event: AuditEvent) -> Self {
        self.write(event.write())
    }

    /// Puts a message in the outbox, to be relayed once the change has committed (SPEC §12).
    pub fn outbox(self, message: OutboxMessage) -> Self {
        self.write(message.write())
    }

    /// The writes, in the order they were added: what [`Store::transact`] is given.
    pub fn planned(&self) -> &[Write] {
        &self.writes
    }

    /// What a failure of the transaction means: the meaning of the write whose condition
    /// failed (or the unit's `otherwise`), else the store's error.
    pub fn meaning_of(self, error: StoreError) -> M
    where
        M: From<StoreError>,
    {
        if let StoreError::ConditionFailed { index } = error
            && let Some(meaning) = self.meanings.into_iter().nth(index).flatten().or(self.otherwise)
        {
            return meaning;
        }
        M::from(error)
    }

    /// Commits every write as one transaction; on a failed condition, answers its meaning.
    pub async fn commit(mut self, store: &dyn Store) -> Result<(), M>
    where
        M: From<StoreError>,
    {
        let writes = std::mem::take(&mut self.writes);
        match store.transact(writes).await {
            Ok(()) => Ok(()),
            Err(error) => Err(self.meaning_of(error)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{Actor, RequestContext};
    use crate::ids::MessageId;
    use crate::store::{Condition, Item, Key, Page, Query, Update};
    use crate::time::Timestamp;
    use async_trait::async_trait;
    use std::sync::Mutex;

    /// A store that records the transactions it is given and fails them as told.
    struct Recording {
        transactions: Mutex<Vec<Vec<Write>>>,
        answer: Result<(), StoreError>,
    }

    impl Recording {
        fn answering(answer: Result<(), StoreError>) -> Self {
            Self {
                transactions: Mutex::new(Vec::new()),
                answer,
            }
        }
    }

    #[async_trait]
    impl Store for Recording {
        async fn get(&self, _: &Key) -> Result<Option<Item>, StoreError> {
            unimplemented!("a unit of work only transacts")
        }
        async fn batch_get(&self, _: &[Key]) -> Result<Vec<Option<Item>>, StoreError> {
            unimplemented!("a unit of work only transacts")
        }
        async fn put(&self, _: Item, _: Option<Condition>) -> Result<(), StoreError> {
            unimplemented!("a unit of work only transacts")
        }
        async fn update(&self, _: Update) -> Result<Item, StoreError> {
            unimplemented!("a unit of work only transacts")
        }
        async fn delete(&self, _: &Key, _: Option<Condition>) -> Result<(), StoreError> {
            unimplemented!("a unit of work only transacts")
        }
        async fn query(&self, _: &Query) -> Result<Page, StoreError> {
            unimplemented!("a unit of work only transacts")
        }
        async fn transact(&self, writes: Vec<Write>) -> Result<(), StoreError> {
            self.transactions.lock().unwrap().push(writes);
            self.answer.clone()
        }
    }

    /// Runs a future that never waits (the recording store answers at once).
    fn ready<T>(future: impl Future<Output = T>) -> T {
        let mut future = std::pin::pin!(future);
        let mut context = std::task::Context::from_waker(std::task::Waker::noop());
        match future.as_mut().poll(&mut context) {
            std::task::Poll::Ready(value) => value,
            std::task::Poll::Pending => unreachable!("the recording store never waits"),
        }
    }

    fn put(name: &str) -> Write {
        Write::Put {
            item: Item::new(Key::new(format!("TEST#{name}"), "A")),
            condition: Some(Condition::NotExists),
        }
    }

    #[derive(Debug, PartialEq)]
    enum Meaning {
        Taken,
        Changed,
        Again,
        Store(StoreError),
    }

    impl From<StoreError> for Meaning {
        fn from(error: StoreError) -> Self {
            Meaning::Store(error)
        }
    }

    fn unit() -> UnitOfWork<Meaning> {
        UnitOfWork::default()
            .write(put("user"))
            .write_or(put("claim"), Meaning::Taken)
            .write(put("organisation"))
            .write_or(put("membership"), Meaning::Changed)
    }

    #[test]
    fn a_failed_condition_means_what_its_write_was_given() {
        let failed = |index| unit().meaning_of(StoreError::ConditionFailed { index });
        assert_eq!(failed(1), Meaning::Taken);
        assert_eq!(failed(3), Meaning::Changed);
    }

    #[test]
    fn a_write_without_a_meaning_fails_with_the_store_error_unless_told_otherwise() {
        let lost = StoreError::ConditionFailed { index: 2 };
        assert_eq!(unit().meaning_of(lost.clone()), Meaning::Store(lost.clone()));
        assert_eq!(unit().otherwise(Meaning::Again).meaning_of(lost), Meaning::Again);
        // A write's own meaning wins over the unit's.
        let taken = StoreError::ConditionFailed { index: 1 };
        assert_eq!(unit().otherwise(Meaning::Again).meaning_of(taken), Meaning::Taken);
    }

    #[test]
    fn errors_other_than_a_failed_condition_pass_through() {
        for error in [StoreError::Contention, StoreError::Unavailable("down".into())] {
            let unit = unit().otherwise(Meaning::Again);
            assert_eq!(unit.meaning_of(error.clone()), Meaning::Store(error));
        }
    }

    #[test]
    fn a_committed_unit_maps_the_failing_write_to_its_meaning() {
        let store = Recording::answering(Err(StoreError::ConditionFailed { index: 3 }));
        assert_eq!(ready(unit().commit(&store)), Err(Meaning::Changed));
        let store = Recording::answering(Err(StoreError::ConditionFailed { index: 0 }));
        let domain: UnitOfWork = UnitOfWork::new().write(put("user"));
        assert!(matches!(
            ready(domain.commit(&store)),
            Err(DomainError::Store(StoreError::ConditionFailed { index: 0 }))
        ));
    }

    #[test]
    fn audit_events_and_outbox_messages_go_in_the_same_transaction_in_order() {
        let now = Timestamp::new(chrono::Utc::now());
        let event = AuditEvent::by(Actor::system())
            .did("test.done")
            .on("test", "t")
            .at(now, &RequestContext::default());
        let message = OutboxMessage {
            id: MessageId::generate(),
            lane: crate::mail::Lane::Identity,
            created_at: now,
            kind: "email.test".into(),
            sealed: "c2VhbGVk".into(),
            refusals: 0,
        };
        let store = Recording::answering(Ok(()));
        let unit: UnitOfWork = UnitOfWork::new()
            .write(put("state"))
            .audit(event.clone())
            .outbox(message.clone());
        ready(unit.commit(&store)).unwrap();
        let transactions = store.transactions.into_inner().unwrap();
        assert_eq!(transactions, [vec![put("state"), event.write(), message.write()]]);
    }
}
