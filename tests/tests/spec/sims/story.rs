//! Issue 12's "done when", as one story through the API alone: load SIMs as a job, hand them
//! to a company and a person, watch usage cross a rule, and get the e-mail.

use super::{iccid, sims_path};
use crate::organisations::{add, company, organisation};
use crate::world::World;
use serde_json::json;
use std::time::Duration;

both_entry_points!(an_owner_loads_sims_hands_them_out_and_hears_when_usage_crosses_a_rule);

async fn an_owner_loads_sims_hands_them_out_and_hears_when_usage_crosses_a_rule(world: &World) {
    let owner = world.person("owner").await;
    let rider = world.person("rider").await;
    let root = organisation(world, &owner, "Scooters").await;
    let city = company(world, &owner, &root, "City fleet").await;
    add(world, &owner, &city, &rider, &["member"]).await;

    let mut csv = String::from("iccid,labels\n");
    for n in 0..1_500 {
        csv.push_str(&format!("{},scooter\n", iccid(80_000 + n)));
    }
    let queued = world
        .call_raw(
            "POST",
            &format!("{}/import", sims_path(&city)),
            owner.token(),
            "text/csv",
            &csv,
        )
        .await;
    assert_eq!(queued.status, 202, "{queued:?}");
    world
        .finished_job(&queued.headers["location"], "", owner.token(), Duration::from_secs(60))
        .await;
    let summary = world
        .call("GET", &format!("{}/summary", sims_path(&root)), owner.token(), None)
        .await;
    assert_eq!(
        summary.body["items"],
        json!([{ "company_id": city, "status": "inventory", "count": 1_500 }])
    );

    let number = iccid(80_000);
    let handed = world
        .call(
            "PUT",
            &format!("{}/{number}/assignment", sims_path(&city)),
            owner.token(),
            Some(json!({ "company_id": city, "end_user_id": rider.id })),
        )
        .await;
    assert_eq!(handed.status, 200, "{handed:?}");
    let rule = world
        .call(
            "POST",
            &format!("/api/organisations/{city}/sim-rules"),
            owner.token(),
            Some(json!({ "name": "Scooter over 50 MB", "kind": "data_usage", "threshold_mb": 50, "actions": ["notify"], "recipients": { "roles": ["owner", "member"] } })),
        )
        .await;
    assert_eq!(rule.status, 201, "{rule:?}");
    for (n, megabytes) in [30u64, 30].into_iter().enumerate() {
        let recorded = world
            .call(
                "POST",
                &format!("{}/{number}/usage", sims_path(&root)),
                owner.token(),
                Some(json!({ "record_id": format!("ride-{n}"), "data_bytes": megabytes * 1_000_000, "sms": 0, "voice_seconds": 0, "from": "2026-03-01T07:00:00Z", "to": "2026-03-01T07:30:00Z" })),
            )
            .await;
        assert_eq!(recorded.status, 201, "{recorded:?}");
    }
    for person in [&owner, &rider] {
        let mails = world.mails_to(&person.email, 2).await;
        assert!(
            mails
                .iter()
                .any(|mail| mail.subject == format!("SIM {number}: rule “Scooter over 50 MB”")),
            "{} hears of it: {:?}",
            person.email,
            mails.iter().map(|mail| &mail.subject).collect::<Vec<_>>()
        );
    }
    let mine = world.call("GET", &sims_path(&city), rider.token(), None).await;
    assert_eq!(
        mine.body["items"].as_array().unwrap().len(),
        1,
        "the rider sees their scooter's SIM only"
    );
}
