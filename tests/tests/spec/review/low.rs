//! Issue 21, item 6: the low findings, each replayed. L1 (a company owner taking a device out
//! of the company) is in `company_reach`; L5 (activation codes as keyed digests) in the unit
//! tests of the data key and the claims specs; L4 (a seal-only key for the functions that only
//! write e-mail) in `deployment` and the sealed-mail unit tests.

use crate::devices::devices_of_root;
use crate::organisations::{add, company, organisation};
use crate::sims::{add_sim, iccid, sims_path};
use crate::world::{Person, World};
use serde_json::{Value, json};

both_entry_points!(
    alert_rules_name_only_what_is_the_organisations_and_company_staff_read_rules_about_their_devices,
    removing_an_end_user_releases_their_sims_and_devices_and_ends_the_code_they_claimed_with,
    revoking_credentials_ends_the_devices_open_connection,
);

async fn rules(world: &World, who: &Person, organisation: &str) -> Vec<String> {
    let listed = world
        .call(
            "GET",
            &format!("/api/organisations/{organisation}/alert-rules"),
            who.token(),
            None,
        )
        .await;
    assert_eq!(listed.status, 200, "{listed:?}");
    let mut names: Vec<String> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|rule| rule["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

async fn alert_rules_name_only_what_is_the_organisations_and_company_staff_read_rules_about_their_devices(
    world: &World,
) {
    let admin = world.admin().await;
    let ada = world.person("ada").await;
    let carl = world.person("carl").await;
    let mallory = world.person("mallory").await;
    let root = organisation(world, &ada, "Fleet").await;
    let shop = company(world, &ada, &root, "Shop").await;
    add(world, &ada, &shop, &carl, &["operator"]).await;
    let elsewhere = organisation(world, &mallory, "Elsewhere").await;
    let theirs = devices_of_root(world, &admin, &mallory, &elsewhere, 1).await.remove(0);
    let ours = devices_of_root(world, &admin, &ada, &root, 2).await;
    let placed = world
        .call(
            "PATCH",
            &format!("/api/organisations/{root}/devices/{}", ours[0]),
            ada.token(),
            Some(json!({ "company_id": shop })),
        )
        .await;
    assert_eq!(placed.status, 200, "{placed:?}");
    let path = format!("/api/organisations/{root}/alert-rules");
    let rule = |name: &str, scope: Value, users: Value| {
        json!({
            "name": name, "port": 1, "condition": ">", "value": 40, "severity": "minor", "scope": scope,
            "recipients": { "roles": ["owner"], "user_ids": users }
        })
    };

    // What is not the organisation's is refused, per field.
    let cases = [
        (
            rule("Theirs", json!({ "device_id": theirs }), json!([])),
            "scope.device_id",
            "unknown_device",
        ),
        (
            rule("Nowhere", json!({ "environment_id": uuid::Uuid::new_v4() }), json!([])),
            "scope.environment_id",
            "unknown_environment",
        ),
        (
            rule("Stranger", json!({}), json!([mallory.id])),
            "recipients.user_ids[0]",
            "not_a_member",
        ),
    ];
    for (body, field, code) in cases {
        let refused = world.call("POST", &path, ada.token(), Some(body)).await;
        assert_eq!(refused.status, 409, "{refused:?}");
        assert_eq!(refused.field_errors(), [(field.to_owned(), code.to_owned())]);
    }

    // Through its company, staff read the rules about the company's devices, or no device.
    for (name, scope) in [
        ("About the shop's", json!({ "device_id": ours[0] })),
        ("About the root's", json!({ "device_id": ours[1] })),
        ("About every device", json!({})),
    ] {
        let made = world
            .call("POST", &path, ada.token(), Some(rule(name, scope, json!([]))))
            .await;
        assert_eq!(made.status, 201, "{made:?}");
    }
    assert_eq!(rules(world, &ada, &root).await.len(), 3);
    assert_eq!(
        rules(world, &carl, &shop).await,
        ["About every device", "About the shop's"]
    );
    let all = world.call("GET", &path, ada.token(), None).await;
    let hidden = all.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|rule| rule["name"] == "About the root's")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let one = world
        .call(
            "GET",
            &format!("/api/organisations/{shop}/alert-rules/{hidden}"),
            carl.token(),
            None,
        )
        .await;
    assert_eq!(one.status, 404, "{one:?}");
}

async fn removing_an_end_user_releases_their_sims_and_devices_and_ends_the_code_they_claimed_with(world: &World) {
    let admin = world.admin().await;
    let ada = world.person("ada").await;
    let buyer = world.person("buyer").await;
    let next_buyer = world.person("next").await;
    let root = organisation(world, &ada, "Amazon Band").await;
    let shop = company(world, &ada, &root, "Band shop").await;
    let number = iccid(uuid::Uuid::new_v4().as_u128() as u64 % 1_000_000_000);
    assert_eq!(
        add_sim(world, &ada, &shop, json!({ "iccid": number })).await.status,
        201
    );
    let print_code = || async {
        let codes = world
            .call(
                "POST",
                &format!("{}/activation-codes", sims_path(&root)),
                ada.token(),
                Some(json!({ "iccids": [number] })),
            )
            .await;
        assert_eq!(codes.status, 200, "{codes:?}");
        codes.body["items"][0]["activation_code"].as_str().unwrap().to_owned()
    };
    let claim = |who: &Person, code: &str| {
        let body = json!({ "iccid": number, "activation_code": code });
        let token = who.access.clone();
        async move { world.call("POST", "/api/sims/claim", Some(&token), Some(body)).await }
    };
    let code = print_code().await;
    assert_eq!(claim(&buyer, &code).await.status, 200);
    let device = devices_of_root(world, &admin, &ada, &root, 1).await.remove(0);
    let placed = world
        .call(
            "PATCH",
            &format!("/api/organisations/{root}/devices/{device}"),
            ada.token(),
            Some(json!({ "company_id": shop, "end_user_id": buyer.id })),
        )
        .await;
    assert_eq!(placed.status, 200, "{placed:?}");

    let removed = world.organisation(&ada, &shop).members().remove(&buyer.id).await;
    assert_eq!(removed.status, 204, "{removed:?}");

    let sim = world
        .call("GET", &format!("{}/{number}", sims_path(&root)), ada.token(), None)
        .await;
    assert_eq!(
        (
            sim.body["company_id"].clone(),
            sim.body["end_user_id"].clone(),
            sim.body["claimable"].clone()
        ),
        (json!(shop), Value::Null, json!(false)),
        "the company keeps it, unassigned, its old code gone: {sim:?}"
    );
    let held = world
        .call(
            "GET",
            &format!("/api/organisations/{root}/devices/{device}"),
            ada.token(),
            None,
        )
        .await;
    assert_eq!(held.body["end_user_id"], Value::Null, "{held:?}");
    let comeback = claim(&buyer, &code).await;
    assert_eq!(
        (comeback.status, comeback.code()),
        (404, "not_found"),
        "the removed end user cannot claim their way back: {comeback:?}"
    );
    assert_eq!(claim(&next_buyer, &code).await.status, 404);
    let claimed_again = claim(&next_buyer, &print_code().await).await;
    assert_eq!(claimed_again.status, 200, "{claimed_again:?}");
    assert_eq!(claimed_again.body["end_user_id"], next_buyer.id.as_str());
}

async fn revoking_credentials_ends_the_devices_open_connection(world: &World) {
    let admin = world.admin().await;
    let ada = world.person("ada").await;
    let root = organisation(world, &ada, "Fleet").await;
    let device = devices_of_root(world, &admin, &ada, &root, 1).await.remove(0);
    let credentials = format!("/api/organisations/{root}/devices/{device}/credentials");
    assert_eq!(world.call("POST", &credentials, ada.token(), None).await.status, 201);
    let revoked = world.call("DELETE", &credentials, ada.token(), None).await;
    assert_eq!(revoked.status, 204, "{revoked:?}");
    // On AWS IoT Core was asked to end the device's connection (locally the broker's own
    // connection ends, as the MQTT specs show).
    if let Some(ended) = world.deleted_connections().await {
        assert!(ended.contains(&device), "DeleteConnection for {device}: {ended:?}");
    }
}
