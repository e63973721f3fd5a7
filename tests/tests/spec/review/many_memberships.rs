//! Scale: a person in thousands of organisations, and an inviter's rate limit.

use crate::client::Caller::Bearer;
use crate::organisations::organisation;
use crate::world::{World, address};
use serde_json::json;
use stratum_shared::accounts::{Email, OrganisationKind, Role, UserKind};
use stratum_shared::identity::Membership;
use stratum_shared::ids::{OrganisationId, UserId};
use stratum_shared::keys;
use stratum_shared::store::{Index, Item, Query, SortCondition, Write};
use stratum_shared::time::Timestamp;

both_entry_points!(
    a_person_in_five_thousand_organisations_signs_in_and_renames_themselves,
    an_inviter_is_limited_and_told_when_to_come_back,
);

async fn a_person_in_five_thousand_organisations_signs_in_and_renames_themselves(world: &World) {
    let bob = world.person("bob").await;
    let user_id = UserId::parse(&bob.id, "id").unwrap();
    let email = Email::parse(&bob.email).unwrap();
    let joined_at = Timestamp::new(world.clock_now());
    let writes: Vec<Write> = (0..5000)
        .map(|i| {
            let organisation_id = OrganisationId::generate();
            let membership = Membership {
                user_id,
                organisation_id,
                organisation_name: format!("Org {i}"),
                parent_organisation_id: None,
                organisation_kind: OrganisationKind::Shared,
                roles: vec![Role::Viewer, Role::Member],
                active: true,
                accepted: true,
                joined_at,
                member_email: Some(email.clone()),
                member_name: "Bob".into(),
                member_kind: UserKind::Person,
            };
            let item = Item::from_record(keys::membership(user_id, organisation_id), &membership)
                .with_gsi1(keys::membership_by_organisation(organisation_id, user_id));
            Write::Put { item, condition: None }
        })
        .collect();
    for chunk in writes.chunks(100) {
        world.identity.store.transact(chunk.to_vec()).await.unwrap();
    }

    let me = world.me(&bob).get().await;
    assert_eq!(me.status, 200, "{:?}", me.status);
    assert_eq!(me.body["memberships"].as_array().map(Vec::len), Some(5001));

    let renamed = world.me(&bob).patch(json!({ "name": "Robert" })).await;
    assert_eq!(renamed.status, 200, "{:?} {}", renamed.status, renamed.body["code"]);
    let (mut renamed, mut cursor) = (0, None);
    loop {
        let query = Query::new(Index::Table, keys::user_partition(user_id))
            .sort(SortCondition::BeginsWith(keys::MEMBERSHIP_PREFIX.into()))
            .limit(1000)
            .after(cursor);
        let page = world.identity.store.query(&query).await.unwrap();
        for row in &page.items {
            assert_eq!(
                row.record::<Membership>().unwrap().member_name,
                "Robert",
                "{:?}",
                row.key
            );
            renamed += 1;
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(renamed, 5001, "every membership row shows the new name");
    let me = world.me(&bob).get().await;
    assert_eq!(me.body["name"], "Robert");
    let personal = world.organisation(&bob, &bob.personal_organisation_id).get().await;
    assert_eq!(personal.status, 200, "{personal:?}");
}

async fn an_inviter_is_limited_and_told_when_to_come_back(world: &World) {
    let owner = world.person("owner").await;
    let root = organisation(world, &owner, "ABC Holdings").await;
    let invitations = world.organisation(&owner, &root).invitations();
    let invite = || invitations.create(json!({ "email": address("g") }));

    let allowance = stratum_shared::invitations::INVITATIONS_PER_INVITER.per_window;
    for n in 0..allowance {
        let invited = invite().await;
        assert_eq!(invited.status, 201, "invitation {n}: {invited:?}");
    }
    let refused = invite().await;

    assert_eq!(
        (refused.status, refused.code()),
        (429, "too_many_invitations"),
        "{refused:?}"
    );
    let retry_after = refused
        .headers
        .get("retry-after")
        .and_then(|value| value.parse::<u64>().ok());
    assert!(retry_after.is_some_and(|seconds| seconds > 0), "{refused:?}");
    world.clock.advance(chrono::Duration::hours(1));
    let (access, _) = world.login(&owner.email, crate::world::PASSWORD).await;
    let next_hour = world
        .organisation(Bearer(&access), &root)
        .invitations()
        .create(json!({ "email": address("g") }))
        .await;
    assert_eq!(
        next_hour.status, 201,
        "the budget comes back with the next window: {next_hour:?}"
    );
}
