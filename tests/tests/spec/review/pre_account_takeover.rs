//! Pre-account takeover: an address not yet proven grants nothing. Invitations to an address
//! are claimed only once its mailbox is proven: by confirming the address, by registering
//! with that invitation's own token, or by a password reset.

use crate::client::Caller::{Anonymous, Bearer};
use crate::organisations::organisation;
use crate::world::{PASSWORD, Person, World, address};
use serde_json::{Value, json};

both_entry_points!(
    an_unconfirmed_registration_claims_no_invitation,
    the_invitees_own_link_beats_an_unconfirmed_registration,
    a_password_reset_proves_the_mailbox_and_claims_the_invitations,
    confirming_the_address_claims_the_pending_invitations,
    the_owner_clicking_a_strangers_confirmation_link_confirms_nothing,
    a_proven_and_an_unproven_registration_racing_never_both_win,
    an_unconfirmed_registration_lapses_and_the_owner_registers_anew,
    whoever_owns_a_mistyped_address_never_gets_the_invitation_used_with_it,
);

const STRANGERS_PASSWORD: &str = "stranger's own password 123";

/// An owner, their root organisation, and an invitation of `newhire` to it as owner and
/// billing admin, which a stranger has tried to claim by registering the address (without
/// the token, with a password of their own). Returns (owner, root, newhire, invitation token).
async fn a_stranger_registered_an_invited_address(world: &World) -> (Person, String, String, String) {
    let owner = world.person("owner").await;
    let root = organisation(world, &owner, "ABC Holdings").await;
    let newhire = address("newhire");
    let invited = world
        .organisation(&owner, &root)
        .invitations()
        .create(json!({ "email": newhire, "roles": ["owner", "billing_admin"] }))
        .await;
    assert_eq!(invited.status, 201, "{invited:?}");
    let token = world.token_from_mail(&newhire, 1).await;

    let stranger = world.register(&newhire, STRANGERS_PASSWORD, None).await;
    assert_eq!(stranger.status, 201, "{stranger:?}");
    assert_eq!(stranger.body["registration"], "pending_confirmation", "{stranger:?}");
    (owner, root, newhire, token)
}

async fn members(world: &World, owner: &Person, organisation: &str) -> Vec<Value> {
    let listed = world.organisation(owner, organisation).members().list().await;
    assert_eq!(listed.status, 200, "{listed:?}");
    listed.body["items"].as_array().unwrap().clone()
}

/// The roles `email` holds in `organisation`, if they are a member.
async fn roles_of(world: &World, owner: &Person, organisation: &str, email: &str) -> Option<Value> {
    members(world, owner, organisation)
        .await
        .into_iter()
        .find(|m| m["email"] == email)
        .map(|m| m["roles"].clone())
}

async fn login_status(world: &World, email: &str, password: &str) -> u16 {
    world
        .call(
            "POST",
            "/api/auth/login",
            None,
            Some(json!({ "email": email, "password": password })),
        )
        .await
        .status
}

async fn an_unconfirmed_registration_claims_no_invitation(world: &World) {
    let (owner, root, _newhire, token) = a_stranger_registered_an_invited_address(world).await;

    let listed = members(world, &owner, &root).await;
    assert_eq!(listed.len(), 1, "only the owner: {listed:?}");
    assert_eq!(listed[0]["user_id"], owner.id.as_str(), "{listed:?}");
    let invitations = world.organisation(&owner, &root).invitations().list().await;
    assert_eq!(invitations.body["items"][0]["status"], "pending", "{invitations:?}");
    let previewed = world.invitations(Anonymous).preview(&token).await;
    assert_eq!(previewed.status, 200, "the link still works: {previewed:?}");
}

async fn the_invitees_own_link_beats_an_unconfirmed_registration(world: &World) {
    let (owner, root, newhire, token) = a_stranger_registered_an_invited_address(world).await;

    let registered = world.register(&newhire, PASSWORD, Some(&token)).await;

    assert_eq!(registered.status, 201, "{registered:?}");
    assert_eq!(registered.body["invitation"]["applied"], true, "{registered:?}");
    assert_eq!(
        registered.body["registration"], "registered",
        "the token proves the mailbox: {registered:?}"
    );
    world.login(&newhire, PASSWORD).await;
    assert_eq!(login_status(world, &newhire, STRANGERS_PASSWORD).await, 401);
    assert_eq!(
        roles_of(world, &owner, &root, &newhire).await,
        Some(json!(["owner", "billing_admin", "member"]))
    );
}

async fn a_password_reset_proves_the_mailbox_and_claims_the_invitations(world: &World) {
    let (owner, root, newhire, _) = a_stranger_registered_an_invited_address(world).await;
    let new_password = "a brand new long passphrase 42";

    let forgot = world.forgot_password(&newhire).await;
    assert_eq!(forgot.status, 202, "{forgot:?}");
    let mails = world.mails_to(&newhire, 3).await;
    assert_eq!(mails.len(), 3, "the invitation, the stranger's confirmation, the reset");
    assert!(mails[2].subject.contains("Reset"), "{}", mails[2].subject);
    let reset = world.reset_password(&mails[2].token(), new_password).await;
    assert_eq!(reset.status, 204, "{reset:?}");

    world.login(&newhire, new_password).await;
    assert_eq!(login_status(world, &newhire, STRANGERS_PASSWORD).await, 401);
    assert_eq!(
        roles_of(world, &owner, &root, &newhire).await,
        Some(json!(["owner", "billing_admin", "member"]))
    );
}

async fn confirming_the_address_claims_the_pending_invitations(world: &World) {
    let owner = world.person("owner").await;
    let root = organisation(world, &owner, "ABC Holdings").await;
    let guest = address("guest");
    let invited = world
        .organisation(&owner, &root)
        .invitations()
        .create(json!({ "email": guest, "roles": ["operator"] }))
        .await;
    assert_eq!(invited.status, 201, "{invited:?}");
    let registered = world.register(&guest, PASSWORD, None).await;
    assert_eq!(registered.status, 201, "{registered:?}");
    assert_eq!(
        roles_of(world, &owner, &root, &guest).await,
        None,
        "not before confirming"
    );

    let token = world.token_from_mail(&guest, 2).await;
    let confirmed = world.confirm(&token, PASSWORD).await;
    assert_eq!(confirmed.status, 204, "{confirmed:?}");

    assert_eq!(
        roles_of(world, &owner, &root, &guest).await,
        Some(json!(["operator", "member"]))
    );
    let (access, _) = world.login(&guest, PASSWORD).await;
    let me = world.me(Bearer(&access)).get().await.body;
    let joined = me["memberships"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["organisation_id"] == root.as_str());
    assert!(joined, "{me}");
}

/// The stranger's confirmation mail lands in the real owner's mailbox; clicking it must not
/// hand the stranger (who knows the password) a confirmed account and the invitations.
async fn the_owner_clicking_a_strangers_confirmation_link_confirms_nothing(world: &World) {
    let (owner, root, newhire, _) = a_stranger_registered_an_invited_address(world).await;
    let mails = world.mails_to(&newhire, 2).await;
    assert!(mails[1].subject.contains("Confirm"), "{}", mails[1].subject);

    let clicked = world.confirm(&mails[1].token(), PASSWORD).await;

    assert_eq!(
        (clicked.status, clicked.code()),
        (403, "not_the_registrant"),
        "{clicked:?}"
    );
    let stranger = login_status(world, &newhire, STRANGERS_PASSWORD).await;
    assert_eq!(stranger, 403, "still unconfirmed: the stranger cannot sign in");
    assert_eq!(roles_of(world, &owner, &root, &newhire).await, None, "nothing claimed");
}

async fn a_proven_and_an_unproven_registration_racing_never_both_win(world: &World) {
    let owner = world.person("owner").await;
    let root = organisation(world, &owner, "ABC Holdings").await;
    for round in 0..5 {
        let newhire = address(&format!("contested{round}"));
        let invited = world
            .organisation(&owner, &root)
            .invitations()
            .create(json!({ "email": newhire }))
            .await;
        assert_eq!(invited.status, 201, "{invited:?}");
        let token = world.token_from_mail(&newhire, 1).await;
        let proven = json!({ "email": newhire, "password": PASSWORD, "invitation_token": token });
        let unproven = json!({ "email": newhire, "password": STRANGERS_PASSWORD });

        let (owner_registers, stranger_registers) = tokio::join!(
            world.call("POST", "/api/auth/register", None, Some(proven)),
            world.call("POST", "/api/auth/register", None, Some(unproven))
        );

        // Whichever commits first, the proven registration ends up owning the address: it
        // takes over an unconfirmed one, and an unproven one cannot overwrite it.
        assert_eq!(
            (owner_registers.status, &owner_registers.body["registration"]),
            (201, &json!("registered")),
            "round {round}: {owner_registers:?} {stranger_registers:?}"
        );
        world.login(&newhire, PASSWORD).await;
        assert_eq!(
            login_status(world, &newhire, STRANGERS_PASSWORD).await,
            401,
            "round {round}: the proven registration keeps its password ({stranger_registers:?})"
        );
    }
}

async fn an_unconfirmed_registration_lapses_and_the_owner_registers_anew(world: &World) {
    let owner_of_address = address("lapsed");
    let squatted = world.register(&owner_of_address, STRANGERS_PASSWORD, None).await;
    assert_eq!(squatted.status, 201, "{squatted:?}");
    let too_soon = world.register(&owner_of_address, PASSWORD, None).await;
    assert_eq!(too_soon.code(), "email_taken", "{too_soon:?}");

    world.clock.advance(chrono::Duration::hours(49));
    let registered = world.register(&owner_of_address, PASSWORD, None).await;

    assert_eq!(registered.status, 201, "the confirmation window lapsed: {registered:?}");
    let token = world.token_from_mail(&owner_of_address, 2).await;
    let confirmed = world.confirm(&token, PASSWORD).await;
    assert_eq!(confirmed.status, 204, "{confirmed:?}");
    world.login(&owner_of_address, PASSWORD).await;
    assert_eq!(login_status(world, &owner_of_address, STRANGERS_PASSWORD).await, 401);
}

/// Alice registers with her invitation link but mistypes her address. The invitation is hers,
/// waiting for her to confirm that address — which she cannot. Whoever owns the mistyped
/// mailbox may take the account over with a password reset, but never her seat.
async fn whoever_owns_a_mistyped_address_never_gets_the_invitation_used_with_it(world: &World) {
    let owner = world.person("owner").await;
    let root = organisation(world, &owner, "ABC Holdings").await;
    let alice = address("alice");
    let invited = world
        .organisation(&owner, &root)
        .invitations()
        .create(json!({ "email": alice, "roles": ["owner", "billing_admin"] }))
        .await;
    assert_eq!(invited.status, 201, "{invited:?}");
    let token = world.token_from_mail(&alice, 1).await;
    let typo = address("alcie");
    let registered = world.register(&typo, PASSWORD, Some(&token)).await;
    assert_eq!(
        registered.body["invitation"]["code"], "awaiting_confirmation",
        "{registered:?}"
    );
    assert_eq!(
        roles_of(world, &owner, &root, &typo).await,
        None,
        "nothing before confirmation"
    );

    let forgot = world.forgot_password(&typo).await;
    assert_eq!(forgot.status, 202);
    let mails = world.mails_to(&typo, 2).await;
    let reset = world
        .reset_password(&mails[1].token(), "the typo mailbox owner's phrase")
        .await;
    assert_eq!(reset.status, 204, "{reset:?}");

    world.login(&typo, "the typo mailbox owner's phrase").await;
    assert_eq!(
        roles_of(world, &owner, &root, &typo).await,
        None,
        "the seat was Alice's"
    );
    let listed = world.organisation(&owner, &root).invitations().list().await;
    assert_eq!(listed.body["items"][0]["status"], "revoked", "{listed:?}");
}
