//! Platform admins and suspension (T9).

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
    let id = world.call("GET", "/api/me", Some(&access), None).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let suspended = world
        .call("POST", &format!("/api/users/{id}/suspend"), Some(&admin), None)
        .await;

    assert_eq!(suspended.status, 200, "{suspended:?}");
    assert_eq!(suspended.body["access"], "suspended");
    assert_eq!(
        world.call("GET", "/api/me", Some(&access), None).await.status,
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

    let reactivated = world
        .call("POST", &format!("/api/users/{id}/reactivate"), Some(&admin), None)
        .await;
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
    let person_id = world.call("GET", "/api/me", Some(&person), None).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let seen = world
        .call("GET", &format!("/api/users/{person_id}"), Some(&admin), None)
        .await;
    assert_eq!(seen.status, 200);
    assert!(seen.body.get("password_hash").is_none());
    assert_eq!(
        world
            .call("GET", &format!("/api/users/{admin_id}"), Some(&person), None)
            .await
            .status,
        404
    );
    assert_eq!(
        world
            .call("POST", &format!("/api/users/{admin_id}/suspend"), Some(&person), None)
            .await
            .status,
        404
    );
    let reactivated_by_person = world
        .call(
            "POST",
            &format!("/api/users/{admin_id}/reactivate"),
            Some(&person),
            None,
        )
        .await;
    assert_eq!(reactivated_by_person.status, 404);
    assert_eq!(
        world
            .call("POST", &format!("/api/users/{person_id}/suspend"), None, None)
            .await
            .status,
        401
    );
    let own = world
        .call("POST", &format!("/api/users/{admin_id}/suspend"), Some(&admin), None)
        .await;
    assert_eq!((own.status, own.code()), (409, "cannot_suspend_self"));
    let unknown = uuid::Uuid::new_v4();
    assert_eq!(
        world
            .call("POST", &format!("/api/users/{unknown}/suspend"), Some(&admin), None)
            .await
            .status,
        404
    );
    assert_eq!(
        world
            .call("GET", "/api/users/not-a-uuid", Some(&admin), None)
            .await
            .status,
        404
    );
}
