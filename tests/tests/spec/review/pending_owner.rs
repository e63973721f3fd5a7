//! Organisations created by a platform admin for an owner to come (`pending_owner`).

use crate::client::Caller::Bearer;
use crate::organisations::seed_002;
use crate::world::{PASSWORD, World, address};
use serde_json::json;

both_entry_points!(
    an_unconfirmed_first_owner_is_not_added_until_proven,
    an_invitation_to_a_pending_owner_organisation_always_carries_owner_and_billing_admin,
);

async fn an_unconfirmed_first_owner_is_not_added_until_proven(world: &World) {
    let founder = address("founder");
    let registered = world.register(&founder, PASSWORD, None).await;
    assert_eq!(registered.status, 201, "{registered:?}");
    let admin = world.admin().await;
    let mut payload = seed_002("Founded");
    payload["initial_owner_email"] = json!(founder);

    let created = world.organisations(&admin).create(payload).await;

    assert_eq!(created.status, 201, "{created:?}");
    assert_eq!(
        (&created.body["status"], &created.body["billing_subscriber_id"]),
        (&json!("pending_owner"), &serde_json::Value::Null),
        "an unconfirmed address is no owner yet: {created:?}"
    );
    let id = created.body["id"].as_str().unwrap().to_owned();
    let members = world.organisation(&admin, &id).members().list().await;
    assert_eq!(members.status, 200, "{members:?}");
    assert_eq!(members.body["items"], json!([]), "{members:?}");

    let token = world.token_from_mail(&founder, 1).await;
    let confirmed = world.confirm(&token, PASSWORD).await;
    assert_eq!(confirmed.status, 204, "{confirmed:?}");
    let (access, _) = world.login(&founder, PASSWORD).await;

    let organisation = world.organisation(Bearer(&access), &id).get().await;
    let me = world.me(Bearer(&access)).get().await.body;
    assert_eq!(organisation.body["status"], "active", "{organisation:?}");
    assert_eq!(organisation.body["billing_subscriber_id"], me["id"], "{organisation:?}");
    let roles = me["memberships"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["organisation_id"] == id.as_str())
        .map(|m| m["roles"].clone());
    assert_eq!(roles, Some(json!(["owner", "billing_admin", "member"])), "{me}");
}

async fn an_invitation_to_a_pending_owner_organisation_always_carries_owner_and_billing_admin(world: &World) {
    let admin = world.admin().await;
    let founder = address("founder");
    let mut payload = seed_002("Founded");
    payload["initial_owner_email"] = json!(founder);
    let created = world.organisations(&admin).create(payload).await;
    assert_eq!(created.body["status"], "pending_owner", "{created:?}");
    let id = created.body["id"].as_str().unwrap().to_owned();

    let invited = world
        .organisation(&admin, &id)
        .invitations()
        .create(json!({ "email": founder, "roles": ["owner"] }))
        .await;

    assert_eq!(invited.status, 201, "{invited:?}");
    assert_eq!(
        invited.body["invitation"]["roles"],
        json!(["owner", "billing_admin", "member"]),
        "{invited:?}"
    );
}
