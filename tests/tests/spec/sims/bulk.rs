//! Bulk state changes: up to 10,000 SIMs by ICCID or filter, as a job with a per-SIM report.

use super::{iccid, sims_path};
use crate::organisations::{add, company, organisation};
use crate::world::{Person, Reply, World};
use serde_json::{Value, json};
use std::time::Duration;

both_entry_points!(a_bulk_change_reports_every_sim_and_touches_only_those_in_scope);

async fn bulk(world: &World, who: &Person, organisation: &str, body: Value) -> Reply {
    world
        .call(
            "POST",
            &format!("{}/bulk", sims_path(organisation)),
            who.token(),
            Some(body),
        )
        .await
}

/// The finished job, its whole report in one page.
async fn finished(world: &World, who: &Person, queued: &Reply) -> Reply {
    assert_eq!(queued.status, 202, "{queued:?}");
    let location = queued.headers["location"].clone();
    world
        .finished_job(&location, "?limit=200", who.token(), Duration::from_secs(30))
        .await
}

fn codes(report: &Reply) -> Vec<(String, Option<String>)> {
    report.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                row["outcome"].as_str().unwrap().to_owned(),
                row["code"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

async fn a_bulk_change_reports_every_sim_and_touches_only_those_in_scope(world: &World) {
    let ada = world.person("ada").await;
    let olga = world.person("olga").await;
    let root = organisation(world, &ada, "Fleet").await;
    let branch = company(world, &ada, &root, "Branch").await;
    add(world, &ada, &branch, &olga, &["owner"]).await;
    let numbers: Vec<String> = (0..12).map(|n| iccid(700 + n)).collect();
    for (n, number) in numbers.iter().enumerate() {
        let organisation = if n < 4 { &branch } else { &root };
        let body = json!({ "iccid": number, "termination_protection": n == 11 });
        let added = world
            .call("POST", &sims_path(organisation), ada.token(), Some(body))
            .await;
        assert_eq!(added.status, 201, "{added:?}");
    }
    let active = numbers[5].clone();
    let activate = format!("{}/{active}/activate", sims_path(&root));
    assert_eq!(world.call("POST", &activate, ada.token(), None).await.status, 200);

    let mut named: Vec<Value> = numbers[4..10].iter().map(|n| json!(n)).collect();
    named.extend([json!(iccid(799)), json!("junk")]);
    let report = finished(
        world,
        &ada,
        &bulk(world, &ada, &root, json!({ "action": "activate", "iccids": named })).await,
    )
    .await;
    assert_eq!(
        report.body["counts"],
        json!({ "created": 0, "changed": 5, "unchanged": 1, "error": 2 })
    );
    let some = |s: &str| Some(s.to_owned());
    assert_eq!(codes(&report)[1], ("unchanged".to_owned(), None), "already active");
    assert_eq!(
        &codes(&report)[6..],
        [
            ("error".to_owned(), some("not_found")),
            ("error".to_owned(), some("invalid_iccid"))
        ]
    );

    let terminate = bulk(
        world,
        &ada,
        &root,
        json!({ "action": "terminate", "filter": { "status": "inventory" } }),
    )
    .await;
    let report = finished(world, &ada, &terminate).await;
    assert_eq!(
        report.body["rows"], 6,
        "the branch's four and the root's two in inventory: {report:?}"
    );
    assert_eq!(report.body["counts"]["changed"], 5);
    assert_eq!(
        codes(&report)
            .iter()
            .filter(|(_, code)| code.as_deref() == Some("termination_protected"))
            .count(),
        1
    );

    let through_branch = bulk(
        world,
        &olga,
        &branch,
        json!({ "action": "activate", "iccids": [numbers[0], numbers[6]] }),
    )
    .await;
    let report = finished(world, &olga, &through_branch).await;
    assert_eq!(
        codes(&report),
        [
            ("error".to_owned(), some("terminated")),
            ("error".to_owned(), some("not_found"))
        ],
        "a company's owner reaches only its SIMs"
    );

    let nothing = bulk(
        world,
        &ada,
        &root,
        json!({ "action": "suspend", "filter": { "label": "none" } }),
    )
    .await;
    assert_eq!((nothing.status, nothing.field_errors()[0].1.as_str()), (409, "no_sims"));
    let both = bulk(
        world,
        &ada,
        &root,
        json!({ "action": "suspend", "iccids": [numbers[0]], "filter": {} }),
    )
    .await;
    assert_eq!(both.status, 422);
    let audit = world
        .call(
            "GET",
            &format!("/api/organisations/{root}/audit?action=sim.activate_done"),
            ada.token(),
            None,
        )
        .await;
    let events = audit.body["items"].as_array().unwrap();
    assert_eq!(events.len(), 6, "each SIM's change audited: {audit:?}");
    assert!(
        events.iter().all(|event| event["actor"]["user_id"] == ada.id.as_str()),
        "as the owner who asked"
    );
}
