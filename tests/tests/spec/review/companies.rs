//! Companies: billed through their root (T7), deleted by an owner of the root (T8).

use crate::organisations::{add, company, organisation};
use crate::world::World;
use serde_json::json;

both_entry_points!(
    a_former_billing_subscriber_is_an_ordinary_member_of_every_company,
    only_an_owner_of_the_root_deletes_a_company,
);

async fn a_former_billing_subscriber_is_an_ordinary_member_of_every_company(world: &World) {
    let ada = world.person("ada").await;
    let bob = world.person("bob").await;
    let root = organisation(world, &ada, "ABC Holdings").await;
    let shop = company(world, &ada, &root, "Shop").await;
    add(world, &ada, &root, &bob, &["owner", "billing_admin"]).await;
    let card = json!({ "provider": "stripe", "reference": "pm_1", "brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2030 });
    let submitted = world
        .organisation(&bob, &root)
        .billing()
        .submit_payment_method(card)
        .await;
    assert!(matches!(submitted.status, 200 | 201), "{submitted:?}");
    let root_now = world.organisation(&bob, &root).get().await;
    assert_eq!(root_now.body["billing_subscriber_id"], bob.id.as_str(), "{root_now:?}");
    add(world, &bob, &shop, &ada, &["operator"]).await;

    let shop_as_bob = world.organisation(&bob, &shop);

    let shown = shop_as_bob.get().await;
    assert_eq!(shown.status, 200, "{shown:?}");
    assert_eq!(
        shown.body["billing_subscriber_id"],
        serde_json::Value::Null,
        "a company is billed through its root: {shown:?}"
    );
    let members = shop_as_bob.members().list().await;
    let rows = members.body["items"].as_array().expect("a member list").clone();
    assert!(rows.iter().any(|m| m["user_id"] == ada.id.as_str()), "{members:?}");
    assert!(
        rows.iter().all(|m| m["billing_subscriber"] != true),
        "nobody is a company's subscriber: {members:?}"
    );

    let left = world.organisation(&ada, &shop).leave().await;
    assert_eq!(left.status, 204, "{left:?}");
    let deleted = shop_as_bob.delete().await;
    assert_eq!(deleted.status, 204, "{deleted:?}");
}

async fn only_an_owner_of_the_root_deletes_a_company(world: &World) {
    let ada = world.person("ada").await;
    let carl = world.person("carl").await;
    let root = organisation(world, &ada, "ABC Holdings").await;
    let shop = company(world, &ada, &root, "Shop").await;
    add(world, &ada, &shop, &carl, &["owner"]).await;
    let shop_as_ada = world.organisation(&ada, &shop);

    let by_company_owner = world.organisation(&carl, &shop).delete().await;
    assert_eq!(
        by_company_owner.status, 403,
        "an owner of the company alone may not delete it: {by_company_owner:?}"
    );

    let removed = shop_as_ada.members().remove(&carl.id).await;
    assert_eq!(removed.status, 204, "{removed:?}");
    let by_root_owner = shop_as_ada.delete().await;
    assert_eq!(by_root_owner.status, 204, "{by_root_owner:?}");
    let gone = shop_as_ada.get().await;
    assert_eq!(gone.status, 404, "{gone:?}");
}
