//! Platform admins and suspension (T9).

use crate::client::Caller::{Anonymous, Bearer};
use crate::world::{PASSWORD, World, address};
use serde_json::json;

both_entry_points!(
    a_suspended_user_is_locked_out_at_once_and_can_be_reactivated,
    only_platform_admins_see_and_suspend_users,
);

/// The bootstrap admin, signed in.
async fn admin(world: &World) -> (String, String) {
    let email = address("admin");
    let created = world
        .identity
        .bootstrap_admin(&email, PASSWORD)
        .await
        .unwrap()
        .expect("a new admin");
    assert!(
        world
            .identity
            .bootstrap_admin(&email, PASSWORD)
            .await
            .unwrap()
            .is_none(),
        "bootstrapping twice creates nothing"
    );
    let (access, _) = world.login(&email, PASSWORD).await;
    (access, created.id.to_string())
}

async fn a_suspended_user_is_locked_out_at_once_and_can_be_reactivated(world: &World) {
    let (admin, _) = admin(world).await;
    let email = address("suspect");
    let (access, refresh) = world.signed_up(&email).await;
    let id = world.me(Bearer(&access)).get().await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let suspect = world.user(Bearer(&admin), &id);

    let suspended = suspect.suspend().await;

    assert_eq!(suspended.status, 200, "{suspended:?}");
    assert_eq!(suspended.body["access"], "suspended");
    assert_eq!(
        world.me(Bearer(&access)).get().await.status,
        401,
        "the access token stops working at once"
    );
    assert_eq!(
        world
            .call(
                "POST",
                "/api/auth/refresh",
                None,
                Some(json!({ "refresh_token": refresh }))
            )
            .await
            .status,
        401
    );
    let login = world
        .call(
            "POST",
            "/api/auth/login",
            None,
            Some(json!({ "email": email, "password": PASSWORD })),
        )
        .await;
    assert_eq!((login.status, login.code()), (403, "account_suspended"));

    let reactivated = suspect.reactivate().await;
    assert_eq!(reactivated.body["access"], "active");
    assert_eq!(
        world
            .call(
                "POST",
                "/api/auth/refresh",
                None,
                Some(json!({ "refresh_token": refresh }))
            )
            .await
            .status,
        401,
        "old sessions stay ended"
    );
    world.login(&email, PASSWORD).await;
}

async fn only_platform_admins_see_and_suspend_users(world: &World) {
    let (admin, admin_id) = admin(world).await;
    let (person, _) = world.signed_up(&address("person")).await;
    let person_id = world.me(Bearer(&person)).get().await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let the_admin_to_a_person = world.user(Bearer(&person), &admin_id);

    let seen = world.user(Bearer(&admin), &person_id).get().await;
    assert_eq!(seen.status, 200);
    assert!(seen.body.get("password_hash").is_none());
    assert_eq!(the_admin_to_a_person.get().await.status, 404);
    assert_eq!(the_admin_to_a_person.suspend().await.status, 404);
    let reactivated_by_person = the_admin_to_a_person.reactivate().await;
    assert_eq!(reactivated_by_person.status, 404);
    assert_eq!(world.user(Anonymous, &person_id).suspend().await.status, 401);
    let own = world.user(Bearer(&admin), &admin_id).suspend().await;
    assert_eq!((own.status, own.code()), (409, "cannot_suspend_self"));
    let unknown = uuid::Uuid::new_v4();
    assert_eq!(world.user(Bearer(&admin), unknown).suspend().await.status, 404);
    assert_eq!(world.user(Bearer(&admin), "not-a-uuid").get().await.status, 404);
}
