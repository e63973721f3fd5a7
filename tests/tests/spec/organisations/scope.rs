//! Scope (SPEC §3): root roles reach the root's companies, company roles only that company;
//! outside scope is 404, inside scope without the permission is 403.

use super::{add, company, organisation};
use crate::world::World;
use serde_json::json;

both_entry_points!(
    a_company_member_cannot_see_the_parent_or_a_sibling,
    root_roles_reach_every_company_of_the_root,
    outsiders_get_404_and_viewers_get_403,
    an_end_user_sees_their_company_name_only,
);

async fn a_company_member_cannot_see_the_parent_or_a_sibling(world: &World) {
    let owner = world.person("owner").await;
    let carol = world.person("carol").await;
    let root = organisation(world, &owner, "ABC Holdings").await;
    let child_1 = company(world, &owner, &root, "ABC Holdings - Child 1").await;
    let child_2 = company(world, &owner, &root, "ABC Holdings - Child 2").await;
    add(world, &owner, &child_1, &carol, &["operator"]).await;

    assert_eq!(world.organisation(&carol, &child_1).get().await.status, 200);
    assert_eq!(world.organisation(&carol, &root).get().await.status, 404);
    assert_eq!(world.organisation(&carol, &child_2).get().await.status, 404);
    assert_eq!(world.organisation(&carol, &root).members().list().await.status, 404);
    let listed = world.organisations(&carol).list().await;
    let ids: Vec<&str> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&child_1.as_str()) && !ids.contains(&root.as_str()) && !ids.contains(&child_2.as_str()));
}

async fn root_roles_reach_every_company_of_the_root(world: &World) {
    let owner = world.person("owner").await;
    let vera = world.person("vera").await;
    let root = organisation(world, &owner, "ABC Holdings").await;
    let child = company(world, &owner, &root, "Child").await;
    add(world, &owner, &root, &vera, &["viewer"]).await;

    assert_eq!(world.organisation(&vera, &child).get().await.status, 200);
    assert_eq!(world.organisation(&vera, &child).members().list().await.status, 200);
    let listed = world.organisations(&vera).list().await;
    let ids: Vec<&str> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&root.as_str()) && ids.contains(&child.as_str()));
    let renamed = world
        .organisation(&owner, &child)
        .patch(json!({ "name": "Renamed by a root owner" }))
        .await;
    assert_eq!(renamed.status, 200, "T6: a root owner owns the companies");
}

async fn outsiders_get_404_and_viewers_get_403(world: &World) {
    let owner = world.person("owner").await;
    let vera = world.person("vera").await;
    let mallory = world.person("mallory").await;
    let root = organisation(world, &owner, "ABC Holdings").await;
    add(world, &owner, &root, &vera, &["viewer"]).await;
    let path = format!("/api/organisations/{root}");

    for (method, path, body) in [
        ("GET", path.clone(), None),
        ("PATCH", path.clone(), Some(json!({ "name": "Mine now" }))),
        ("GET", format!("{path}/members"), None),
        (
            "PUT",
            format!("{path}/members/{}/roles", vera.id),
            Some(json!({ "roles": ["owner"] })),
        ),
        (
            "POST",
            format!("{path}/suborganisations"),
            Some(json!({ "name": "Sneaky" })),
        ),
    ] {
        let reply = world.call(method, &path, mallory.token(), body).await;
        assert_eq!(reply.status, 404, "an outsider: {method} {path}");
    }
    let as_viewer = world.organisation(&vera, &root);
    let patch = as_viewer.patch(json!({ "name": "Viewer edit" })).await;
    assert_eq!((patch.status, patch.code()), (403, "forbidden"));
    let promote = as_viewer.members().set_roles(&vera.id, &["owner"]).await;
    assert_eq!(promote.status, 403, "T6: only owners assign roles");
}

async fn an_end_user_sees_their_company_name_only(world: &World) {
    let owner = world.person("owner").await;
    let eve = world.person("eve").await;
    let root = organisation(world, &owner, "ABC Holdings").await;
    let shop = company(world, &owner, &root, "Amazon Band").await;
    add(world, &owner, &shop, &eve, &["member"]).await;

    let as_end_user = world.organisation(&eve, &shop);

    let seen = as_end_user.get().await;

    assert_eq!(seen.status, 200);
    assert_eq!(seen.body, json!({ "id": shop, "name": "Amazon Band" }));
    assert_eq!(as_end_user.members().list().await.status, 403);
}
