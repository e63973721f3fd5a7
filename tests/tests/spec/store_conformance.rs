//! The store port's contract, run against both adapters: DynamoDB (on moto_server) and the
//! embedded SQLite store. Every case is written once; `conformance!` instantiates it per
//! adapter, so the two cannot drift apart.

use chrono::{TimeZone, Utc};
use serde_json::json;
use std::collections::BTreeSet;
use std::sync::Arc;
use stratum_shared::clock::ManualClock;
use stratum_shared::ports::Store;
use stratum_shared::store::{
    Condition, Cursor, Index, IndexKey, Item, Key, Query, SortCondition, StoreError, Update, Write,
};

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

macro_rules! conformance {
    ($($case:ident),* $(,)?) => {
        mod on_dynamodb {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let (subject, _guard) = super::dynamodb().await;
                    super::$case(subject).await;
                }
            )*
        }
        mod on_sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let (subject, _guard) = super::sqlite().await;
                    super::$case(subject).await;
                }
            )*
        }
    };
}

conformance!(
    a_conditional_create_collides_with_an_existing_item,
    twenty_racing_conditional_updates_have_exactly_one_winner,
    a_transaction_with_one_failed_condition_is_rolled_back_whole,
    a_failed_condition_check_names_its_position,
    a_transaction_touches_each_item_once_and_at_most_a_hundred,
    paging_through_more_than_a_thousand_items_loses_and_repeats_nothing,
    paging_backwards_returns_the_reverse_order,
    gsi_queries_find_items_by_their_index_keys,
    gsi_pages_with_equal_index_keys_lose_nothing,
    sort_key_conditions_select_the_same_items,
    expired_items_are_invisible_before_any_sweeper_runs,
    an_expired_item_counts_as_absent_for_conditions,
    batch_get_returns_items_in_the_order_asked_for_any_number_of_keys,
    an_update_changes_only_what_it_names_and_bumps_the_version,
    an_update_never_creates_an_item,
    concurrent_counter_increments_are_never_lost,
    a_counter_guarded_by_a_bound_never_passes_it_under_concurrency,
    a_conditional_delete_deletes_only_when_the_condition_holds,
    a_cursor_from_another_partition_is_refused,
    writes_each_on_its_own_report_each_outcome_in_order,
);

fn key(pk: &str, sk: &str) -> Key {
    Key::new(pk, sk)
}

async fn a_conditional_create_collides_with_an_existing_item(s: Subject) {
    let first = Item::new(key("USER#1", "PROFILE")).with("name", "Ada");
    s.store.put(first.clone(), Some(Condition::NotExists)).await.unwrap();

    let second = Item::new(key("USER#1", "PROFILE")).with("name", "Mallory");
    let outcome = s.store.put(second, Some(Condition::NotExists)).await;

    assert_eq!(outcome, Err(StoreError::ConditionFailed { index: 0 }));
    assert_eq!(s.store.get(&first.key).await.unwrap(), Some(first));
}

async fn twenty_racing_conditional_updates_have_exactly_one_winner(s: Subject) {
    let k = key("ORG#1", "META");
    s.store
        .put(Item::new(k.clone()).with("owner", "nobody"), None)
        .await
        .unwrap();

    let racers = (0..20).map(|n| {
        let store = s.store.clone();
        let k = k.clone();
        tokio::spawn(async move {
            store
                .update(
                    Update::new(k)
                        .set("owner", format!("racer-{n}"))
                        .when(Condition::VersionIs(1)),
                )
                .await
        })
    });
    let outcomes: Vec<_> = futures_join(racers).await;

    let winners: Vec<_> = outcomes.iter().filter_map(|o| o.as_ref().ok()).collect();
    assert_eq!(winners.len(), 1, "exactly one racer wins: {outcomes:?}");
    assert!(
        outcomes
            .iter()
            .all(|o| o.is_ok() || o == &Err(StoreError::ConditionFailed { index: 0 }))
    );
    let stored = s.store.get(&k).await.unwrap().unwrap();
    assert_eq!(stored.version, 2);
    assert_eq!(&stored, winners[0]);
}

async fn a_transaction_with_one_failed_condition_is_rolled_back_whole(s: Subject) {
    let existing = Item::new(key("A", "1")).with("n", 1);
    s.store.put(existing.clone(), None).await.unwrap();

    let outcome = s
        .store
        .transact(vec![
            Write::Put {
                item: Item::new(key("B", "1")),
                condition: Some(Condition::NotExists),
            },
            Write::Update(Update::new(key("A", "1")).set("n", 2)),
            Write::Put {
                item: Item::new(key("A", "2")),
                condition: None,
            },
            Write::Put {
                item: Item::new(key("C", "1")),
                condition: Some(Condition::Exists),
            },
        ])
        .await;

    assert_eq!(outcome, Err(StoreError::ConditionFailed { index: 3 }));
    assert_eq!(s.store.get(&key("B", "1")).await.unwrap(), None);
    assert_eq!(s.store.get(&key("A", "2")).await.unwrap(), None);
    assert_eq!(s.store.get(&key("A", "1")).await.unwrap(), Some(existing));
}

async fn a_failed_condition_check_names_its_position(s: Subject) {
    s.store
        .put(Item::new(key("ORG#1", "META")).with("state", "active"), None)
        .await
        .unwrap();
    let guarded = |state: &str| {
        vec![
            Write::Check {
                key: key("ORG#1", "META"),
                condition: Condition::AttributeEquals("state".into(), json!(state)),
            },
            Write::Put {
                item: Item::new(key("ORG#1", "MEMBER#9")),
                condition: Some(Condition::NotExists),
            },
        ]
    };

    assert_eq!(
        s.store.transact(guarded("deleted")).await,
        Err(StoreError::ConditionFailed { index: 0 })
    );
    assert_eq!(s.store.get(&key("ORG#1", "MEMBER#9")).await.unwrap(), None);
    s.store.transact(guarded("active")).await.unwrap();
    assert!(s.store.get(&key("ORG#1", "MEMBER#9")).await.unwrap().is_some());
}

async fn a_transaction_touches_each_item_once_and_at_most_a_hundred(s: Subject) {
    let twice = vec![
        Write::Put {
            item: Item::new(key("A", "1")),
            condition: None,
        },
        Write::Delete {
            key: key("A", "1"),
            condition: None,
        },
    ];
    assert!(matches!(s.store.transact(twice).await, Err(StoreError::Invalid(_))));

    let writes = |n: usize| {
        (0..n)
            .map(|i| Write::Put {
                item: Item::new(key("T", &format!("{i:03}"))),
                condition: None,
            })
            .collect()
    };
    assert!(matches!(
        s.store.transact(writes(101)).await,
        Err(StoreError::Invalid(_))
    ));
    s.store.transact(writes(100)).await.unwrap();
    let page = s.store.query(&Query::new(Index::Table, "T").limit(1000)).await.unwrap();
    assert_eq!(page.items.len(), 100);
}

/// Writes `n` items `P`/`0000`… in transactions of a hundred.
async fn fill(store: &dyn Store, pk: &str, n: usize, item: impl Fn(usize) -> Item) {
    let items: Vec<Item> = (0..n).map(item).collect();
    for chunk in items.chunks(100) {
        let writes = chunk
            .iter()
            .map(|item| Write::Put {
                item: item.clone(),
                condition: None,
            })
            .collect();
        store
            .transact(writes)
            .await
            .unwrap_or_else(|e| panic!("filling {pk}: {e}"));
    }
}

/// Every item of a query, page by page; also checks no page exceeds the limit.
async fn drain(store: &dyn Store, query: Query) -> Vec<Item> {
    let mut all = Vec::new();
    let mut cursor = None;
    loop {
        let page = store.query(&query.clone().after(cursor)).await.unwrap();
        assert!(page.items.len() <= query.limit as usize);
        all.extend(page.items);
        match page.next {
            // A cursor goes to the client as text and comes back.
            Some(next) => cursor = Some(Cursor::decode(&next.encode()).unwrap()),
            None => return all,
        }
    }
}

async fn paging_through_more_than_a_thousand_items_loses_and_repeats_nothing(s: Subject) {
    fill(&*s.store, "P", 1050, |i| {
        Item::new(key("P", &format!("ITEM#{i:04}"))).with("i", i)
    })
    .await;
    fill(&*s.store, "Q", 3, |i| Item::new(key("Q", &format!("ITEM#{i:04}")))).await;

    let items = drain(&*s.store, Query::new(Index::Table, "P").limit(100)).await;

    let sks: Vec<String> = items.iter().map(|item| item.key.sk.clone()).collect();
    let expected: Vec<String> = (0..1050).map(|i| format!("ITEM#{i:04}")).collect();
    assert_eq!(sks, expected, "every item once, in sort-key order");
}

async fn paging_backwards_returns_the_reverse_order(s: Subject) {
    fill(&*s.store, "P", 25, |i| Item::new(key("P", &format!("{i:02}")))).await;

    let items = drain(&*s.store, Query::new(Index::Table, "P").descending().limit(7)).await;

    let sks: Vec<String> = items.iter().map(|item| item.key.sk.clone()).collect();
    let expected: Vec<String> = (0..25).rev().map(|i| format!("{i:02}")).collect();
    assert_eq!(sks, expected);
}

async fn gsi_queries_find_items_by_their_index_keys(s: Subject) {
    for (user, org, joined) in [
        ("u1", "o1", "2024-01"),
        ("u2", "o1", "2024-03"),
        ("u3", "o2", "2024-02"),
    ] {
        let item = Item::new(key(&format!("USER#{user}"), &format!("MEMBER#{org}")))
            .with_gsi1(IndexKey::new(format!("ORG#{org}"), format!("JOINED#{joined}")))
            .with_gsi2(IndexKey::new("EMAIL", format!("{user}@example.com")));
        s.store.put(item, None).await.unwrap();
    }

    let o1 = s
        .store
        .query(&Query::new(Index::Gsi1, "ORG#o1").descending())
        .await
        .unwrap();
    let users: Vec<&str> = o1.items.iter().map(|i| i.key.pk.as_str()).collect();
    assert_eq!(users, ["USER#u2", "USER#u1"]);
    assert_eq!(o1.next, None);

    let by_email = s
        .store
        .query(&Query::new(Index::Gsi2, "EMAIL").sort(SortCondition::Equals("u3@example.com".into())))
        .await
        .unwrap();
    assert_eq!(by_email.items.len(), 1);
    assert_eq!(by_email.items[0].key, key("USER#u3", "MEMBER#o2"));
    assert_eq!(by_email.items[0].gsi1, Some(IndexKey::new("ORG#o2", "JOINED#2024-02")));
}

async fn gsi_pages_with_equal_index_keys_lose_nothing(s: Subject) {
    fill(&*s.store, "various", 45, |i| {
        Item::new(key(&format!("DEVICE#{i:02}"), "META")).with_gsi1(IndexKey::new("STATUS#online", "SAME"))
    })
    .await;

    let items = drain(&*s.store, Query::new(Index::Gsi1, "STATUS#online").limit(10)).await;

    let pks: BTreeSet<String> = items.iter().map(|i| i.key.pk.clone()).collect();
    assert_eq!(items.len(), 45);
    assert_eq!(pks.len(), 45);
}

async fn sort_key_conditions_select_the_same_items(s: Subject) {
    for sk in ["A", "A#1", "A#2", "AB", "B", "B#1", "C"] {
        s.store.put(Item::new(key("P", sk)), None).await.unwrap();
    }
    let cases = [
        (SortCondition::BeginsWith("A#".into()), vec!["A#1", "A#2"]),
        (SortCondition::Between("A#2".into(), "B".into()), vec!["A#2", "AB", "B"]),
        (SortCondition::Below("A#2".into()), vec!["A", "A#1"]),
        (SortCondition::AtMost("A#2".into()), vec!["A", "A#1", "A#2"]),
        (SortCondition::Above("B".into()), vec!["B#1", "C"]),
        (SortCondition::AtLeast("B".into()), vec!["B", "B#1", "C"]),
        (SortCondition::Equals("AB".into()), vec!["AB"]),
    ];
    for (condition, expected) in cases {
        let page = s
            .store
            .query(&Query::new(Index::Table, "P").sort(condition.clone()))
            .await
            .unwrap();
        let sks: Vec<&str> = page.items.iter().map(|i| i.key.sk.as_str()).collect();
        assert_eq!(sks, expected, "{condition:?}");
    }
}

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

async fn batch_get_returns_items_in_the_order_asked_for_any_number_of_keys(s: Subject) {
    fill(&*s.store, "B", 150, |i| {
        Item::new(key("B", &format!("{i:03}"))).with("i", i)
    })
    .await;
    let mut keys: Vec<Key> = (0..150).rev().map(|i| key("B", &format!("{i:03}"))).collect();
    keys.insert(7, key("B", "missing"));

    let items = s.store.batch_get(&keys).await.unwrap();

    assert_eq!(items.len(), 151);
    assert_eq!(items[7], None);
    for (asked, got) in keys.iter().zip(&items).filter(|(k, _)| k.sk != "missing") {
        assert_eq!(&got.as_ref().expect("present").key, asked);
    }
}

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

async fn a_conditional_delete_deletes_only_when_the_condition_holds(s: Subject) {
    let k = key("ORG#1", "META");
    s.store.put(Item::new(k.clone()), None).await.unwrap();

    assert_eq!(
        s.store.delete(&k, Some(Condition::VersionIs(7))).await,
        Err(StoreError::ConditionFailed { index: 0 })
    );
    assert!(s.store.get(&k).await.unwrap().is_some());
    s.store.delete(&k, Some(Condition::VersionIs(1))).await.unwrap();
    assert_eq!(s.store.get(&k).await.unwrap(), None);
    s.store
        .delete(&k, None)
        .await
        .expect("deleting an absent item is not an error");
}

async fn a_cursor_from_another_partition_is_refused(s: Subject) {
    fill(&*s.store, "P", 3, |i| Item::new(key("P", &i.to_string()))).await;
    let page = s.store.query(&Query::new(Index::Table, "P").limit(1)).await.unwrap();
    let cursor = page.next.expect("more pages");

    let misused = s
        .store
        .query(&Query::new(Index::Table, "OTHER").after(Some(cursor.clone())))
        .await;
    assert_eq!(misused, Err(StoreError::InvalidCursor));
    let wrong_index = s.store.query(&Query::new(Index::Gsi1, "P").after(Some(cursor))).await;
    assert_eq!(wrong_index, Err(StoreError::InvalidCursor));
}

async fn futures_join<T: Send + 'static>(tasks: impl Iterator<Item = tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut outcomes = Vec::new();
    for task in tasks.collect::<Vec<_>>() {
        outcomes.push(task.await.expect("task completes"));
    }
    outcomes
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

async fn writes_each_on_its_own_report_each_outcome_in_order(s: Subject) {
    let taken = Item::new(key("DEVICE#1", "LATEST")).with("last_ts", 10);
    s.store.put(taken.clone(), None).await.unwrap();
    let mut older = Update::new(taken.key.clone()).set("last_ts", 5);
    older.condition = Some(Condition::AttributeBelow("last_ts".into(), 5));
    let mut newer = Update::new(taken.key.clone()).set("last_ts", 20).set("last_seq", 1);
    newer.condition = Some(Condition::AttributeBelow("last_ts".into(), 20));
    // Either condition will do: the time is the same, and the tie is broken by a sequence.
    let mut tied = Update::new(taken.key.clone()).set("last_seq", 3);
    tied.condition = Some(Condition::Any(vec![
        Condition::AttributeBelow("last_ts".into(), 20),
        Condition::All(vec![
            Condition::AttributeEquals("last_ts".into(), serde_json::json!(20)),
            Condition::AttributeBelow("last_seq".into(), 3),
        ]),
    ]));
    let never = Update::new(taken.key.clone())
        .set("last_seq", 9)
        .when(Condition::Any(vec![]));
    let point = Item::new(key("TELEMETRY#1", "0001")).with("value", 1);
    let outcomes = s
        .store
        .write_each(vec![
            Write::Put {
                item: point.clone(),
                condition: Some(Condition::NotExists),
            },
            Write::Put {
                item: point.clone().with("value", 2),
                condition: Some(Condition::NotExists),
            },
            Write::Update(older),
            Write::Update(newer),
            Write::Update(tied),
            Write::Update(never),
        ])
        .await
        .unwrap();
    assert_eq!(
        outcomes,
        [
            Ok(()),
            Err(StoreError::ConditionFailed { index: 0 }),
            Err(StoreError::ConditionFailed { index: 0 }),
            Ok(()),
            Ok(()),
            Err(StoreError::ConditionFailed { index: 0 }),
        ],
        "each write as if on its own, later writes seeing earlier ones"
    );
    assert_eq!(
        s.store.get(&point.key).await.unwrap().unwrap().attribute("value"),
        Some(&serde_json::json!(1))
    );
    let latest = s.store.get(&taken.key).await.unwrap().unwrap();
    assert_eq!(latest.attribute("last_ts"), Some(&serde_json::json!(20)));
    assert_eq!(
        latest.attribute("last_seq"),
        Some(&serde_json::json!(3)),
        "the tie broken by the sequence"
    );
}
