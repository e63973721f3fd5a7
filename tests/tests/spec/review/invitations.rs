//! Invitations: resending, stale links at sign-up, deletion and replacement.
//!
//! When a registration carries an `invitation_token`, its 201 says what became of it:
//! `"invitation": {"applied": true, "invitation_id": …}` or
//! `{"applied": false, "code": …, "detail": …}`; a stale link never blocks signing up.

use crate::client::Caller::{Anonymous, Bearer};
use crate::organisations::organisation;
use crate::world::{PASSWORD, Person, Reply, World, address};
use serde_json::{Value, json};

both_entry_points!(
    resending_an_invitation_twice_in_one_second_works_both_times,
    a_stale_invitation_link_never_blocks_sign_up,
    deleting_an_organisation_revokes_its_pending_invitations,
    a_newer_invitation_to_the_same_organisation_replaces_the_older_one,
    an_invitation_whose_organisation_is_gone_is_skipped_not_fatal,
);

/// An invitation that must be made.
async fn invite(world: &World, owner: &Person, organisation: &str, body: Value) -> Reply {
    let invited = world.organisation(owner, organisation).invitations().create(body).await;
    assert_eq!(invited.status, 201, "{invited:?}");
    invited
}

async fn register(world: &World, email: &str, token: &str) -> Reply {
    world.register(email, PASSWORD, Some(token)).await
}

async fn preview(world: &World, token: &str) -> Reply {
    world.invitations(Anonymous).preview(token).await
}

/// Registers a fresh address with a stale `token`: signed up all the same, told why the
/// invitation was not applied, and a member of their personal organisation only.
async fn signs_up_despite(world: &World, token: &str, code: &str) {
    let email = address("newcomer");
    let registered = register(world, &email, token).await;
    assert_eq!(registered.status, 201, "{code}: {registered:?}");
    let invitation = &registered.body["invitation"];
    assert_eq!(
        (&invitation["applied"], invitation["code"].as_str()),
        (&json!(false), Some(code)),
        "{registered:?}"
    );
    assert!(invitation["detail"].is_string(), "{registered:?}");

    let confirmation = world.token_from_mail(&email, 1).await;
    let confirmed = world.confirm(&confirmation, PASSWORD).await;
    assert_eq!(confirmed.status, 204, "{code}: {confirmed:?}");
    let (access, _) = world.login(&email, PASSWORD).await;
    let me = world.me(Bearer(&access)).get().await.body;
    let memberships = me["memberships"].as_array().unwrap();
    assert_eq!(memberships.len(), 1, "{code}: {me}");
    assert_eq!(
        memberships[0]["organisation_id"], me["personal_organisation_id"],
        "{me}"
    );
}

async fn resending_an_invitation_twice_in_one_second_works_both_times(world: &World) {
    let owner = world.person("owner").await;
    let root = organisation(world, &owner, "ABC Holdings").await;
    let guest = address("guest");
    let invited = invite(world, &owner, &root, json!({ "email": guest })).await;
    let id = invited.body["invitation"]["id"].as_str().unwrap().to_owned();
    let invitations = world.organisation(&owner, &root).invitations();

    // The clock stands on a whole second: the two resends fall 300 ms apart within it, so
    // their expiries differ but fall in the same second (the expiry index's key).
    let first = invitations.resend(&id).await;
    world.clock.advance(chrono::Duration::milliseconds(300));
    let second = invitations.resend(&id).await;

    assert_eq!(first.status, 200, "{first:?}");
    assert_eq!(second.status, 200, "a second resend within the second: {second:?}");
    let mails = world.mails_to(&guest, 3).await;
    assert_eq!(mails.len(), 3, "the invitation and two copies");
    let newest = preview(world, &mails[2].token()).await;
    assert_eq!(newest.status, 200, "{newest:?}");
    for older in &mails[..2] {
        let dead = preview(world, &older.token()).await;
        assert!(matches!(dead.status, 404 | 410), "an older link is dead: {dead:?}");
    }
}

async fn a_stale_invitation_link_never_blocks_sign_up(world: &World) {
    let owner = world.person("owner").await;
    let root = organisation(world, &owner, "ABC Holdings").await;

    signs_up_despite(world, "no-such-token", "invitation_not_found").await;

    let revoked_guest = address("revoked");
    let invited = invite(world, &owner, &root, json!({ "email": revoked_guest })).await;
    let id = invited.body["invitation"]["id"].as_str().unwrap().to_owned();
    let revoked_token = world.token_from_mail(&revoked_guest, 1).await;
    let revoked = world.organisation(&owner, &root).invitations().revoke(&id).await;
    assert_eq!(revoked.status, 204, "{revoked:?}");
    signs_up_despite(world, &revoked_token, "invitation_revoked").await;

    let used_guest = address("used");
    invite(world, &owner, &root, json!({ "email": used_guest })).await;
    let used_token = world.token_from_mail(&used_guest, 1).await;
    let first = register(world, &address("first"), &used_token).await;
    assert_eq!(
        (first.status, &first.body["invitation"]["code"]),
        (201, &json!("awaiting_confirmation")),
        "another address: the invitation is theirs once they confirm it: {first:?}"
    );
    signs_up_despite(world, &used_token, "invitation_used").await;

    let late_guest = address("late");
    invite(world, &owner, &root, json!({ "email": late_guest })).await;
    let late_token = world.token_from_mail(&late_guest, 1).await;
    world.clock.advance(chrono::Duration::days(15));
    signs_up_despite(world, &late_token, "invitation_expired").await;
}

async fn deleting_an_organisation_revokes_its_pending_invitations(world: &World) {
    let ada = world.person("ada").await;
    let root = organisation(world, &ada, "Short Lived").await;
    let guest = address("guest");
    invite(world, &ada, &root, json!({ "email": guest })).await;
    let token = world.token_from_mail(&guest, 1).await;

    let deleted = world.organisation(&ada, &root).delete().await;
    assert_eq!(deleted.status, 204, "{deleted:?}");

    let previewed = preview(world, &token).await;
    assert_eq!(
        (previewed.status, previewed.code()),
        (410, "invitation_revoked"),
        "{previewed:?}"
    );
    let registered = register(world, &guest, &token).await;
    assert_eq!(registered.status, 201, "{registered:?}");
    assert_eq!(
        (
            &registered.body["invitation"]["applied"],
            registered.body["invitation"]["code"].as_str()
        ),
        (&json!(false), Some("invitation_revoked")),
        "{registered:?}"
    );
}

async fn a_newer_invitation_to_the_same_organisation_replaces_the_older_one(world: &World) {
    let ada = world.person("ada").await;
    let root = organisation(world, &ada, "ABC Holdings").await;
    let guest = address("guest");
    let older = invite(world, &ada, &root, json!({ "email": guest, "roles": ["viewer"] })).await;
    let newer = invite(world, &ada, &root, json!({ "email": guest, "roles": ["operator"] })).await;
    let older_id = older.body["invitation"]["id"].as_str().unwrap().to_owned();
    let newer_id = newer.body["invitation"]["id"].as_str().unwrap().to_owned();

    let listed = world.organisation(&ada, &root).invitations().list().await;
    let status_of = |id: &str| {
        listed.body["items"]
            .as_array()
            .and_then(|items| items.iter().find(|i| i["id"] == id))
            .map(|i| i["status"].clone())
    };
    assert_eq!(status_of(&older_id), Some(json!("revoked")), "{listed:?}");
    assert_eq!(status_of(&newer_id), Some(json!("pending")), "{listed:?}");

    let token = world.token_from_mail(&guest, 2).await;
    let registered = register(world, &guest, &token).await;
    assert_eq!(registered.status, 201, "{registered:?}");
    assert_eq!(registered.body["invitation"]["applied"], true, "{registered:?}");
    let (access, _) = world.login(&guest, PASSWORD).await;
    let me = world.me(Bearer(&access)).get().await.body;
    let membership = me["memberships"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["organisation_id"] == root.as_str())
        .cloned();
    assert_eq!(
        membership.map(|m| m["roles"].clone()),
        Some(json!(["operator", "member"])),
        "{me}"
    );
}

/// Deleting revokes an organisation's invitations after the deletion commits; should that be
/// cut short, acceptance still skips the invitation (and says so) instead of failing sign-up.
async fn an_invitation_whose_organisation_is_gone_is_skipped_not_fatal(world: &World) {
    let owner = world.person("owner").await;
    let root = organisation(world, &owner, "Short-lived").await;
    let guest = address("guest");
    assert_eq!(
        invite(world, &owner, &root, json!({ "email": guest })).await.status,
        201
    );
    let token = world.token_from_mail(&guest, 1).await;
    // The organisation is deleted, its invitation left pending (as if the revocation after
    // the deletion had not run).
    let key = stratum_shared::keys::organisation(stratum_shared::ids::OrganisationId::parse(&root, "id").unwrap());
    let deleted = stratum_shared::store::Update::new(key).set("deleted_at", json!("2026-03-01T09:00:00.000Z"));
    world.identity.store.update(deleted).await.unwrap();

    let registered = register(world, &guest, &token).await;

    assert_eq!(registered.status, 201, "{registered:?}");
    assert_eq!(
        (
            &registered.body["invitation"]["applied"],
            &registered.body["invitation"]["code"]
        ),
        (&json!(false), &json!("organisation_gone")),
        "{registered:?}"
    );
    let (access, _) = world.login(&guest, PASSWORD).await;
    let me = world.me(Bearer(&access)).get().await.body;
    assert_eq!(
        me["memberships"].as_array().unwrap().len(),
        1,
        "their personal organisation only: {me}"
    );
}
