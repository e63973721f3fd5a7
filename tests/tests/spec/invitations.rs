//! Invitations (SPEC §5), end to end through both entry points. Through the Lambda handler the
//! e-mails travel outbox → SQS → notifier → SES on moto and are read back from moto.

use crate::client::Caller::{Anonymous, Bearer};
use crate::organisations::{add, company, organisation};
use crate::world::{PASSWORD, Reply, World, address};
use serde_json::{Value, json};

both_entry_points!(
    a_guest_invited_to_an_organisation_registers_with_another_address_and_joins,
    an_existing_user_is_added_at_once_and_told_by_email,
    registering_with_an_invited_address_claims_every_pending_invitation,
    an_invitation_preview_shows_who_and_where_and_refuses_dead_tokens,
    owners_list_resend_and_revoke_invitations,
    a_platform_invitation_lets_a_guest_register,
    a_pending_owner_organisation_becomes_active_when_its_owner_registers,
    housekeeping_marks_overdue_invitations_expired,
    twenty_registrations_racing_for_one_invitation_make_one_membership,
    an_invitation_revoked_while_being_accepted_ends_one_way_or_the_other,
);

async fn register(world: &World, email: &str, token: Option<&str>) -> Reply {
    world.register(email, PASSWORD, token).await
}

/// Confirms `email` with the confirmation mail (the `nth` mail to it) and signs in.
async fn confirm_and_sign_in(world: &World, email: &str, nth: usize) -> String {
    let token = world.token_from_mail(email, nth).await;
    assert_eq!(world.confirm(&token, PASSWORD).await.status, 204);
    world.login(email, PASSWORD).await.0
}

async fn a_guest_invited_to_an_organisation_registers_with_another_address_and_joins(world: &World) {
    let owner = world.person("owner").await;
    let root = organisation(world, &owner, "ABC Holdings").await;
    let guest = address("jane.doe");

    let invited = world
        .organisation(&owner, &root)
        .invitations()
        .create(json!({ "email": guest }))
        .await;
    assert_eq!(invited.status, 201, "{invited:?}");
    assert_eq!(
        (invited.body["outcome"].as_str(), &invited.body["invitation"]["roles"]),
        (Some("invited"), &json!(["viewer", "member"]))
    );
    let mails = world.mails_to(&guest, 1).await;
    assert!(
        mails[0].subject.contains("invited you to “ABC Holdings”"),
        "{}",
        mails[0].subject
    );
    assert!(mails[0].body.contains("/register?invitation="));
    let token = mails[0].token();

    let preview = world.invitations(Anonymous).preview(&token).await;
    assert_eq!(preview.status, 200);
    assert_eq!(
        (
            preview.body["email"].as_str(),
            preview.body["organisation_name"].as_str()
        ),
        (Some(guest.as_str()), Some("ABC Holdings"))
    );
    assert!(preview.body["name"].as_str().unwrap().starts_with("Jane Doe"));

    let other_address = address("jane.private");
    assert_eq!(register(world, &other_address, Some(&token)).await.status, 201);
    let access = confirm_and_sign_in(world, &other_address, 1).await;
    let me = world.me(Bearer(&access)).get().await.body;
    assert_eq!(
        me["default_organisation_id"],
        root.as_str(),
        "T11: the organisation joined last"
    );
    let membership = me["memberships"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["organisation_id"] == root.as_str())
        .cloned()
        .unwrap();
    assert_eq!(membership["roles"], json!(["viewer", "member"]));
    assert_eq!(
        me["memberships"].as_array().unwrap().len(),
        2,
        "personal organisation plus the invited one"
    );
    assert_eq!(
        world.invitations(Anonymous).preview(&token).await.status,
        410,
        "single use"
    );
}

async fn an_existing_user_is_added_at_once_and_told_by_email(world: &World) {
    let owner = world.person("owner").await;
    let bob = world.person("bob").await;
    let carol = world.person("carol").await;
    let root = organisation(world, &owner, "ABC Holdings").await;
    let shop = company(world, &owner, &root, "Shop").await;

    let by_email = world
        .organisation(&owner, &root)
        .invitations()
        .create(json!({ "email": bob.email.to_uppercase(), "roles": ["operator"] }))
        .await;
    let by_id = world
        .organisation(&owner, &shop)
        .invitations()
        .create(json!({ "user_id": carol.id }))
        .await;

    assert_eq!(
        (by_email.status, by_email.body["outcome"].as_str()),
        (201, Some("added"))
    );
    assert_eq!(by_email.body["member"]["roles"], json!(["operator", "member"]));
    assert_eq!(
        by_id.body["member"]["roles"],
        json!(["member"]),
        "a company's default role"
    );
    let bob_me = world.me(&bob).get().await.body;
    assert_eq!(bob_me["default_organisation_id"], root.as_str());
    let mails = world.mails_to(&bob.email, 2).await;
    assert_eq!(
        mails.last().unwrap().subject,
        "You were added to “ABC Holdings” on Stratum"
    );
    let end_user_on_root = world
        .organisation(&owner, &root)
        .invitations()
        .create(json!({ "email": carol.email, "roles": ["member"] }))
        .await;
    assert_eq!(
        end_user_on_root.field_errors(),
        vec![("roles".to_owned(), "staff_role_required".to_owned())],
        "T5"
    );
    let both = world
        .organisation(&owner, &root)
        .invitations()
        .create(json!({ "email": carol.email, "user_id": carol.id }))
        .await;
    assert_eq!(both.status, 422);
}

async fn registering_with_an_invited_address_claims_every_pending_invitation(world: &World) {
    let ada = world.person("ada").await;
    let bea = world.person("bea").await;
    let first = organisation(world, &ada, "First").await;
    let second = organisation(world, &bea, "Second").await;
    let guest = address("guest");
    world
        .organisation(&ada, &first)
        .invitations()
        .create(json!({ "email": guest }))
        .await;
    world
        .organisation(&bea, &second)
        .invitations()
        .create(json!({ "email": guest, "roles": ["operator"] }))
        .await;

    let registered = register(world, &guest.to_uppercase(), None).await;

    assert_eq!(registered.status, 201, "{registered:?}");
    for (owner, organisation) in [(&ada, &first), (&bea, &second)] {
        let members = world.organisation(owner, organisation).members().list().await.body;
        assert_eq!(
            members["items"].as_array().unwrap().len(),
            1,
            "nothing is claimed before the address is confirmed: {members}"
        );
    }
    let access = confirm_and_sign_in(world, &guest, 3).await;
    let me = world.me(Bearer(&access)).get().await.body;
    let joined: Vec<&str> = me["memberships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["organisation_id"].as_str().unwrap())
        .collect();
    assert!(
        joined.contains(&first.as_str()) && joined.contains(&second.as_str()) && joined.len() == 3,
        "{joined:?}"
    );
    assert_eq!(
        me["default_organisation_id"],
        second.as_str(),
        "the last invitation joined"
    );
    assert_eq!(register(world, &guest, None).await.code(), "email_taken");
}

async fn an_invitation_preview_shows_who_and_where_and_refuses_dead_tokens(world: &World) {
    let owner = world.person("owner").await;
    let root = organisation(world, &owner, "ABC Holdings").await;
    assert_eq!(world.invitations(Anonymous).preview("not-a-token").await.status, 404);

    let late = address("late");
    world
        .organisation(&owner, &root)
        .invitations()
        .create(json!({ "email": late }))
        .await;
    let token = world.token_from_mail(&late, 1).await;
    world.clock.advance(chrono::Duration::days(15));

    let expired = world.invitations(Anonymous).preview(&token).await;
    assert_eq!(
        (expired.status, expired.code()),
        (410, "invitation_expired"),
        "acceptance checks expiry itself"
    );
    let registered = register(world, &address("late.other"), Some(&token)).await;
    assert_eq!(
        (registered.status, &registered.body["invitation"]),
        (
            201,
            &json!({ "applied": false, "code": "invitation_expired", "detail": "this invitation has expired" })
        ),
        "a stale link never blocks sign-up"
    );
}

async fn owners_list_resend_and_revoke_invitations(world: &World) {
    let owner = world.person("owner").await;
    let viewer = world.person("viewer").await;
    let root = organisation(world, &owner, "ABC Holdings").await;
    let other = organisation(world, &viewer, "Other").await;
    add(world, &owner, &root, &viewer, &["viewer"]).await;
    let guest = address("guest");
    let invited = world
        .organisation(&owner, &root)
        .invitations()
        .create(json!({ "email": guest }))
        .await;
    let id = invited.body["invitation"]["id"].as_str().unwrap().to_owned();
    let first_token = world.token_from_mail(&guest, 1).await;
    let invitations = world.organisation(&owner, &root).invitations();
    let links = world.invitations(Anonymous);

    let listed = invitations.list().await;
    assert_eq!(listed.body["items"][0]["status"], "pending");
    assert!(!listed.body.to_string().contains(&first_token));
    assert_eq!(
        world.organisation(&viewer, &root).invitations().list().await.status,
        403
    );

    let resent = invitations.resend(&id).await;
    assert_eq!(resent.status, 200, "{resent:?}");
    let second_token = world.token_from_mail(&guest, 2).await;
    assert_ne!(first_token, second_token);
    assert_eq!(links.preview(&first_token).await.status, 404, "the old token is dead");
    assert_eq!(links.preview(&second_token).await.status, 200);

    let foreign = world.organisation(&viewer, &other).invitations().revoke(&id).await;
    assert_eq!(
        foreign.status, 404,
        "an invitation id is checked against the organisation in the path"
    );
    assert_eq!(invitations.revoke(&id).await.status, 204);
    let revoked = links.preview(&second_token).await;
    assert_eq!((revoked.status, revoked.code()), (410, "invitation_revoked"));
    assert_eq!(invitations.resend(&id).await.status, 409);
}

async fn a_platform_invitation_lets_a_guest_register(world: &World) {
    let ada = world.person("ada").await;
    let guest = address("friend");

    let invited = world.invitations(&ada).create(json!({ "email": guest })).await;
    assert_eq!(invited.status, 201, "{invited:?}");
    let token = world.token_from_mail(&guest, 1).await;
    assert_eq!(
        world.invitations(Anonymous).preview(&token).await.body["organisation_name"],
        Value::Null
    );
    let registered = register(world, &guest, Some(&token)).await;
    assert_eq!(
        (registered.status, &registered.body["registration"]),
        (201, &json!("registered")),
        "the token came through the invited mailbox, which proves it"
    );
    world.login(&guest, PASSWORD).await;

    let again = world.invitations(&ada).create(json!({ "email": guest })).await;
    assert_eq!((again.status, again.code()), (409, "already_registered"));
}

async fn a_pending_owner_organisation_becomes_active_when_its_owner_registers(world: &World) {
    let admin = world.admin().await;
    let founder = address("founder");
    let mut payload = crate::organisations::seed_002("Founded Ltd");
    payload["initial_owner_email"] = json!(founder);
    let created = world.organisations(&admin).create(payload).await;
    assert_eq!(created.body["status"], "pending_owner");
    let id = created.body["id"].as_str().unwrap().to_owned();
    let mails = world.mails_to(&founder, 1).await;
    assert!(mails[0].subject.contains("Founded Ltd"));

    assert_eq!(register(world, &founder, None).await.status, 201);
    let waiting = world.organisation(&admin, &id).get().await;
    assert_eq!(
        (&waiting.body["status"], &waiting.body["billing_subscriber_id"]),
        (&json!("pending_owner"), &Value::Null),
        "an unconfirmed registration owns nothing yet: {waiting:?}"
    );
    let access = confirm_and_sign_in(world, &founder, 2).await;

    let organisation = world.organisation(Bearer(&access), &id).get().await;
    assert_eq!(organisation.body["status"], "active");
    let me = world.me(Bearer(&access)).get().await.body;
    assert_eq!(organisation.body["billing_subscriber_id"], me["id"]);
    let membership = me["memberships"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["organisation_id"] == id.as_str())
        .cloned()
        .unwrap();
    assert_eq!(membership["roles"], json!(["owner", "billing_admin", "member"]));
}

async fn housekeeping_marks_overdue_invitations_expired(world: &World) {
    let owner = world.person("owner").await;
    let root = organisation(world, &owner, "ABC Holdings").await;
    world
        .organisation(&owner, &root)
        .invitations()
        .create(json!({ "email": address("slow") }))
        .await;
    world.clock.advance(chrono::Duration::days(15));
    let schedule: Value = serde_json::from_str(&stratum_tests::event("schedule.json")).unwrap();

    let outcome = stratum_housekeeping::handle(
        &stratum_tests::services_of(&world.identity),
        &stratum_tests::telemetry_of(&world.sims),
        schedule,
    )
    .await
    .unwrap();

    assert!(outcome["expired_invitations"].as_u64().unwrap() >= 1);
    // Fifteen days on, the owner's access token has long expired: sign in again.
    let (access, _) = world.login(&owner.email, PASSWORD).await;
    let listed = world.organisation(Bearer(&access), &root).invitations().list().await;
    assert_eq!(listed.body["items"][0]["status"], "expired");
}

async fn twenty_registrations_racing_for_one_invitation_make_one_membership(world: &World) {
    let owner = world.person("owner").await;
    let root = organisation(world, &owner, "ABC Holdings").await;
    let guest = address("popular");
    world
        .organisation(&owner, &root)
        .invitations()
        .create(json!({ "email": guest }))
        .await;
    let token = world.token_from_mail(&guest, 1).await;
    let racers: Vec<String> = (0..20).map(|n| address(&format!("racer{n}"))).collect();

    let replies = crate::world::join_all(racers.iter().map(|email| register(world, email, Some(&token)))).await;

    let outcomes: Vec<_> = replies
        .iter()
        .map(|r| {
            (
                r.status,
                r.body["invitation"]["applied"].clone(),
                r.body["invitation"]["code"].clone(),
            )
        })
        .collect();
    assert!(
        outcomes.iter().all(|(status, _, _)| *status == 201),
        "a used link never blocks sign-up: {outcomes:?}"
    );
    let bound = outcomes
        .iter()
        .filter(|(_, _, code)| *code == json!("awaiting_confirmation"))
        .count();
    assert_eq!(bound, 1, "one registrant gets the invitation: {outcomes:?}");
    assert!(
        outcomes
            .iter()
            .filter(|(_, _, code)| *code != json!("awaiting_confirmation"))
            .all(|(_, applied, code)| *applied == json!(false) && *code == json!("invitation_used")),
        "{outcomes:?}"
    );
    let winner = racers
        .iter()
        .zip(&replies)
        .find(|(_, reply)| reply.body["invitation"]["code"] == "awaiting_confirmation")
        .map(|(email, _)| email.clone())
        .unwrap();
    confirm_and_sign_in(world, &winner, 1).await;
    let members = world.organisation(&owner, &root).members().list().await.body;
    assert_eq!(
        members["items"].as_array().unwrap().len(),
        2,
        "the owner and one new member"
    );
}

async fn an_invitation_revoked_while_being_accepted_ends_one_way_or_the_other(world: &World) {
    let owner = world.person("owner").await;
    let root = organisation(world, &owner, "ABC Holdings").await;
    let guest = address("contested");
    let invited = world
        .organisation(&owner, &root)
        .invitations()
        .create(json!({ "email": guest }))
        .await;
    let id = invited.body["invitation"]["id"].as_str().unwrap().to_owned();
    let token = world.token_from_mail(&guest, 1).await;
    let other = address("contested.other");

    let abc = world.organisation(&owner, &root);
    let invitations = abc.invitations();
    let (registered, revoked) = tokio::join!(register(world, &other, Some(&token)), invitations.revoke(&id));
    assert_eq!(
        registered.status, 201,
        "a revoked link never blocks sign-up: {registered:?}"
    );
    // The registrant confirms their address: what the race left them, they now hold.
    confirm_and_sign_in(world, &other, 1).await;

    let members = abc.members().list().await.body;
    let joined = members["items"].as_array().unwrap().len() == 2;
    let listed = invitations.list().await.body;
    let status = listed["items"][0]["status"].as_str().unwrap().to_owned();
    match status.as_str() {
        // The registration bound it first and the revocation lost the race.
        "accepted" => assert!(
            registered.body["invitation"]["code"] == json!("awaiting_confirmation") && joined && revoked.status == 409,
            "{registered:?} {revoked:?}"
        ),
        // The revocation won, before or after the registration bound it: nothing is joined.
        "revoked" => assert!(!joined && revoked.status == 204, "{registered:?} {revoked:?}"),
        other => panic!("unexpected end state {other}"),
    }
}
