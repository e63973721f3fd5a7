//! A session that ends (sign-out, revocation, password reset) stops authenticating at once:
//! its access tokens are refused before they expire.

use crate::client::Caller::Bearer;
use crate::world::{PASSWORD, World, address};
use serde_json::json;

both_entry_points!(
    a_signed_out_access_token_stops_working_at_once,
    a_revoked_session_s_access_token_stops_working,
    a_password_reset_ends_every_access_token,
    a_sign_in_racing_a_password_reset_never_outlives_it,
    a_reset_ends_every_token_in_its_own_transaction,
);

async fn me_status(world: &World, access: &str) -> u16 {
    world.me_status(access).await
}

async fn forgot(world: &World, email: &str) {
    let reply = world.forgot_password(email).await;
    assert_eq!(reply.status, 202, "{reply:?}");
}

async fn reset(world: &World, token: &str, password: &str) -> crate::world::Reply {
    world.reset_password(token, password).await
}

async fn a_signed_out_access_token_stops_working_at_once(world: &World) {
    let p = world.person("leaving").await;
    let (access, refresh) = world.login(&p.email, PASSWORD).await;
    assert_eq!(me_status(world, &access).await, 200);

    let logout = world
        .call(
            "POST",
            "/api/auth/logout",
            None,
            Some(json!({ "refresh_token": refresh })),
        )
        .await;

    assert_eq!(logout.status, 204, "{logout:?}");
    assert_eq!(me_status(world, &access).await, 401, "refused before it expires");
    let organisation = world
        .organisation(Bearer(&access), &p.personal_organisation_id)
        .get()
        .await;
    assert_eq!(organisation.status, 401, "{organisation:?}");
    assert_eq!(me_status(world, &p.access).await, 200, "another session goes on");
}

async fn a_revoked_session_s_access_token_stops_working(world: &World) {
    let email = address("devices");
    let (laptop, _) = world.signed_up(&email).await;
    let (phone, _) = world.login(&email, PASSWORD).await;
    let sessions_on_laptop = world.me(Bearer(&laptop)).sessions();
    let listed = sessions_on_laptop.list().await;
    let sessions = listed.body["items"].as_array().expect("a session list").clone();
    assert_eq!(sessions.len(), 2, "{listed:?}");
    let other = sessions
        .iter()
        .find(|s| s["current"] == false)
        .expect("the phone's session")["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let revoked = sessions_on_laptop.revoke(&other).await;

    assert_eq!(revoked.status, 204, "{revoked:?}");
    assert_eq!(me_status(world, &phone).await, 401, "the revoked session's token");
    assert_eq!(me_status(world, &laptop).await, 200, "the session that revoked it");
}

async fn a_password_reset_ends_every_access_token(world: &World) {
    let p = world.person("reset").await;
    let new_password = "purple elephant juggling quietly";
    forgot(world, &p.email).await;
    let token = world.token_from_mail(&p.email, 2).await;

    let reply = reset(world, &token, new_password).await;

    assert_eq!(reply.status, 204, "{reply:?}");
    assert_eq!(me_status(world, &p.access).await, 401, "the old access token");
    let (access, _) = world.login(&p.email, new_password).await;
    assert_eq!(me_status(world, &access).await, 200);
}

async fn a_sign_in_racing_a_password_reset_never_outlives_it(world: &World) {
    let email = address("racer");
    world.signed_up(&email).await;
    let mut current = PASSWORD.to_owned();

    for round in 0..10 {
        // Past the hourly limit on reset mails and any sign-in back-off from the last round.
        world.clock.advance(chrono::Duration::minutes(61));
        forgot(world, &email).await;
        let token = world.token_from_mail(&email, round + 2).await;
        let next = format!("round {round} of a brand new passphrase");
        let login = json!({ "email": email, "password": current });

        let (signed_in, reset_reply) = tokio::join!(
            world.call("POST", "/api/auth/login", None, Some(login)),
            reset(world, &token, &next)
        );

        assert_eq!(reset_reply.status, 204, "round {round}: {reset_reply:?}");
        match signed_in.status {
            200 => {
                let access = signed_in.body["access_token"].as_str().unwrap();
                assert_eq!(
                    me_status(world, access).await,
                    401,
                    "round {round}: a sign-in with the old password outlived the reset"
                );
            }
            401 | 429 => {}
            other => panic!("round {round}: sign-in answered {other}: {signed_in:?}"),
        }
        current = next;
    }
    world.clock.advance(chrono::Duration::minutes(61));
    world.login(&email, &current).await;
}

/// Removing sessions one by one after a reset may be cut short (a timeout, a failed write):
/// the reset's own transaction already ends every session that began before it.
async fn a_reset_ends_every_token_in_its_own_transaction(world: &World) {
    let p = world.person("interrupted").await;
    world.clock.advance(chrono::Duration::seconds(1));
    forgot(world, &p.email).await;
    let token = world.token_from_mail(&p.email, 2).await;

    assert_eq!(
        reset(world, &token, "purple elephant juggling quietly").await.status,
        204
    );
    // As if the clean-up had never run: the revocations written after the reset are gone.
    let user = stratum_shared::ids::UserId::parse(&p.id, "id").unwrap();
    let partition = stratum_shared::store::Query::new(
        stratum_shared::store::Index::Table,
        stratum_shared::keys::user_partition(user),
    )
    .sort(stratum_shared::store::SortCondition::BeginsWith(
        stratum_shared::keys::REVOCATION_PREFIX.into(),
    ));
    let revocations = world.identity.store.query(&partition).await.unwrap().items;
    assert!(!revocations.is_empty(), "the clean-up wrote revocations");
    for revocation in revocations {
        world.identity.store.delete(&revocation.key, None).await.unwrap();
    }

    assert_eq!(
        me_status(world, &p.access).await,
        401,
        "the access token from before the reset"
    );
    let scoped = world.organisation(&p, &p.personal_organisation_id).get().await;
    assert_eq!(scoped.status, 401, "{scoped:?}");
}
