//! Issue 21, item 2 and L1: through a company, only the company's own SIMs exist for its
//! devices, and its devices stay in it.

use crate::devices::devices_of_root;
use crate::organisations::{add, company, organisation};
use crate::sims::{add_sim, iccid, sims_path};
use crate::world::{Person, Reply, World};
use serde_json::json;

both_entry_points!(
    a_company_binds_only_its_own_sims_and_anything_else_answers_as_an_unknown_iccid,
    a_company_owner_cannot_take_a_device_out_of_the_company,
);

struct Reach {
    ada: Person,
    carl: Person,
    root: String,
    shop: String,
    depot: String,
    device: String,
}

/// A root with two companies, Shop (owned by Carl as well) and Depot, and a device in Shop.
async fn reach(world: &World) -> Reach {
    let admin = world.admin().await;
    let ada = world.person("ada").await;
    let carl = world.person("carl").await;
    let root = organisation(world, &ada, "Fleet").await;
    let shop = company(world, &ada, &root, "Shop").await;
    let depot = company(world, &ada, &root, "Depot").await;
    add(world, &ada, &shop, &carl, &["owner"]).await;
    let device = devices_of_root(world, &admin, &ada, &root, 1).await.remove(0);
    let placed = patch_device(world, &ada, &root, &device, json!({ "company_id": shop })).await;
    assert_eq!(placed.status, 200, "{placed:?}");
    Reach {
        ada,
        carl,
        root,
        shop,
        depot,
        device,
    }
}

async fn patch_device(world: &World, who: &Person, organisation: &str, device: &str, body: serde_json::Value) -> Reply {
    world
        .call(
            "PATCH",
            &format!("/api/organisations/{organisation}/devices/{device}"),
            who.token(),
            Some(body),
        )
        .await
}

async fn a_company_binds_only_its_own_sims_and_anything_else_answers_as_an_unknown_iccid(world: &World) {
    let Reach {
        ada,
        carl,
        root,
        shop,
        depot,
        device,
    } = reach(world).await;
    let n = uuid::Uuid::new_v4().as_u128() as u64 % 1_000_000_000;
    let (in_stock, at_depot, at_shop, nobodys) = (iccid(n), iccid(n + 1), iccid(n + 2), iccid(n + 3));
    for number in [&in_stock, &at_depot, &at_shop] {
        let added = add_sim(world, &ada, &root, json!({ "iccid": number })).await;
        assert_eq!(added.status, 201, "{added:?}");
    }
    for (number, company) in [(&at_depot, &depot), (&at_shop, &shop)] {
        let path = format!("{}/{number}/assignment", sims_path(&root));
        let assigned = world
            .call("PUT", &path, ada.token(), Some(json!({ "company_id": company })))
            .await;
        assert_eq!(assigned.status, 200, "{assigned:?}");
    }

    // Through the company, the root's stock, a sibling's SIM and an ICCID nobody holds…
    let mut answers = Vec::new();
    for number in [&in_stock, &at_depot, &nobodys] {
        let bound = patch_device(world, &carl, &shop, &device, json!({ "sim_iccid": number })).await;
        answers.push((bound.status, bound.field_errors()));
    }
    // …answer alike: nothing tells one from the others.
    let unknown = (409, vec![("sim_iccid".to_owned(), "unknown_sim".to_owned())]);
    assert_eq!(answers, [unknown.clone(), unknown.clone(), unknown]);
    let bound = patch_device(world, &carl, &shop, &device, json!({ "sim_iccid": at_shop })).await;
    assert_eq!(bound.status, 200, "the company's own SIM: {bound:?}");
    assert_eq!(bound.body["sim_iccid"], at_shop.as_str());
    let stock = world
        .call("GET", &format!("{}/{in_stock}", sims_path(&root)), ada.token(), None)
        .await;
    assert_eq!(stock.body["device_id"], serde_json::Value::Null, "untouched: {stock:?}");
}

async fn a_company_owner_cannot_take_a_device_out_of_the_company(world: &World) {
    let Reach {
        ada,
        carl,
        root,
        shop,
        depot,
        device,
    } = reach(world).await;
    for (target, reason) in [(json!(null), "back to the root"), (json!(depot), "to a sibling")] {
        let moved = patch_device(world, &carl, &shop, &device, json!({ "company_id": target })).await;
        assert_eq!(moved.status, 409, "{reason}: {moved:?}");
        assert_eq!(
            moved.field_errors(),
            [("company_id".to_owned(), "not_this_company".to_owned())],
            "{reason}"
        );
    }
    let still = world
        .call(
            "GET",
            &format!("/api/organisations/{shop}/devices/{device}"),
            carl.token(),
            None,
        )
        .await;
    assert_eq!(still.body["company_id"], shop.as_str(), "{still:?}");
    let by_root = patch_device(world, &ada, &root, &device, json!({ "company_id": depot })).await;
    assert_eq!(by_root.status, 200, "the root's owners move it: {by_root:?}");
}
