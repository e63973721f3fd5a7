//! The audit trail: every change writes an event in its own transaction, with actor, request
//! id and source; owners read their organisation's trail, platform admins everything.

use super::{add, seed_002};
use crate::world::World;
use serde_json::{Value, json};

both_entry_points!(
    every_change_leaves_an_event_only_owners_and_admins_read,
    account_changes_are_in_the_personal_trail,
);

fn actions(reply: &Value) -> Vec<String> {
    reply["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

async fn every_change_leaves_an_event_only_owners_and_admins_read(world: &World) {
    let admin = world.admin().await;
    let ada = world.person("ada").await;
    let vera = world.person("vera").await;
    let created = world
        .organisations(&ada)
        .with_request_id("req-audit-1")
        .create(seed_002("ABC"))
        .await;
    let id = created.body["id"].as_str().unwrap().to_owned();
    add(world, &ada, &id, &vera, &["viewer"]).await;
    let abc = world.organisation(&ada, &id);
    assert_eq!(abc.members().set_roles(&vera.id, &["operator"]).await.status, 200);

    let events = abc.audit().list().await;

    assert_eq!(events.status, 200, "{events:?}");
    assert_eq!(
        actions(&events.body),
        [
            "member.roles_changed",
            "member.accepted",
            "member.added",
            "organisation.created"
        ],
        "newest first (Vera accepted the membership Ada gave her)"
    );
    let creation = &events.body["items"][3];
    assert_eq!(creation["request_id"], "req-audit-1");
    assert_eq!(
        creation["actor"],
        json!({ "kind": "user", "user_id": ada.id, "api_key_id": null })
    );
    assert_eq!(creation["source_address"], world.source_address());
    assert_eq!(creation["organisation_id"], id.as_str());
    assert_eq!(
        events.body["items"][0]["changes"]["roles"],
        json!(["operator", "member"])
    );

    assert_eq!(
        world.organisation(&vera, &id).audit().list().await.status,
        403,
        "operators do not read the trail"
    );
    let outsider = world.person("mallory").await;
    assert_eq!(world.organisation(&outsider, &id).audit().list().await.status, 404);

    let filtered = abc.audit().list_with(&[("action", "member.added")]).await;
    assert_eq!(actions(&filtered.body), ["member.added"]);
    let first = abc.audit().list_with(&[("limit", "1")]).await;
    assert_eq!(actions(&first.body), ["member.roles_changed"]);
    let cursor = first.body["next_cursor"].as_str().expect("more pages").to_owned();
    let second = abc.audit().list_with(&[("limit", "1"), ("cursor", &cursor)]).await;
    assert_eq!(actions(&second.body), ["member.accepted"]);
    let bad = abc.audit().list_with(&[("from", "yesterday"), ("limit", "0")]).await;
    assert_eq!(bad.status, 422);

    assert_eq!(world.platform(&ada).audit().list().await.status, 404);
    let everything = world
        .platform(&admin)
        .audit()
        .list_with(&[("action", "organisation.created"), ("limit", "200")])
        .await;
    assert!(
        everything.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["organisation_id"] == id.as_str())
    );
}

async fn account_changes_are_in_the_personal_trail(world: &World) {
    let ada = world.person("ada").await;
    let renamed = world.me(&ada).patch(json!({ "name": "Ada L." })).await;
    assert_eq!(renamed.status, 200);

    let trail = world
        .organisation(&ada, &ada.personal_organisation_id)
        .audit()
        .list()
        .await;

    assert_eq!(
        actions(&trail.body),
        [
            "user.updated",
            "session.created",
            "user.email_confirmed",
            "user.registered"
        ]
    );
    assert!(
        !trail.body.to_string().contains(crate::world::PASSWORD),
        "no secret in the trail"
    );
}
