//! Issue 21, item 4: an ICCID is unique within a root organisation. A tenant adding ICCIDs
//! another tenant holds learns nothing and blocks nothing; platform admins see the duplicates;
//! a claim reaches the SIM its code was printed for, whoever else holds the ICCID.

use crate::organisations::{company, organisation};
use crate::sims::{add_sim, iccid, sims_path};
use crate::world::World;
use serde_json::{Value, json};

both_entry_points!(
    adding_an_iccid_another_root_holds_answers_exactly_as_a_new_one,
    a_squat_never_blocks_the_real_holders_import,
    platform_admins_list_the_iccids_held_by_more_than_one_root,
    a_claim_reaches_the_sim_its_code_was_printed_for_whoever_else_holds_the_iccid,
);

/// An answer with what differs between any two SIMs taken out: what is left is its shape.
fn shape(reply: &Value) -> Value {
    let mut shown = reply.clone();
    for field in ["iccid", "organisation_id", "created_at", "updated_at"] {
        shown[field] = Value::Null;
    }
    shown
}

fn base() -> u64 {
    uuid::Uuid::new_v4().as_u128() as u64 % 1_000_000_000_000
}

async fn adding_an_iccid_another_root_holds_answers_exactly_as_a_new_one(world: &World) {
    let ada = world.person("ada").await;
    let mallory = world.person("mallory").await;
    let fleet = organisation(world, &ada, "Fleet").await;
    let squat = organisation(world, &mallory, "Squat").await;
    let n = base();
    let (held, fresh) = (iccid(n), iccid(n + 1));
    assert_eq!(add_sim(world, &ada, &fleet, json!({ "iccid": held })).await.status, 201);

    // Mallory probes an ICCID Ada holds and one nobody holds…
    let probed = add_sim(world, &mallory, &squat, json!({ "iccid": held })).await;
    let new = add_sim(world, &mallory, &squat, json!({ "iccid": fresh })).await;
    // …and cannot tell them apart.
    assert_eq!((probed.status, new.status), (201, 201), "{probed:?} {new:?}");
    assert_eq!(shape(&probed.body), shape(&new.body));
    assert_eq!(probed.headers.get("etag"), new.headers.get("etag"));

    // Ada's SIM is hers as it was; Mallory's is another SIM, in her own inventory.
    let ours = world
        .call("GET", &format!("{}?limit=200", sims_path(&fleet)), ada.token(), None)
        .await;
    let items = ours.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{ours:?}");
    assert_eq!(items[0]["organisation_id"], fleet.as_str());
    let activated = world
        .call(
            "POST",
            &format!("{}/{held}/activate", sims_path(&fleet)),
            ada.token(),
            None,
        )
        .await;
    assert_eq!(activated.body["status"], "active", "{activated:?}");
    let theirs = world
        .call("GET", &format!("{}/{held}", sims_path(&squat)), mallory.token(), None)
        .await;
    assert_eq!(
        theirs.body["status"], "inventory",
        "each root's SIM is its own: {theirs:?}"
    );
}

async fn a_squat_never_blocks_the_real_holders_import(world: &World) {
    let ada = world.person("ada").await;
    let mallory = world.person("mallory").await;
    let fleet = organisation(world, &ada, "Fleet").await;
    let squat = organisation(world, &mallory, "Squat").await;
    let n = base();
    let rows: Vec<Value> = (0..5).map(|k| json!({ "iccid": iccid(n + k) })).collect();
    let import = |org: &str| format!("{}/import", sims_path(org));

    // Mallory imports Ada's next delivery before Ada does.
    let squatted = world
        .call("POST", &import(&squat), mallory.token(), Some(json!(rows)))
        .await;
    assert_eq!(squatted.body["counts"]["created"], 5, "{squatted:?}");
    let imported = world
        .call("POST", &import(&fleet), ada.token(), Some(json!(rows)))
        .await;
    assert_eq!(imported.status, 200, "{imported:?}");
    assert_eq!(
        (
            imported.body["counts"]["created"].clone(),
            imported.body["counts"]["error"].clone()
        ),
        (json!(5), json!(0)),
        "every row is Ada's: {imported:?}"
    );
}

async fn platform_admins_list_the_iccids_held_by_more_than_one_root(world: &World) {
    let admin = world.admin().await;
    let ada = world.person("ada").await;
    let mallory = world.person("mallory").await;
    let fleet = organisation(world, &ada, "Fleet").await;
    let squat = organisation(world, &mallory, "Squat").await;
    let n = base();
    let (shared, alone) = (iccid(n), iccid(n + 1));
    assert_eq!(
        add_sim(world, &ada, &fleet, json!({ "iccid": shared })).await.status,
        201
    );
    assert_eq!(
        add_sim(world, &ada, &fleet, json!({ "iccid": alone })).await.status,
        201
    );
    assert_eq!(
        add_sim(world, &mallory, &squat, json!({ "iccid": shared }))
            .await
            .status,
        201
    );

    let listed = world
        .call("GET", "/api/platform/sims/duplicates", admin.token(), None)
        .await;
    assert_eq!(listed.status, 200, "{listed:?}");
    let ours: Vec<&Value> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|item| item["iccid"] == shared.as_str() || item["iccid"] == alone.as_str())
        .collect();
    assert_eq!(ours.len(), 1, "only the shared ICCID: {listed:?}");
    assert_eq!(
        (
            ours[0]["organisation_id"].clone(),
            ours[0]["first_organisation_id"].clone()
        ),
        (json!(squat), json!(fleet))
    );
    for tenant in [&ada, &mallory] {
        let hidden = world
            .call("GET", "/api/platform/sims/duplicates", tenant.token(), None)
            .await;
        assert_eq!(hidden.status, 404, "tenants do not see the platform's list: {hidden:?}");
    }
}

async fn a_claim_reaches_the_sim_its_code_was_printed_for_whoever_else_holds_the_iccid(world: &World) {
    let ada = world.person("ada").await;
    let mallory = world.person("mallory").await;
    let buyer = world.person("buyer").await;
    let fleet = organisation(world, &ada, "Amazon Band").await;
    let shop = company(world, &ada, &fleet, "Band shop").await;
    let squat = organisation(world, &mallory, "Squat").await;
    let decoy = company(world, &mallory, &squat, "Decoy").await;
    let number = iccid(base());
    for (who, company) in [(&ada, &shop), (&mallory, &decoy)] {
        let added = add_sim(world, who, company, json!({ "iccid": number })).await;
        assert_eq!(added.status, 201, "{added:?}");
    }
    let print = |who: &crate::world::Person, org: &str| {
        let path = format!("{}/activation-codes", sims_path(org));
        let token = who.access.clone();
        let number = number.clone();
        async move {
            let codes = world
                .call("POST", &path, Some(&token), Some(json!({ "iccids": [number] })))
                .await;
            codes.body["items"][0]["activation_code"].as_str().unwrap().to_owned()
        }
    };
    let real = print(&ada, &fleet).await;
    let _mallorys = print(&mallory, &squat).await;

    let claimed = world
        .call(
            "POST",
            "/api/sims/claim",
            buyer.token(),
            Some(json!({ "iccid": number, "activation_code": real })),
        )
        .await;
    assert_eq!(claimed.status, 200, "{claimed:?}");
    assert_eq!(
        (
            claimed.body["organisation_id"].clone(),
            claimed.body["company_id"].clone()
        ),
        (json!(fleet), json!(shop)),
        "the buyer joins the company whose card they hold"
    );
}
