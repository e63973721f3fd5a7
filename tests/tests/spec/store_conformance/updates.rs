//! Updates: an update changes only what it names and bumps the version, never creates an
//! item; counters lose no concurrent increment and a bounded one never passes its bound.

use super::{Subject, futures_join, key};
use serde_json::json;
use stratum_shared::store::{Condition, Index, IndexKey, Item, Query, StoreError, Update};

conformance!(
    an_update_changes_only_what_it_names_and_bumps_the_version,
    an_update_never_creates_an_item,
    concurrent_counter_increments_are_never_lost,
    a_counter_guarded_by_a_bound_never_passes_it_under_concurrency,
);

async fn an_update_changes_only_what_it_names_and_bumps_the_version(s: Subject) {
    let k = key("DEVICE#1", "META");
    let item = Item::new(k.clone())
        .with_gsi1(IndexKey::new("ORG#1", "DEVICE#1"))
        .with("name", "pump")
        .with("firmware", json!({"version": "1.0"}))
        .with("notes", "old");
    s.store.put(item, None).await.unwrap();

    let updated = s
        .store
        .update(
            Update::new(k.clone())
                .set("name", "pump 2")
                .remove("notes")
                .add("reboots", 1)
                .with_gsi1(IndexKey::new("ORG#2", "DEVICE#1"))
                .when(Condition::VersionIs(1)),
        )
        .await
        .unwrap();

    assert_eq!(updated.version, 2);
    assert_eq!(updated.attribute("name"), Some(&json!("pump 2")));
    assert_eq!(updated.attribute("firmware"), Some(&json!({"version": "1.0"})));
    assert_eq!(updated.attribute("notes"), None);
    assert_eq!(updated.attribute("reboots"), Some(&json!(1)));
    assert_eq!(s.store.get(&k).await.unwrap(), Some(updated));
    let moved = s.store.query(&Query::new(Index::Gsi1, "ORG#2")).await.unwrap();
    assert_eq!(moved.items.len(), 1);
    assert!(
        s.store
            .query(&Query::new(Index::Gsi1, "ORG#1"))
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

async fn an_update_never_creates_an_item(s: Subject) {
    let outcome = s.store.update(Update::new(key("NOPE", "1")).set("a", 1)).await;
    assert_eq!(outcome, Err(StoreError::ConditionFailed { index: 0 }));
    assert_eq!(s.store.get(&key("NOPE", "1")).await.unwrap(), None);
}

async fn concurrent_counter_increments_are_never_lost(s: Subject) {
    let k = key("COUNTER", "1");
    s.store.put(Item::new(k.clone()), None).await.unwrap();

    let increments = (0..50).map(|_| {
        let (store, k) = (s.store.clone(), k.clone());
        tokio::spawn(async move { store.update(Update::new(k).add("hits", 1)).await })
    });
    let outcomes = futures_join(increments).await;

    assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
    let stored = s.store.get(&k).await.unwrap().unwrap();
    assert_eq!(stored.attribute("hits"), Some(&json!(50)));
    assert_eq!(stored.version, 51);
}

async fn a_counter_guarded_by_a_bound_never_passes_it_under_concurrency(s: Subject) {
    let k = key("LOGIN#ada", "FAILURES");
    s.store
        .put(Item::new(k.clone()).with("attempts", 0), None)
        .await
        .unwrap();

    let attempts = (0..30).map(|_| {
        let (store, k) = (s.store.clone(), k.clone());
        tokio::spawn(async move {
            store
                .update(
                    Update::new(k)
                        .add("attempts", 1)
                        .when(Condition::AttributeBelow("attempts".into(), 10)),
                )
                .await
        })
    });
    let outcomes = futures_join(attempts).await;

    assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 10);
    let stored = s.store.get(&k).await.unwrap().unwrap();
    assert_eq!(stored.attribute("attempts"), Some(&json!(10)));
}
