//! Reading by query: paging forwards and backwards through more than a page loses and repeats
//! nothing, secondary indexes, sort-key conditions, cursors bound to their partition, and
//! batch reads of any number of keys in the order asked.

use super::{Subject, key};
use std::collections::BTreeSet;
use stratum_shared::ports::Store;
use stratum_shared::store::{Cursor, Index, IndexKey, Item, Key, Query, SortCondition, StoreError, Write};

conformance!(
    paging_through_more_than_a_thousand_items_loses_and_repeats_nothing,
    paging_backwards_returns_the_reverse_order,
    gsi_queries_find_items_by_their_index_keys,
    gsi_pages_with_equal_index_keys_lose_nothing,
    sort_key_conditions_select_the_same_items,
    batch_get_returns_items_in_the_order_asked_for_any_number_of_keys,
    a_cursor_from_another_partition_is_refused,
);

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
