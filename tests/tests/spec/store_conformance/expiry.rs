//! Expiry: an expired item is invisible to reads and counts as absent for conditions before
//! any sweeper runs.

use super::{Subject, key};
use serde_json::json;
use std::sync::Arc;
use stratum_shared::clock::ManualClock;
use stratum_shared::ports::Store;
use stratum_shared::store::{Condition, Index, Item, Key, Query, StoreError, Update, Write};

conformance!(
    expired_items_are_invisible_before_any_sweeper_runs,
    an_expired_item_counts_as_absent_for_conditions,
);

async fn expired_items_are_invisible_before_any_sweeper_runs(s: Subject) {
    let now = s.clock.now_unix();
    let keys: Vec<Key> = (0..3).map(|i| key("TOKEN", &i.to_string())).collect();
    s.store
        .put(Item::new(keys[0].clone()).expiring_at(now - 1), None)
        .await
        .unwrap();
    s.store
        .put(Item::new(keys[1].clone()).expiring_at(now + 60), None)
        .await
        .unwrap();
    s.store.put(Item::new(keys[2].clone()), None).await.unwrap();

    assert_eq!(s.store.get(&keys[0]).await.unwrap(), None);
    assert!(s.store.get(&keys[1]).await.unwrap().is_some());
    let listed = |store: Arc<dyn Store>| async move {
        let page = store.query(&Query::new(Index::Table, "TOKEN")).await.unwrap();
        page.items.into_iter().map(|i| i.key.sk).collect::<Vec<_>>()
    };
    assert_eq!(listed(s.store.clone()).await, ["1", "2"]);

    s.clock.advance(chrono::Duration::seconds(60));

    assert_eq!(s.store.get(&keys[1]).await.unwrap(), None);
    assert_eq!(listed(s.store.clone()).await, ["2"]);
    let batch = s.store.batch_get(&keys).await.unwrap();
    assert_eq!(
        batch.iter().map(Option::is_some).collect::<Vec<_>>(),
        [false, false, true]
    );
}

async fn an_expired_item_counts_as_absent_for_conditions(s: Subject) {
    let now = s.clock.now_unix();
    let k = key("INVITE", "1");
    s.store
        .put(Item::new(k.clone()).expiring_at(now - 1).with("state", "pending"), None)
        .await
        .unwrap();

    let update = s.store.update(Update::new(k.clone()).set("state", "accepted")).await;
    assert_eq!(update, Err(StoreError::ConditionFailed { index: 0 }));
    let check = s
        .store
        .transact(vec![Write::Check {
            key: k.clone(),
            condition: Condition::Exists,
        }])
        .await;
    assert_eq!(check, Err(StoreError::ConditionFailed { index: 0 }));

    s.store
        .put(Item::new(k.clone()).with("state", "fresh"), Some(Condition::NotExists))
        .await
        .unwrap();
    assert_eq!(
        s.store.get(&k).await.unwrap().unwrap().attribute("state"),
        Some(&json!("fresh"))
    );
}

trait UnixNow {
    fn now_unix(&self) -> i64;
}

impl UnixNow for ManualClock {
    fn now_unix(&self) -> i64 {
        use stratum_shared::ports::Clock;
        self.now().timestamp()
    }
}
