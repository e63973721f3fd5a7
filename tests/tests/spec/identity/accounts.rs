//! Registration, confirmation, the personal organisation, `/api/me`, password reset.

use crate::world::{PASSWORD, World, address};
use serde_json::json;

both_entry_points!(
    a_person_registers_confirms_and_signs_in_to_their_personal_organisation,
    signing_in_before_confirming_is_refused,
    registration_answers_every_bad_field_at_once,
    an_address_registers_once_whatever_its_case,
    a_confirmation_link_works_once_and_not_after_it_expires,
    the_caller_renames_themselves_and_their_personal_organisation,
    the_default_organisation_must_be_one_of_the_callers_memberships,
    an_update_with_a_stale_etag_is_refused,
    forgotten_password_answers_the_same_for_unknown_addresses,
    a_password_reset_ends_every_session_and_works_once,
);

async fn a_person_registers_confirms_and_signs_in_to_their_personal_organisation(world: &World) {
    let email = address("jane.doe");

    let registered = world
        .call(
            "POST",
            "/api/auth/register",
            None,
            Some(json!({ "email": email.to_uppercase(), "password": PASSWORD })),
        )
        .await;
    assert_eq!(registered.status, 201, "{registered:?}");
    assert_eq!(registered.body["email"], email, "the address is stored normalised");
    let name = registered.body["name"].as_str().unwrap();
    assert!(
        name.starts_with("Jane Doe "),
        "the name is guessed from the address: {name}"
    );
    assert_eq!(registered.body["registration"], "pending_confirmation");
    assert!(registered.body.get("password_hash").is_none());

    let mails = world.mails_to(&email, 1).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].subject, "Confirm your e-mail address for Stratum");
    assert!(
        mails[0].body.contains("/confirm-email?token="),
        "the link points at the web app's confirmation page"
    );
    let confirmed = world
        .call(
            "POST",
            "/api/auth/confirm-email",
            None,
            Some(json!({ "token": mails[0].token(), "password": PASSWORD })),
        )
        .await;
    assert_eq!(confirmed.status, 204, "{confirmed:?}");

    let (access, _) = world.login(&email, PASSWORD).await;
    let me = world.call("GET", "/api/me", Some(&access), None).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["email"], email);
    assert_eq!(me.body["kind"], "person");
    assert_eq!(me.body["platform_roles"], json!([]));
    let memberships = me.body["memberships"].as_array().unwrap();
    assert_eq!(
        memberships.len(),
        1,
        "exactly one membership: the personal organisation"
    );
    assert_eq!(memberships[0]["kind"], "personal");
    assert_eq!(memberships[0]["organisation_name"], name, "T2: named after the person");
    assert_eq!(memberships[0]["roles"], json!(["owner", "billing_admin", "member"]));
    assert_eq!(me.body["default_organisation_id"], memberships[0]["organisation_id"]);
    assert_eq!(me.body["personal_organisation_id"], memberships[0]["organisation_id"]);
    assert!(me.headers.contains_key("etag"));
}

async fn signing_in_before_confirming_is_refused(world: &World) {
    let email = address("early");
    world
        .call(
            "POST",
            "/api/auth/register",
            None,
            Some(json!({ "email": email, "password": PASSWORD })),
        )
        .await;

    let early = world
        .call(
            "POST",
            "/api/auth/login",
            None,
            Some(json!({ "email": email, "password": PASSWORD })),
        )
        .await;

    assert_eq!((early.status, early.code()), (403, "email_not_confirmed"));
    let wrong = world
        .call(
            "POST",
            "/api/auth/login",
            None,
            Some(json!({ "email": email, "password": "not the password at all" })),
        )
        .await;
    assert_eq!(wrong.status, 401, "a wrong password says nothing about confirmation");
}

async fn registration_answers_every_bad_field_at_once(world: &World) {
    let cases = [
        (
            json!({ "email": "nope", "password": "short" }),
            vec![("email", "invalid_email"), ("password", "too_short")],
            "two bad fields",
        ),
        (
            json!({ "email": address("p"), "password": "password123" }),
            vec![("password", "too_weak")],
            "a common password",
        ),
        (
            json!({ "email": address("p"), "password": PASSWORD, "name": "  " }),
            vec![("name", "required")],
            "a blank name",
        ),
        (
            json!({ "email": address("p") }),
            vec![("password", "required")],
            "a missing field",
        ),
        (
            json!({ "email": 42, "password": PASSWORD }),
            vec![("email", "invalid_type")],
            "a number for an address",
        ),
        (
            json!({ "email": address("p"), "password": PASSWORD, "admin": true }),
            vec![("admin", "unknown_field")],
            "an unknown field",
        ),
    ];
    for (body, expected, reason) in cases {
        let reply = world.call("POST", "/api/auth/register", None, Some(body)).await;
        assert_eq!(reply.status, 422, "{reason}: {reply:?}");
        assert_eq!(reply.headers["content-type"], "application/problem+json", "{reason}");
        let expected: Vec<(String, String)> = expected
            .into_iter()
            .map(|(f, c)| (f.to_owned(), c.to_owned()))
            .collect();
        assert_eq!(reply.field_errors(), expected, "{reason}");
    }
    let not_json = world
        .call_with("POST", "/api/auth/register", &[("content-type", "text/plain")], None)
        .await;
    assert_eq!(not_json.status, 415);
}

async fn an_address_registers_once_whatever_its_case(world: &World) {
    let email = address("twice");
    let first = world
        .call(
            "POST",
            "/api/auth/register",
            None,
            Some(json!({ "email": email, "password": PASSWORD })),
        )
        .await;
    assert_eq!(first.status, 201);

    let again = world
        .call(
            "POST",
            "/api/auth/register",
            None,
            Some(json!({ "email": format!("  {}  ", email.to_uppercase()), "password": PASSWORD })),
        )
        .await;

    assert_eq!((again.status, again.code()), (409, "email_taken"));
}

async fn a_confirmation_link_works_once_and_not_after_it_expires(world: &World) {
    let unknown = world
        .call(
            "POST",
            "/api/auth/confirm-email",
            None,
            Some(json!({ "token": "no-such-token", "password": PASSWORD })),
        )
        .await;
    assert_eq!(unknown.status, 404);

    let email = address("once");
    world
        .call(
            "POST",
            "/api/auth/register",
            None,
            Some(json!({ "email": email, "password": PASSWORD })),
        )
        .await;
    let token = world.token_from_mail(&email, 1).await;
    assert_eq!(
        world
            .call(
                "POST",
                "/api/auth/confirm-email",
                None,
                Some(json!({ "token": token, "password": PASSWORD }))
            )
            .await
            .status,
        204
    );
    let reused = world
        .call(
            "POST",
            "/api/auth/confirm-email",
            None,
            Some(json!({ "token": token, "password": PASSWORD })),
        )
        .await;
    assert_eq!((reused.status, reused.code()), (410, "token_used"));

    let late = address("late");
    world
        .call(
            "POST",
            "/api/auth/register",
            None,
            Some(json!({ "email": late, "password": PASSWORD })),
        )
        .await;
    let token = world.token_from_mail(&late, 1).await;
    world.clock.advance(chrono::Duration::hours(49));
    let expired = world
        .call(
            "POST",
            "/api/auth/confirm-email",
            None,
            Some(json!({ "token": token, "password": PASSWORD })),
        )
        .await;
    assert_eq!((expired.status, expired.code()), (410, "token_expired"));
}

async fn the_caller_renames_themselves_and_their_personal_organisation(world: &World) {
    let (access, _) = world.signed_up(&address("rename")).await;

    let renamed = world
        .call(
            "PATCH",
            "/api/me",
            Some(&access),
            Some(json!({ "name": "Jane Q. Public" })),
        )
        .await;

    assert_eq!(renamed.status, 200, "{renamed:?}");
    assert_eq!(renamed.body["name"], "Jane Q. Public");
    assert_eq!(
        renamed.body["memberships"][0]["organisation_name"], "Jane Q. Public",
        "T2: named after the person"
    );
    let me = world.call("GET", "/api/me", Some(&access), None).await;
    assert_eq!(me.body["name"], "Jane Q. Public");
}

async fn the_default_organisation_must_be_one_of_the_callers_memberships(world: &World) {
    let (access, _) = world.signed_up(&address("default")).await;
    let (other, _) = world.signed_up(&address("other")).await;
    let others_org = world.call("GET", "/api/me", Some(&other), None).await.body["personal_organisation_id"].clone();

    let reply = world
        .call(
            "PATCH",
            "/api/me",
            Some(&access),
            Some(json!({ "default_organisation_id": others_org })),
        )
        .await;
    assert_eq!(
        (reply.status, reply.body["code"].as_str()),
        (409, Some("not_a_membership"))
    );

    let own = world.call("GET", "/api/me", Some(&access), None).await.body["personal_organisation_id"].clone();
    let kept = world
        .call(
            "PATCH",
            "/api/me",
            Some(&access),
            Some(json!({ "default_organisation_id": own })),
        )
        .await;
    assert_eq!(kept.status, 200);
    assert_eq!(kept.body["default_organisation_id"], own);
}

async fn an_update_with_a_stale_etag_is_refused(world: &World) {
    let (access, _) = world.signed_up(&address("etag")).await;
    let etag = world.call("GET", "/api/me", Some(&access), None).await.headers["etag"].clone();
    let auth = format!("Bearer {access}");
    let headers = [
        ("authorization", auth.as_str()),
        ("if-match", etag.as_str()),
        ("content-type", "application/json"),
    ];

    let first = world
        .call_with("PATCH", "/api/me", &headers, Some(json!({ "name": "First" })))
        .await;
    assert_eq!(first.status, 200, "{first:?}");
    let stale = world
        .call_with("PATCH", "/api/me", &headers, Some(json!({ "name": "Second" })))
        .await;

    assert_eq!((stale.status, stale.code()), (412, "precondition_failed"));
    assert_eq!(
        world.call("GET", "/api/me", Some(&access), None).await.body["name"],
        "First"
    );
}

async fn forgotten_password_answers_the_same_for_unknown_addresses(world: &World) {
    let email = address("forgetful");
    world.signed_up(&email).await;

    let known = world
        .call(
            "POST",
            "/api/auth/password/forgot",
            None,
            Some(json!({ "email": email })),
        )
        .await;
    let unknown = world
        .call(
            "POST",
            "/api/auth/password/forgot",
            None,
            Some(json!({ "email": address("nobody") })),
        )
        .await;
    let malformed = world
        .call(
            "POST",
            "/api/auth/password/forgot",
            None,
            Some(json!({ "email": "not an address" })),
        )
        .await;

    assert_eq!((known.status, &known.body), (202, &serde_json::Value::Null));
    assert_eq!((unknown.status, &unknown.body), (202, &serde_json::Value::Null));
    assert_eq!((malformed.status, &malformed.body), (202, &serde_json::Value::Null));
    let mails = world.mails_to(&email, 2).await;
    assert_eq!(mails.len(), 2, "confirmation, then reset");
    assert_eq!(mails[1].subject, "Reset your Stratum password");
    assert!(mails[1].body.contains("/reset-password?token="));
}

async fn a_password_reset_ends_every_session_and_works_once(world: &World) {
    let email = address("reset");
    let (_, refresh) = world.signed_up(&email).await;
    world
        .call(
            "POST",
            "/api/auth/password/forgot",
            None,
            Some(json!({ "email": email })),
        )
        .await;
    let token = world.token_from_mail(&email, 2).await;

    let weak = world
        .call(
            "POST",
            "/api/auth/password/reset",
            None,
            Some(json!({ "token": token, "password": "12345678" })),
        )
        .await;
    assert_eq!(weak.status, 422);
    let new_password = "purple elephant juggling quietly";
    let reset = world
        .call(
            "POST",
            "/api/auth/password/reset",
            None,
            Some(json!({ "token": token, "password": new_password })),
        )
        .await;
    assert_eq!(reset.status, 204, "{reset:?}");

    let old_session = world
        .call(
            "POST",
            "/api/auth/refresh",
            None,
            Some(json!({ "refresh_token": refresh })),
        )
        .await;
    assert_eq!(old_session.status, 401, "every session ended");
    let old_password = world
        .call(
            "POST",
            "/api/auth/login",
            None,
            Some(json!({ "email": email, "password": PASSWORD })),
        )
        .await;
    assert_eq!(old_password.status, 401);
    world.login(&email, new_password).await;
    let reused = world
        .call(
            "POST",
            "/api/auth/password/reset",
            None,
            Some(json!({ "token": token, "password": "another fine passphrase here" })),
        )
        .await;
    assert_eq!((reused.status, reused.code()), (410, "token_used"));
}
