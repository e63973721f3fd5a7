//! Members and roles: T2–T7 and T11 through the API.

use super::{add, company, organisation};
use crate::world::World;
use serde_json::json;

both_entry_points!(
    owners_list_members_and_change_roles,
    role_sets_must_respect_t4_and_t5,
    the_last_owner_and_the_billing_subscriber_are_protected,
    a_member_leaves_and_their_default_falls_back_to_personal,
    a_personal_organisation_never_changes_its_membership,
);

async fn owners_list_members_and_change_roles(world: &World) {
    let ada = world.person("ada").await;
    let bob = world.person("bob").await;
    let id = organisation(world, &ada, "ABC Holdings").await;
    add(world, &ada, &id, &bob, &["viewer"]).await;
    let members = world.organisation(&ada, &id).members();

    let listed = members.list().await;
    assert_eq!(listed.status, 200);
    let rows = listed.body["items"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    let ada_row = rows.iter().find(|m| m["user_id"] == ada.id.as_str()).unwrap();
    assert_eq!(
        (ada_row["billing_subscriber"].as_bool(), ada_row["email"].as_str()),
        (Some(true), Some(ada.email.as_str()))
    );

    let promoted = members.set_roles(&bob.id, &["operator", "viewer"]).await;
    assert_eq!(promoted.status, 200, "{promoted:?}");
    assert_eq!(promoted.body["roles"], json!(["operator", "viewer", "member"]));
    let bob_me = world.me(&bob).get().await.body;
    let membership = bob_me["memberships"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["organisation_id"] == id.as_str())
        .unwrap()
        .clone();
    assert_eq!(membership["roles"], json!(["operator", "viewer", "member"]));
    assert_eq!(
        bob_me["default_organisation_id"],
        id.as_str(),
        "T11: the organisation joined last is the default"
    );

    let renamed = world.me(&bob).patch(json!({ "name": "Robert" })).await;
    assert_eq!(renamed.status, 200);
    let listed = members.list().await.body;
    let bob_row = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["user_id"] == bob.id.as_str())
        .cloned()
        .unwrap();
    assert_eq!(bob_row["name"], "Robert", "member lists follow a rename");

    let unknown = members.set_roles(uuid::Uuid::new_v4(), &["viewer"]).await;
    assert_eq!(unknown.status, 404);
    let bad = members.set_roles(&bob.id, &["viewer", "admin"]).await;
    assert_eq!(
        bad.field_errors(),
        vec![("roles.1".to_owned(), "unknown_role".to_owned())]
    );
}

async fn role_sets_must_respect_t4_and_t5(world: &World) {
    let ada = world.person("ada").await;
    let bob = world.person("bob").await;
    let root = organisation(world, &ada, "ABC Holdings").await;
    let shop = company(world, &ada, &root, "Shop").await;
    add(world, &ada, &root, &bob, &["viewer"]).await;
    let root_members = world.organisation(&ada, &root).members();

    let billing_only = root_members.set_roles(&bob.id, &["billing_admin", "viewer"]).await;
    assert_eq!(
        billing_only.field_errors(),
        vec![("roles".to_owned(), "billing_admin_requires_owner".to_owned())]
    );
    let end_user_on_root = root_members.set_roles(&bob.id, &["member"]).await;
    assert_eq!(
        end_user_on_root.field_errors(),
        vec![("roles".to_owned(), "staff_role_required".to_owned())]
    );
    add(world, &ada, &shop, &bob, &["member"]).await;
    assert_eq!(
        world
            .organisation(&ada, &shop)
            .members()
            .set_roles(&bob.id, &["member"])
            .await
            .status,
        200,
        "end users belong to companies"
    );
}

async fn the_last_owner_and_the_billing_subscriber_are_protected(world: &World) {
    let ada = world.person("ada").await;
    let bob = world.person("bob").await;
    let id = organisation(world, &ada, "ABC Holdings").await;
    let abc = world.organisation(&ada, &id);

    let demote_subscriber = abc.members().set_roles(&ada.id, &["viewer"]).await;
    assert_eq!(
        (demote_subscriber.status, demote_subscriber.code()),
        (409, "billing_subscriber")
    );
    let remove_subscriber = abc.members().remove(&ada.id).await;
    assert_eq!(
        (remove_subscriber.status, remove_subscriber.code()),
        (409, "billing_subscriber")
    );
    let leave = abc.leave().await;
    assert_eq!((leave.status, leave.code()), (409, "billing_subscriber"));

    add(world, &ada, &id, &bob, &["owner", "billing_admin"]).await;
    let demote_bob = abc.members().set_roles(&bob.id, &["viewer"]).await;
    assert_eq!(demote_bob.status, 200, "another owner and billing admin remain");
}

async fn a_member_leaves_and_their_default_falls_back_to_personal(world: &World) {
    let ada = world.person("ada").await;
    let bob = world.person("bob").await;
    let id = organisation(world, &ada, "ABC Holdings").await;
    add(world, &ada, &id, &bob, &["operator"]).await;

    let abc = world.organisation(&bob, &id);

    let left = abc.leave().await;

    assert_eq!(left.status, 204);
    let me = world.me(&bob).get().await.body;
    assert_eq!(me["default_organisation_id"], bob.personal_organisation_id.as_str());
    assert_eq!(me["memberships"].as_array().unwrap().len(), 1);
    assert_eq!(abc.get().await.status, 404);
    assert_eq!(abc.leave().await.status, 404);
}

async fn a_personal_organisation_never_changes_its_membership(world: &World) {
    let ada = world.person("ada").await;
    let personal = world.organisation(&ada, &ada.personal_organisation_id);

    let roles = personal.members().set_roles(&ada.id, &["owner"]).await;
    let leave = personal.leave().await;

    assert_eq!((roles.status, roles.code()), (409, "personal_organisation"));
    assert_eq!((leave.status, leave.code()), (409, "personal_organisation"));
}
