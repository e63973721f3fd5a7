//! What only one adapter has: the embedded store keeps its items across a restart, the
//! DynamoDB adapter counts its round trips, and without moto_server the suite says how to
//! install it.

use super::{clock, key};
use stratum_shared::ports::Store;
use stratum_shared::store::{Condition, Index, Item, Query};

#[tokio::test]
async fn the_embedded_store_keeps_its_items_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stratum.db");
    let item = Item::new(key("ORG#1", "META")).with("name", "ABC Holdings");
    {
        let store = stratum_infra::store::sqlite::SqliteStore::open(&path, clock()).unwrap();
        store.put(item.clone(), Some(Condition::NotExists)).await.unwrap();
    }

    let reopened = stratum_infra::store::sqlite::SqliteStore::open(&path, clock()).unwrap();

    assert_eq!(reopened.get(&item.key).await.unwrap(), Some(item));
}

#[tokio::test]
async fn the_dynamodb_adapter_counts_its_round_trips_per_operation() {
    let store = stratum_tests::dynamo_store(clock()).await;
    store.put(Item::new(key("A", "1")), None).await.unwrap();
    store.get(&key("A", "1")).await.unwrap();
    store.batch_get(&[key("A", "1"), key("A", "2")]).await.unwrap();
    store.query(&Query::new(Index::Table, "A")).await.unwrap();

    let counts = store.requests().take();

    let expected = [("BatchGetItem", 1), ("GetItem", 1), ("PutItem", 1), ("Query", 1)];
    assert_eq!(counts, expected.map(|(op, n)| (op.to_string(), n)).into());
    assert!(store.requests().snapshot().is_empty(), "take starts again from zero");
}

#[test]
fn without_moto_server_the_suite_fails_saying_how_to_install_it() {
    let Err(hint) = stratum_tests::start_moto("/nonexistent/python3") else {
        panic!("a missing moto_server cannot start");
    };
    assert!(hint.contains("pip install \"moto[server]\""), "{hint}");
}
