//! Bulk imports of SIMs: a per-row report, idempotent by ICCID, invalid rows never blocking
//! valid ones, large files as jobs with a paged report, and racing imports creating each SIM
//! once.

use super::{add_sim, iccid, sims_path};
use crate::organisations::{company, organisation};
use crate::world::{Person, Reply, World};
use serde_json::{Value, json};
use std::time::Duration;

both_entry_points!(
    an_import_reports_every_row_and_a_second_import_changes_nothing,
    a_large_import_is_a_job_with_a_paged_report,
    racing_imports_of_the_same_iccids_create_each_sim_once,
);

async fn import_csv(world: &World, who: &Person, organisation: &str, csv: &str) -> Reply {
    world
        .call_raw(
            "POST",
            &format!("{}/import", sims_path(organisation)),
            who.token(),
            "text/csv",
            csv,
        )
        .await
}

fn outcomes(reply: &Reply) -> Vec<(u64, String, Option<String>)> {
    reply.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a report: {reply:?}"))
        .iter()
        .map(|row| {
            (
                row["row"].as_u64().unwrap(),
                row["outcome"].as_str().unwrap().to_owned(),
                row["code"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

async fn an_import_reports_every_row_and_a_second_import_changes_nothing(world: &World) {
    let ada = world.person("ada").await;
    let eve = world.person("eve").await;
    let root = organisation(world, &ada, "Fleet").await;
    let rival = organisation(world, &eve, "Rival").await;
    let theirs = iccid(99);
    assert_eq!(
        add_sim(world, &eve, &rival, json!({ "iccid": theirs })).await.status,
        201
    );
    let plan = world
        .call(
            "POST",
            &format!("/api/organisations/{root}/plans"),
            ada.token(),
            Some(json!({ "name": "Basic", "data_mb": 500, "sms": 0, "voice_minutes": 0, "billing_period": "monthly", "price_minor": 100, "currency": "EUR" })),
        )
        .await;
    let plan = plan.body["id"].as_str().unwrap().to_owned();
    let unknown_plan = uuid::Uuid::new_v4();
    let csv = format!(
        "iccid,imsi,plan_id,labels\n\
         {a},262011234567890,{plan},fleet;eu\n\
         89490000000000000010,,,\n\
         {a},,,\n\
         {theirs},,,\n\
         {b},,{unknown_plan},\n\
         \"{c}F\",12,,\n\
         {d},,,\"a \"\"quoted\"\" label\"\n",
        a = iccid(1),
        b = iccid(2),
        c = iccid(3),
        d = iccid(4),
    );

    let first = import_csv(world, &ada, &root, &csv).await;
    assert_eq!(first.status, 200, "{first:?}");
    assert_eq!(first.body["state"], "completed");
    assert_eq!(
        first.body["counts"],
        json!({ "created": 3, "changed": 0, "unchanged": 0, "error": 4 })
    );
    let some = |code: &str| Some(code.to_owned());
    assert_eq!(
        outcomes(&first),
        [
            (1, "created".into(), None),
            (2, "error".into(), some("invalid_check_digit")),
            (3, "error".into(), some("duplicate_in_file")),
            (4, "created".into(), None),
            (5, "error".into(), some("unknown_plan")),
            (6, "error".into(), some("invalid_imsi")),
            (7, "created".into(), None),
        ]
    );
    let sim = world
        .call("GET", &format!("{}/{}", sims_path(&root), iccid(1)), ada.token(), None)
        .await;
    assert_eq!(sim.body["plan_id"], plan.as_str());
    assert_eq!(sim.body["labels"], json!(["eu", "fleet"]));
    let quoted = world
        .call("GET", &format!("{}/{}", sims_path(&root), iccid(4)), ada.token(), None)
        .await;
    assert_eq!(quoted.body["labels"], json!(["a \"quoted\" label"]));

    let second = import_csv(world, &ada, &root, &csv).await;
    assert_eq!(
        second.body["counts"],
        json!({ "created": 0, "changed": 0, "unchanged": 3, "error": 4 })
    );
    let summary = world
        .call("GET", &format!("{}/summary", sims_path(&root)), ada.token(), None)
        .await;
    assert_eq!(summary.body["total"], 3, "nothing was written twice: {summary:?}");

    let as_json = world
        .call(
            "POST",
            &format!("{}/import", sims_path(&root)),
            ada.token(),
            Some(json!([{ "iccid": iccid(5), "msisdn": "+491511234567" }, { "iccid": iccid(6), "colour": "red" }, { "iccid": 7 }])),
        )
        .await;
    assert_eq!(
        outcomes(&as_json),
        [
            (1, "created".into(), None),
            (2, "error".into(), some("invalid_row")),
            (3, "error".into(), some("invalid_row"))
        ]
    );
    let not_rows = world
        .call(
            "POST",
            &format!("{}/import", sims_path(&root)),
            ada.token(),
            Some(json!([{ "iccid": iccid(8) }, 42])),
        )
        .await;
    assert_eq!(
        not_rows.field_errors(),
        [("1".to_owned(), "invalid_type".to_owned())],
        "a file of objects"
    );
    let bad_header = import_csv(world, &ada, &root, "serial\n1\n").await;
    assert_eq!(bad_header.status, 422);
    let job = first.body["id"].as_str().unwrap();
    let kept = world
        .call("GET", &format!("{}/imports/{job}", sims_path(&root)), ada.token(), None)
        .await;
    assert_eq!(
        kept.body["counts"], first.body["counts"],
        "the report is kept: {kept:?}"
    );
    assert_eq!(
        world
            .call(
                "GET",
                &format!("{}/imports/{job}", sims_path(&rival)),
                eve.token(),
                None
            )
            .await
            .status,
        404
    );
}

async fn a_large_import_is_a_job_with_a_paged_report(world: &World) {
    let ada = world.person("ada").await;
    let root = organisation(world, &ada, "Fleet").await;
    let branch = company(world, &ada, &root, "Branch").await;
    let rows = 2_500u64;
    let mut csv = String::from("iccid\n");
    for n in 0..rows {
        if n == 1_234 {
            csv.push_str("not an iccid\n");
        } else {
            csv.push_str(&format!("{}\n", iccid(1_000 + n)));
        }
    }

    let queued = import_csv(world, &ada, &branch, &csv).await;
    assert_eq!(queued.status, 202, "{queued:?}");
    assert_eq!(queued.body["state"], "queued");
    let job = queued.body["id"].as_str().unwrap().to_owned();
    let path = format!("{}/imports/{job}", sims_path(&branch));
    assert_eq!(queued.headers["location"], path);

    let done = world
        .finished_job(&path, "", ada.token(), Duration::from_secs(60))
        .await;
    assert_eq!(
        done.body["counts"],
        json!({ "created": 2_499, "changed": 0, "unchanged": 0, "error": 1 })
    );
    assert_eq!(done.body["rows"], rows);

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = match &cursor {
            Some(cursor) => format!("{path}?limit=200&cursor={cursor}"),
            None => format!("{path}?limit=200"),
        };
        let page = world.call("GET", &query, ada.token(), None).await;
        assert_eq!(page.status, 200, "{page:?}");
        seen.extend(outcomes(&page));
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len() as u64, rows, "every row once");
    assert!(
        seen.iter().enumerate().all(|(i, (row, ..))| *row == i as u64 + 1),
        "in order"
    );
    assert_eq!(seen[1_234].2.as_deref(), Some("invalid_iccid"));

    let listed = world
        .call("GET", &format!("{}?limit=1", sims_path(&branch)), ada.token(), None)
        .await;
    assert_eq!(
        listed.body["items"][0]["company_id"],
        branch.as_str(),
        "imported through the company"
    );
    let summary: Value = world
        .call("GET", &format!("{}/summary", sims_path(&root)), ada.token(), None)
        .await
        .body;
    assert_eq!(summary["total"], 2_499);
}

async fn racing_imports_of_the_same_iccids_create_each_sim_once(world: &World) {
    let ada = world.person("ada").await;
    let root = organisation(world, &ada, "Fleet").await;
    let csv = |from: u64| {
        let mut csv = String::from("iccid\n");
        for n in from..from + 300 {
            csv.push_str(&format!("{}\n", iccid(5_000 + n)));
        }
        csv
    };
    let (first, second) = (csv(0), csv(150));
    let replies = crate::world::join_all(
        [
            import_csv(world, &ada, &root, &first),
            import_csv(world, &ada, &root, &second),
        ]
        .into_iter(),
    )
    .await;
    let created: u64 = replies
        .iter()
        .map(|reply| {
            assert_eq!(reply.status, 200, "{reply:?}");
            reply.body["counts"]["created"].as_u64().unwrap()
        })
        .sum();
    let unchanged: u64 = replies
        .iter()
        .map(|reply| reply.body["counts"]["unchanged"].as_u64().unwrap())
        .sum();
    assert_eq!((created, unchanged), (450, 150), "each ICCID created by one import");
    let summary = world
        .call("GET", &format!("{}/summary", sims_path(&root)), ada.token(), None)
        .await;
    assert_eq!(summary.body["total"], 450, "and counted once");
}
