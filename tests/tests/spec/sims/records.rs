//! A SIM's record: its ICCID normalised and unique within a root (another root's holding
//! changes nothing), its fields checked, and changed only at the version read.

use super::{add_sim, iccid, sims_path};
use crate::organisations::organisation;
use crate::world::World;
use serde_json::{Value, json};

both_entry_points!(
    an_iccid_is_unique_within_a_root_and_another_roots_holding_changes_nothing,
    a_sim_changes_only_at_the_version_read,
);

async fn an_iccid_is_unique_within_a_root_and_another_roots_holding_changes_nothing(world: &World) {
    let ada = world.person("ada").await;
    let eve = world.person("eve").await;
    let fleet = organisation(world, &ada, "Fleet").await;
    let rival = organisation(world, &eve, "Rival").await;
    let number = iccid(1);

    let typed = format!("{} {} {}F", &number[..6], &number[6..12], &number[12..]);
    let added = add_sim(world, &ada, &fleet, json!({ "iccid": typed, "labels": ["eu", "eu"] })).await;
    assert_eq!(added.status, 201, "{added:?}");
    assert_eq!(
        added.body["iccid"],
        number.as_str(),
        "spaces and the trailing F are dropped"
    );
    assert_eq!(added.body["status"], "inventory");
    assert_eq!(added.body["labels"], json!(["eu"]));

    let elsewhere = add_sim(world, &eve, &rival, json!({ "iccid": number })).await;
    assert_eq!(
        (elsewhere.status, elsewhere.body["organisation_id"].clone()),
        (201, json!(rival)),
        "another root's holding answers nothing: {elsewhere:?}"
    );
    let own_again = add_sim(world, &ada, &fleet, json!({ "iccid": number })).await;
    assert_eq!(
        (own_again.status, own_again.code()),
        (409, "iccid_taken"),
        "unique within the root"
    );
    let ours = world
        .call("GET", &format!("{}/{number}", sims_path(&fleet)), ada.token(), None)
        .await;
    assert_eq!(
        ours.body["labels"],
        json!(["eu"]),
        "Ada's SIM is as she added it: {ours:?}"
    );
    let not_hers = world
        .call("GET", &format!("{}/{number}", sims_path(&fleet)), eve.token(), None)
        .await;
    assert_eq!(
        not_hers.status, 404,
        "another organisation's SIM does not exist for eve"
    );

    let bad = add_sim(
        world,
        &ada,
        &fleet,
        json!({ "iccid": "89490000000000000010", "imsi": "12", "msisdn": "0151 234" }),
    )
    .await;
    assert_eq!(bad.status, 422);
    let mut fields = bad.field_errors();
    fields.sort();
    assert_eq!(
        fields,
        [
            ("iccid", "invalid_check_digit"),
            ("imsi", "invalid_imsi"),
            ("msisdn", "invalid_msisdn")
        ]
        .map(|(f, c)| (f.to_owned(), c.to_owned()))
    );
}

async fn a_sim_changes_only_at_the_version_read(world: &World) {
    let ada = world.person("ada").await;
    let root = organisation(world, &ada, "Fleet").await;
    let number = iccid(41);
    let added = add_sim(world, &ada, &root, json!({ "iccid": number })).await;
    let etag = added.headers["etag"].clone();
    let path = format!("{}/{number}", sims_path(&root));
    let patch = |imsi: &'static str| {
        let (path, etag, token) = (path.clone(), etag.clone(), format!("Bearer {}", ada.access));
        async move {
            world
                .call_with(
                    "PATCH",
                    &path,
                    &[("authorization", &token), ("if-match", &etag)],
                    Some(json!({ "imsi": imsi, "msisdn": "+49 151 2345678" })),
                )
                .await
        }
    };
    let replies = crate::world::join_all([patch("262011234567890"), patch("262019876543210")].into_iter()).await;
    let mut statuses: Vec<u16> = replies.iter().map(|reply| reply.status).collect();
    statuses.sort();
    assert_eq!(statuses, [200, 412], "one change wins; the other read a stale version");
    let winner = replies.iter().find(|reply| reply.status == 200).unwrap();
    assert_eq!(winner.body["msisdn"], "+491512345678");
    let cleared = world
        .call("PATCH", &path, ada.token(), Some(json!({ "imsi": null })))
        .await;
    assert_eq!(cleared.body["imsi"], Value::Null, "null clears a field");
    assert_eq!(cleared.body["msisdn"], "+491512345678", "absent leaves one alone");
}
