//! The store port's contract, run against both adapters: DynamoDB (on moto_server) and the
//! embedded SQLite store. Every case is written once; `conformance!` instantiates it per
//! adapter, so the two cannot drift apart.
//!
//! The cases by concern: `writes` (conditions and transactions), `updates` (partial updates
//! and counters), `queries` (paging, indexes, sort-key conditions, batch reads) and `expiry`;
//! `adapters` holds what only one adapter has.

use chrono::{TimeZone, Utc};
use std::sync::Arc;
use stratum_shared::clock::ManualClock;
use stratum_shared::ports::Store;
use stratum_shared::store::Key;

/// A store under test and the clock it reads expiry against.
pub struct Subject {
    pub store: Arc<dyn Store>,
    pub clock: Arc<ManualClock>,
}

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()))
}

pub async fn dynamodb() -> (Subject, ()) {
    let clock = clock();
    let store = stratum_tests::dynamo_store(clock.clone()).await;
    (
        Subject {
            store: Arc::new(store),
            clock,
        },
        (),
    )
}

pub async fn sqlite() -> (Subject, tempfile::TempDir) {
    let clock = clock();
    let (store, dir) = stratum_tests::sqlite_store(clock.clone());
    (
        Subject {
            store: Arc::new(store),
            clock,
        },
        dir,
    )
}

/// Instantiates each case once per adapter (`on_dynamodb::…`, `on_sqlite::…`); defined before
/// the modules so they all see it.
macro_rules! conformance {
    ($($case:ident),* $(,)?) => {
        mod on_dynamodb {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let (subject, _guard) = crate::store_conformance::dynamodb().await;
                    super::$case(subject).await;
                }
            )*
        }
        mod on_sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let (subject, _guard) = crate::store_conformance::sqlite().await;
                    super::$case(subject).await;
                }
            )*
        }
    };
}

mod adapters;
mod expiry;
mod queries;
mod updates;
mod writes;

fn key(pk: &str, sk: &str) -> Key {
    Key::new(pk, sk)
}

async fn futures_join<T: Send + 'static>(tasks: impl Iterator<Item = tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut outcomes = Vec::new();
    for task in tasks.collect::<Vec<_>>() {
        outcomes.push(task.await.expect("task completes"));
    }
    outcomes
}
