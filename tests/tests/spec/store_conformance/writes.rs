//! Conditional writes and transactions: a conditional create, racing conditional updates, a
//! transaction rolled back whole and naming the failed condition's position, its limits, a
//! conditional delete, and writes each on its own.

use super::{Subject, futures_join, key};
use serde_json::json;
use stratum_shared::store::{Condition, Index, Item, Query, StoreError, Update, Write};

conformance!(
    a_conditional_create_collides_with_an_existing_item,
    twenty_racing_conditional_updates_have_exactly_one_winner,
    a_transaction_with_one_failed_condition_is_rolled_back_whole,
    a_failed_condition_check_names_its_position,
    a_transaction_touches_each_item_once_and_at_most_a_hundred,
    a_conditional_delete_deletes_only_when_the_condition_holds,
    writes_each_on_its_own_report_each_outcome_in_order,
);

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
