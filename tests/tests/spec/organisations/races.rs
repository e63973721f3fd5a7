//! Invariants under concurrency (T3, T7), raced on purpose on both stores. After every race
//! the counts the invariants rest on must match the memberships exactly: never half-written.

use super::{add, organisation};
use crate::world::{Person, Reply, World};
use serde_json::json;
use stratum_shared::identity::Organisation;
use stratum_shared::ids::OrganisationId;
use stratum_shared::keys;

both_entry_points!(
    two_owners_demoting_each_other_leave_at_least_one_owner,
    concurrent_attempts_to_remove_the_last_billing_admin_fail,
    a_member_removed_while_being_promoted_ends_one_way_or_the_other,
    owners_promoted_concurrently_are_all_counted,
    two_owners_leaving_at_once_leave_one_owner_behind,
);

async fn both<A, B>(a: A, b: B) -> (Reply, Reply)
where
    A: std::future::Future<Output = Reply>,
    B: std::future::Future<Output = Reply>,
{
    tokio::join!(a, b)
}

fn holding(members: &serde_json::Value, role: &str) -> i64 {
    members["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["roles"].as_array().unwrap().contains(&json!(role)))
        .count() as i64
}

/// The stored counts match the members as listed.
async fn assert_counts_match_members(world: &World, viewer: &Person, id: &str) -> serde_json::Value {
    let members = world
        .organisation(viewer, id)
        .members()
        .list_with(&[("limit", "200")])
        .await
        .body;
    let key = keys::organisation(OrganisationId::parse(id, "id").unwrap());
    let stored: Organisation = world.identity.store.get(&key).await.unwrap().unwrap().record().unwrap();
    assert_eq!(
        stored.counts.members,
        members["items"].as_array().unwrap().len() as i64,
        "member count"
    );
    assert_eq!(stored.counts.owners, holding(&members, "owner"), "owner count");
    assert_eq!(
        stored.counts.billing_admins,
        holding(&members, "billing_admin"),
        "billing admin count"
    );
    members
}

async fn two_owners_demoting_each_other_leave_at_least_one_owner(world: &World) {
    let ada = world.person("ada").await;
    let bob = world.person("bob").await;
    let id = organisation(world, &ada, "ABC Holdings").await;
    add(world, &ada, &id, &bob, &["owner"]).await;

    let (ada_demotes_bob, bob_demotes_ada) = both(
        world.organisation(&ada, &id).members().set_roles(&bob.id, &["viewer"]),
        world.organisation(&bob, &id).members().set_roles(&ada.id, &["viewer"]),
    )
    .await;

    assert_eq!(ada_demotes_bob.status, 200, "{ada_demotes_bob:?}");
    // Bob's attempt fails either way: Ada is the billing subscriber (409), or Bob is no longer
    // an owner by the time his request is authorised (403).
    assert!(
        [(409, "billing_subscriber"), (403, "forbidden")].contains(&(bob_demotes_ada.status, bob_demotes_ada.code())),
        "{bob_demotes_ada:?}"
    );
    let members = assert_counts_match_members(world, &ada, &id).await;
    assert_eq!(holding(&members, "owner"), 1);
}

async fn concurrent_attempts_to_remove_the_last_billing_admin_fail(world: &World) {
    let ada = world.person("ada").await;
    let bob = world.person("bob").await;
    let id = organisation(world, &ada, "ABC Holdings").await;
    add(world, &ada, &id, &bob, &["owner"]).await;

    let (removed, left) = both(
        world.organisation(&bob, &id).members().remove(&ada.id),
        world.organisation(&ada, &id).leave(),
    )
    .await;

    assert_eq!((removed.status, left.status), (409, 409), "{removed:?} {left:?}");
    let members = assert_counts_match_members(world, &ada, &id).await;
    assert_eq!(holding(&members, "billing_admin"), 1);
}

async fn a_member_removed_while_being_promoted_ends_one_way_or_the_other(world: &World) {
    let ada = world.person("ada").await;
    let bob = world.person("bob").await;
    let id = organisation(world, &ada, "ABC Holdings").await;
    add(world, &ada, &id, &bob, &["viewer"]).await;
    let members = world.organisation(&ada, &id).members();

    let (promote, remove) = both(members.set_roles(&bob.id, &["owner"]), members.remove(&bob.id)).await;

    let members = assert_counts_match_members(world, &ada, &id).await;
    let bob_row = members["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["user_id"] == bob.id.as_str())
        .cloned();
    match bob_row {
        None => assert_eq!(remove.status, 204, "removed: {promote:?} {remove:?}"),
        Some(row) => assert_eq!(
            row["roles"],
            json!(["owner", "member"]),
            "promoted, never half-written: {promote:?} {remove:?}"
        ),
    }
}

async fn owners_promoted_concurrently_are_all_counted(world: &World) {
    let ada = world.person("ada").await;
    let bob = world.person("bob").await;
    let carl = world.person("carl").await;
    let id = organisation(world, &ada, "ABC Holdings").await;
    add(world, &ada, &id, &bob, &["viewer"]).await;
    add(world, &ada, &id, &carl, &["viewer"]).await;
    let members = world.organisation(&ada, &id).members();

    let (a, b) = both(
        members.set_roles(&bob.id, &["owner", "billing_admin"]),
        members.set_roles(&carl.id, &["owner"]),
    )
    .await;

    assert_eq!(
        (a.status, b.status),
        (200, 200),
        "unrelated changes both land (after a retry): {a:?} {b:?}"
    );
    let members = assert_counts_match_members(world, &ada, &id).await;
    assert_eq!((holding(&members, "owner"), holding(&members, "billing_admin")), (3, 2));
}

/// T3's count rule on its own: with no billing subscriber in the way (the guard that protects
/// the subscriber is tested above), two owners and billing admins leave at once. Each would
/// pass the check alone; together they would leave nobody, so one of them must be refused.
async fn two_owners_leaving_at_once_leave_one_owner_behind(world: &World) {
    let ada = world.person("ada").await;
    let bob = world.person("bob").await;
    let id = organisation(world, &ada, "ABC Holdings").await;
    add(world, &ada, &id, &bob, &["owner", "billing_admin"]).await;
    let key = keys::organisation(OrganisationId::parse(&id, "id").unwrap());
    let no_subscriber = stratum_shared::store::Update::new(key).set("billing_subscriber_id", serde_json::Value::Null);
    world.identity.store.update(no_subscriber).await.unwrap();

    let (ada_leaves, bob_leaves) = both(
        world.organisation(&ada, &id).leave(),
        world.organisation(&bob, &id).leave(),
    )
    .await;

    let mut outcomes = [
        (ada_leaves.status, ada_leaves.code().to_owned()),
        (bob_leaves.status, bob_leaves.code().to_owned()),
    ];
    outcomes.sort();
    assert_eq!(
        outcomes,
        [(204, String::new()), (409, "last_owner".to_owned())],
        "{ada_leaves:?} {bob_leaves:?}"
    );
    let stayed = if ada_leaves.status == 409 { &ada } else { &bob };
    let members = assert_counts_match_members(world, stayed, &id).await;
    assert_eq!((holding(&members, "owner"), holding(&members, "billing_admin")), (1, 1));
}
