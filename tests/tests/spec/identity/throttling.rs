//! Sign-in throttling and the e-mail uniqueness race, on both stores.

use crate::world::{PASSWORD, World, address};
use serde_json::json;
use std::sync::Arc;

both_entry_points!(
    fifty_concurrent_wrong_passwords_get_five_tries_then_429,
    the_wait_grows_and_ends,
    one_source_address_trying_many_accounts_is_throttled,
    fifty_concurrent_registrations_of_one_address_create_one_user,
);

async fn fifty_concurrent_wrong_passwords_get_five_tries_then_429(world: &World) {
    let email = address("target");
    world.signed_up(&email).await;
    let world = Arc::new(world);

    let attempts = (0..50).map(|_| {
        let body = json!({ "email": email, "password": "guessing wildly now" });
        let world = world.clone();
        async move { world.call("POST", "/api/auth/login", None, Some(body)).await }
    });
    let replies = crate::world::join_all(attempts).await;

    let unauthorised = replies.iter().filter(|r| r.status == 401).count();
    let throttled: Vec<_> = replies.iter().filter(|r| r.status == 429).collect();
    assert_eq!(unauthorised, 5, "only the free attempts check a password");
    assert_eq!(throttled.len(), 45);
    assert!(
        throttled
            .iter()
            .all(|r| r.headers["retry-after"] == "1" && r.code() == "too_many_requests")
    );
}

async fn the_wait_grows_and_ends(world: &World) {
    let email = address("patient");
    world.signed_up(&email).await;
    let attempt = |password: &'static str| {
        world.call(
            "POST",
            "/api/auth/login",
            None,
            Some(json!({ "email": email, "password": password })),
        )
    };
    for _ in 0..5 {
        assert_eq!(attempt("wrong wrong wrong wrong").await.status, 401);
    }
    let locked = attempt(PASSWORD).await;
    assert_eq!(
        (locked.status, locked.headers["retry-after"].as_str()),
        (429, "1"),
        "even the right password waits"
    );

    world.clock.advance(chrono::Duration::seconds(1));
    assert_eq!(attempt("wrong wrong wrong wrong").await.status, 401);
    assert_eq!(attempt(PASSWORD).await.headers["retry-after"], "2", "the wait doubles");

    world.clock.advance(chrono::Duration::seconds(2));
    assert_eq!(attempt(PASSWORD).await.status, 200);
    assert_eq!(
        attempt("wrong wrong wrong wrong").await.status,
        401,
        "a success starts the count again"
    );
}

async fn one_source_address_trying_many_accounts_is_throttled(world: &World) {
    for n in 0..50 {
        let reply = world
            .call(
                "POST",
                "/api/auth/login",
                None,
                Some(json!({ "email": address(&format!("spray{n}")), "password": "guessing wildly now" })),
            )
            .await;
        assert_eq!(reply.status, 401, "attempt {n} from {}", world.source_address());
    }
    let next = world
        .call(
            "POST",
            "/api/auth/login",
            None,
            Some(json!({ "email": address("spray-last"), "password": "guessing wildly now" })),
        )
        .await;
    assert_eq!(next.status, 429);
}

async fn fifty_concurrent_registrations_of_one_address_create_one_user(world: &World) {
    let email = address("contested");
    let variants = [
        email.clone(),
        email.to_uppercase(),
        format!("  {email}"),
        format!("{email}\t"),
    ];
    let world = Arc::new(world);

    let registrations = (0..50).map(|n| {
        let body = json!({ "email": variants[n % variants.len()], "password": PASSWORD });
        let world = world.clone();
        async move { world.call("POST", "/api/auth/register", None, Some(body)).await }
    });
    let replies = crate::world::join_all(registrations).await;

    assert_eq!(
        replies.iter().filter(|r| r.status == 201).count(),
        1,
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert!(
        replies
            .iter()
            .filter(|r| r.status != 201)
            .all(|r| r.status == 409 && r.code() == "email_taken")
    );
    assert_eq!(world.mails_to(&email, 1).await.len(), 1, "one confirmation e-mail");
}
