//! Machine users and API keys.

use super::{add, organisation};
use crate::client::Caller::ApiKey;
use crate::world::World;
use serde_json::json;

both_entry_points!(
    an_owner_creates_a_machine_that_signs_in_with_an_api_key,
    machines_never_hold_owner_or_billing_admin,
    a_revoked_or_expired_key_stops_working_at_once,
    only_owners_of_the_machines_organisation_manage_its_keys,
);

async fn an_owner_creates_a_machine_that_signs_in_with_an_api_key(world: &World) {
    let ada = world.person("ada").await;
    let id = organisation(world, &ada, "ABC Holdings").await;

    let machine = world
        .organisation(&ada, &id)
        .machines()
        .create(json!({ "name": "Telemetry bridge" }))
        .await;
    assert_eq!(machine.status, 201, "{machine:?}");
    assert_eq!(
        (machine.body["kind"].as_str(), &machine.body["roles"]),
        (Some("machine"), &json!(["viewer", "member"]))
    );
    let machine_id = machine.body["user_id"].as_str().unwrap().to_owned();

    let api_keys = world.machine(&ada, &machine_id).api_keys();
    let issued = api_keys.create(json!({ "name": "bridge-1" })).await;
    assert_eq!(issued.status, 201, "{issued:?}");
    let key = issued.body["key_value"].as_str().unwrap().to_owned();
    assert!(key.starts_with("stm_") && key.len() >= 40, "prefixed, ≥128 bits: {key}");
    assert!(key.starts_with(issued.body["prefix"].as_str().unwrap()));

    let listed = api_keys.list().await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
    assert!(!listed.body.to_string().contains(&key), "a key is shown once");
    assert!(!listed.body.to_string().contains("digest"));

    let as_machine = world.organisation(ApiKey(&key), &id).get().await;
    assert_eq!(as_machine.status, 200);
    let me = world.me(ApiKey(&key)).get().await;
    assert_eq!(
        (me.body["kind"].as_str(), me.body["id"].as_str()),
        (Some("machine"), Some(machine_id.as_str()))
    );
    let members = world.organisation(&ada, &id).members().list().await.body;
    assert!(
        members["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["user_id"] == machine_id.as_str() && m["kind"] == "machine")
    );
    let edit = world
        .organisation(ApiKey(&key), &id)
        .patch(json!({ "name": "x" }))
        .await;
    assert_eq!(edit.status, 403, "a viewer machine reads, it does not edit");
}

async fn machines_never_hold_owner_or_billing_admin(world: &World) {
    let ada = world.person("ada").await;
    let id = organisation(world, &ada, "ABC Holdings").await;
    let abc = world.organisation(&ada, &id);

    let owner = abc
        .machines()
        .create(json!({ "name": "Boss bot", "roles": ["owner"] }))
        .await;

    assert_eq!(
        owner.field_errors(),
        vec![("roles".to_owned(), "machine_role".to_owned())]
    );
    let operator = abc
        .machines()
        .create(json!({ "name": "Ops bot", "roles": ["operator"] }))
        .await;
    assert_eq!(operator.status, 201);
    let machine_id = operator.body["user_id"].as_str().unwrap();
    let promote = abc.members().set_roles(machine_id, &["owner", "billing_admin"]).await;
    assert_eq!(
        promote.field_errors(),
        vec![("roles".to_owned(), "machine_role".to_owned())]
    );
}

async fn a_revoked_or_expired_key_stops_working_at_once(world: &World) {
    let ada = world.person("ada").await;
    let id = organisation(world, &ada, "ABC Holdings").await;
    let machine = world
        .organisation(&ada, &id)
        .machines()
        .create(json!({ "name": "Bridge" }))
        .await;
    let machine_id = machine.body["user_id"].as_str().unwrap().to_owned();
    let api_keys = world.machine(&ada, &machine_id).api_keys();
    let permanent = api_keys.create(json!({})).await.body;
    let expires_at = (world.clock_now() + chrono::Duration::hours(1)).to_rfc3339();
    let expiring = api_keys.create(json!({ "expires_at": expires_at })).await.body;
    let me_with = |key: &serde_json::Value| {
        let key = key["key_value"].as_str().unwrap().to_owned();
        async move { world.me(ApiKey(&key)).get().await.status }
    };
    assert_eq!((me_with(&permanent).await, me_with(&expiring).await), (200, 200));

    let permanent_id = permanent["id"].as_str().unwrap();
    let revoked = api_keys.revoke(permanent_id).await;
    assert_eq!(revoked.status, 204);
    assert_eq!(me_with(&permanent).await, 401);
    assert_eq!(api_keys.revoke(permanent_id).await.status, 404);

    world.clock.advance(chrono::Duration::hours(2));
    assert_eq!(me_with(&expiring).await, 401);
    let garbage = world.me(ApiKey("stm_not-a-real-key")).get().await;
    assert_eq!(garbage.status, 401);
}

async fn only_owners_of_the_machines_organisation_manage_its_keys(world: &World) {
    let ada = world.person("ada").await;
    let vera = world.person("vera").await;
    let mallory = world.person("mallory").await;
    let id = organisation(world, &ada, "ABC Holdings").await;
    add(world, &ada, &id, &vera, &["viewer"]).await;
    let machine = world
        .organisation(&ada, &id)
        .machines()
        .create(json!({ "name": "Bridge" }))
        .await;
    let machine_id = machine.body["user_id"].as_str().unwrap();

    assert_eq!(
        world
            .machine(&vera, machine_id)
            .api_keys()
            .create(json!({}))
            .await
            .status,
        403
    );
    assert_eq!(world.machine(&mallory, machine_id).api_keys().list().await.status, 404);
    assert_eq!(
        world.machine(&ada, &ada.id).api_keys().create(json!({})).await.status,
        404,
        "a person is not a machine"
    );

    let other_org = organisation(world, &mallory, "Mallory Inc").await;
    let other = world
        .organisation(&mallory, &other_org)
        .machines()
        .create(json!({ "name": "Spy" }))
        .await;
    let spy_key = world
        .machine(&mallory, other.body["user_id"].as_str().unwrap())
        .api_keys()
        .create(json!({}))
        .await;
    let spy = spy_key.body["key_value"].as_str().unwrap();
    assert_eq!(
        world.organisation(ApiKey(spy), &id).get().await.status,
        404,
        "another organisation's key"
    );
}
