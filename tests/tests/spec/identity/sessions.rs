//! Sessions: access tokens, refresh rotation and reuse detection, sign-out, the session list.

use crate::world::{World, address};
use serde_json::json;

both_entry_points!(
    the_published_keys_verify_the_access_tokens_issued,
    a_refresh_token_is_rotated_on_every_use,
    reusing_a_rotated_refresh_token_ends_the_whole_session,
    signing_out_ends_the_session,
    a_person_lists_and_revokes_their_own_sessions_only,
    the_api_refuses_missing_and_forged_access_tokens,
    a_wrong_password_and_an_unknown_address_get_the_same_answer,
    a_password_reset_ends_live_sessions_behind_many_expired_ones,
);

async fn a_refresh_token_is_rotated_on_every_use(world: &World) {
    let (_, refresh) = world.signed_up(&address("rotate")).await;

    let renewed = world
        .call(
            "POST",
            "/api/auth/refresh",
            None,
            Some(json!({ "refresh_token": refresh })),
        )
        .await;

    assert_eq!(renewed.status, 200, "{renewed:?}");
    assert_eq!(renewed.body["token_type"], "Bearer");
    assert_eq!(renewed.body["expires_in"], 900);
    let new_refresh = renewed.body["refresh_token"].as_str().unwrap();
    assert_ne!(new_refresh, refresh);
    let access = renewed.body["access_token"].as_str().unwrap();
    assert_eq!(world.call("GET", "/api/me", Some(access), None).await.status, 200);
    let again = world
        .call(
            "POST",
            "/api/auth/refresh",
            None,
            Some(json!({ "refresh_token": new_refresh })),
        )
        .await;
    assert_eq!(again.status, 200);
}

async fn reusing_a_rotated_refresh_token_ends_the_whole_session(world: &World) {
    let (_, stolen) = world.signed_up(&address("stolen")).await;
    let legitimate = world
        .call(
            "POST",
            "/api/auth/refresh",
            None,
            Some(json!({ "refresh_token": stolen })),
        )
        .await;
    let current = legitimate.body["refresh_token"].as_str().unwrap().to_owned();

    let replay = world
        .call(
            "POST",
            "/api/auth/refresh",
            None,
            Some(json!({ "refresh_token": stolen })),
        )
        .await;

    assert_eq!(replay.status, 401);
    let after = world
        .call(
            "POST",
            "/api/auth/refresh",
            None,
            Some(json!({ "refresh_token": current })),
        )
        .await;
    assert_eq!(
        after.status, 401,
        "the whole family is revoked, the current token included"
    );
}

async fn signing_out_ends_the_session(world: &World) {
    let (_, refresh) = world.signed_up(&address("bye")).await;

    let logout = world
        .call(
            "POST",
            "/api/auth/logout",
            None,
            Some(json!({ "refresh_token": refresh })),
        )
        .await;

    assert_eq!(logout.status, 204);
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
    let unknown = world
        .call(
            "POST",
            "/api/auth/logout",
            None,
            Some(json!({ "refresh_token": "never-issued" })),
        )
        .await;
    assert_eq!(unknown.status, 204, "signing out is idempotent");
}

async fn a_person_lists_and_revokes_their_own_sessions_only(world: &World) {
    let email = address("devices");
    let (laptop, _) = world.signed_up(&email).await;
    let (_, phone_refresh) = world.login(&email, crate::world::PASSWORD).await;
    let (stranger, _) = world.signed_up(&address("stranger")).await;

    let listed = world.call("GET", "/api/me/sessions", Some(&laptop), None).await;
    assert_eq!(listed.status, 200);
    let sessions = listed.body["items"].as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
    assert_eq!(listed.body["next_cursor"], serde_json::Value::Null);
    let phone = sessions.iter().find(|s| s["current"] == false).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let by_stranger = world
        .call("DELETE", &format!("/api/me/sessions/{phone}"), Some(&stranger), None)
        .await;
    assert_eq!(
        by_stranger.status, 404,
        "another person's session does not exist for them"
    );
    let revoked = world
        .call("DELETE", &format!("/api/me/sessions/{phone}"), Some(&laptop), None)
        .await;
    assert_eq!(revoked.status, 204);
    assert_eq!(
        world
            .call(
                "POST",
                "/api/auth/refresh",
                None,
                Some(json!({ "refresh_token": phone_refresh }))
            )
            .await
            .status,
        401
    );
    assert_eq!(
        world
            .call("DELETE", &format!("/api/me/sessions/{phone}"), Some(&laptop), None)
            .await
            .status,
        404
    );
    assert_eq!(
        world
            .call("DELETE", "/api/me/sessions/not-a-uuid", Some(&laptop), None)
            .await
            .status,
        404
    );
}

async fn the_api_refuses_missing_and_forged_access_tokens(world: &World) {
    let missing = world.call("GET", "/api/me", None, None).await;
    assert_eq!((missing.status, missing.code()), (401, "unauthenticated"));
    assert_eq!(missing.headers["www-authenticate"], "Bearer");
    assert_eq!(world.call("GET", "/api/me", Some("garbage"), None).await.status, 401);

    let (access, _) = world.signed_up(&address("forged")).await;
    let mut parts: Vec<String> = access.split('.').map(str::to_owned).collect();
    parts[1] = parts[1].chars().rev().collect();
    assert_eq!(
        world.call("GET", "/api/me", Some(&parts.join(".")), None).await.status,
        401
    );

    world.clock.advance(chrono::Duration::minutes(16));
    assert_eq!(
        world.call("GET", "/api/me", Some(&access), None).await.status,
        401,
        "access tokens last 15 minutes"
    );
}

async fn a_wrong_password_and_an_unknown_address_get_the_same_answer(world: &World) {
    let email = address("known");
    world.signed_up(&email).await;

    let wrong = world
        .call(
            "POST",
            "/api/auth/login",
            None,
            Some(json!({ "email": email, "password": "definitely wrong here" })),
        )
        .await;
    let unknown = world
        .call(
            "POST",
            "/api/auth/login",
            None,
            Some(json!({ "email": address("unknown"), "password": "definitely wrong here" })),
        )
        .await;

    assert_eq!(wrong.status, 401);
    assert_eq!((unknown.status, &unknown.body), (wrong.status, &wrong.body));
}

async fn a_password_reset_ends_live_sessions_behind_many_expired_ones(world: &World) {
    use stratum_shared::ids::{SessionId, UserId};
    use stratum_shared::store::Item;
    let email = address("long-history");
    let (access, refresh) = world.signed_up(&email).await;
    let me = world.call("GET", "/api/me", Some(&access), None).await;
    let user = UserId::parse(me.body["id"].as_str().unwrap(), "id").unwrap();
    // Sessions that expired long ago and that the table has not removed yet (DynamoDB's TTL
    // lags): their ids sort before the live session's, more than a page of them.
    let long_ago = world.clock_now().timestamp() - 90 * 24 * 3600;
    for n in 0..120 {
        let id = uuid::Uuid::new_v7(uuid::Timestamp::from_unix(uuid::NoContext, (long_ago + n) as u64, 0));
        let key = stratum_shared::keys::session(user, SessionId::parse(&id.to_string(), "id").unwrap());
        let expired = Item::new(key).expiring_at(long_ago + n + 3600);
        world.identity.store.put(expired, None).await.unwrap();
    }
    let forgot = json!({ "email": email });
    world
        .call("POST", "/api/auth/password/forgot", None, Some(forgot))
        .await;
    let token = world.token_from_mail(&email, 2).await;
    let reset = json!({ "token": token, "password": "purple elephant juggling quietly" });
    let reply = world.call("POST", "/api/auth/password/reset", None, Some(reset)).await;
    assert_eq!(reply.status, 204, "{reply:?}");

    let refreshed = world
        .call(
            "POST",
            "/api/auth/refresh",
            None,
            Some(json!({ "refresh_token": refresh })),
        )
        .await;
    assert_eq!(
        refreshed.status, 401,
        "the session from before the reset is over: {refreshed:?}"
    );
}

/// `GET /.well-known/jwks.json` lists the key that signed a fresh access token (its `kid`), as
/// an Ed25519 JWK, so that a rotation's old and new keys can be read before and after.
async fn the_published_keys_verify_the_access_tokens_issued(world: &World) {
    use base64::Engine;
    let ada = world.person("ada").await;
    let jwks = world.call("GET", "/.well-known/jwks.json", None, None).await;
    assert_eq!(jwks.status, 200);
    let header = ada.access.split('.').next().unwrap();
    let header: serde_json::Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
    let keys = jwks.body["keys"].as_array().unwrap();
    let signing = &keys[0];
    assert_eq!(signing["kid"], header["kid"], "the signing key is listed first");
    assert_eq!(
        (signing["kty"].as_str(), signing["crv"].as_str()),
        (Some("OKP"), Some("Ed25519"))
    );
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(signing["x"].as_str().unwrap())
        .unwrap();
    assert_eq!(raw.len(), 32, "a raw Ed25519 public key");
}
