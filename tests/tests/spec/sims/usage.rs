//! Usage and SIM rules: records idempotent by id, totals per billing period, data-usage rules
//! that e-mail and suspend once per crossing even under concurrent records, status-change
//! rules, and company rules that reach only the company's SIMs.

use super::{add_sim, iccid, sims_path};
use crate::organisations::{add, company, organisation};
use crate::world::{Person, Reply, World, join_all};
use serde_json::{Value, json};
use std::time::Duration;

both_entry_points!(
    usage_crossing_rules_e_mails_their_recipients_and_suspends_the_sim,
    concurrent_records_crossing_a_threshold_send_one_mail_per_recipient,
    a_status_change_rule_mails_every_change_and_company_rules_reach_only_company_sims,
);

const MB: u64 = 1_000_000;

fn record(id: &str, bytes: u64) -> Value {
    json!({ "record_id": id, "data_bytes": bytes, "sms": 1, "voice_seconds": 30, "from": "2026-03-01T08:00:00Z", "to": "2026-03-01T08:30:00Z" })
}

async fn post_usage(world: &World, who: &Person, organisation: &str, number: &str, body: Value) -> Reply {
    world
        .call(
            "POST",
            &format!("{}/{number}/usage", sims_path(organisation)),
            who.token(),
            Some(body),
        )
        .await
}

async fn rule(world: &World, owner: &Person, organisation: &str, body: Value) -> String {
    let created = world
        .call(
            "POST",
            &format!("/api/organisations/{organisation}/sim-rules"),
            owner.token(),
            Some(body),
        )
        .await;
    assert_eq!(created.status, 201, "{created:?}");
    created.body["id"].as_str().unwrap().to_owned()
}

/// The SIM alerts `who` received, once every message in flight has been delivered.
async fn alerts(world: &World, who: &Person, at_least: usize) -> Vec<String> {
    world.mails_to(&who.email, at_least).await;
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    world
        .mails_to(&who.email, at_least)
        .await
        .into_iter()
        .map(|mail| mail.subject)
        .filter(|subject| subject.starts_with("SIM "))
        .collect()
}

async fn usage_crossing_rules_e_mails_their_recipients_and_suspends_the_sim(world: &World) {
    let ada = world.person("ada").await;
    let vic = world.person("vic").await;
    let root = organisation(world, &ada, "Fleet").await;
    add(world, &ada, &root, &vic, &["operator"]).await;
    let plan = world
        .call(
            "POST",
            &format!("/api/organisations/{root}/plans"),
            ada.token(),
            Some(json!({ "name": "10 MB", "data_mb": 10, "sms": 0, "voice_minutes": 0, "billing_period": "monthly", "price_minor": 100, "currency": "EUR" })),
        )
        .await;
    let number = iccid(61);
    let added = add_sim(
        world,
        &ada,
        &root,
        json!({ "iccid": number, "plan_id": plan.body["id"] }),
    )
    .await;
    assert_eq!(added.status, 201);
    let activate = format!("{}/{number}/activate", sims_path(&root));
    assert_eq!(world.call("POST", &activate, ada.token(), None).await.status, 200);
    let warning = rule(
        world,
        &ada,
        &root,
        json!({ "name": "Over 5 MB", "kind": "data_usage", "threshold_mb": 5, "actions": ["notify"], "recipients": { "roles": ["owner"] } }),
    )
    .await;
    let cut_off = rule(
        world,
        &ada,
        &root,
        json!({ "name": "Plan used up", "kind": "data_usage", "threshold_percent": 100, "actions": ["notify", "suspend"], "recipients": { "user_ids": [vic.id] } }),
    )
    .await;

    let first = post_usage(world, &ada, &root, &number, record("r-1", 3 * MB)).await;
    assert_eq!(first.status, 201, "{first:?}");
    assert_eq!(first.body["fired"], json!([]));
    let again = post_usage(world, &ada, &root, &number, record("r-1", 3 * MB)).await;
    assert_eq!((again.status, again.body["duplicate"].clone()), (200, json!(true)));
    assert_eq!(again.body["period"]["data_bytes"], 3 * MB, "a repeat changes nothing");
    let altered = post_usage(world, &ada, &root, &number, record("r-1", 4 * MB)).await;
    assert_eq!((altered.status, altered.code()), (409, "record_conflict"));

    let second = post_usage(world, &ada, &root, &number, record("r-2", 3 * MB)).await;
    assert_eq!(second.body["fired"][0]["rule_id"], warning.as_str(), "{second:?}");
    let third = post_usage(world, &ada, &root, &number, record("r-3", 5 * MB)).await;
    assert_eq!(third.body["fired"][0]["rule_id"], cut_off.as_str(), "{third:?}");
    assert_eq!(third.body["period"]["data_bytes"], 11 * MB);
    let fourth = post_usage(world, &ada, &root, &number, record("r-4", MB)).await;
    assert_eq!(fourth.body["fired"], json!([]), "each rule fires once per period");

    let sim = world
        .call("GET", &format!("{}/{number}", sims_path(&root)), ada.token(), None)
        .await;
    assert_eq!(sim.body["status"], "suspended", "the rule suspended the SIM");
    let usage = world
        .call(
            "GET",
            &format!("{}/{number}/usage", sims_path(&root)),
            vic.token(),
            None,
        )
        .await;
    assert_eq!(
        usage.body["items"],
        json!([{ "period_start": "2026-03-01", "company_id": null, "end_user_id": null, "data_bytes": 12 * MB, "sms": 4, "voice_seconds": 120, "records": 4 }])
    );
    assert_eq!(
        alerts(world, &ada, 1).await,
        [format!("SIM {number}: rule “Over 5 MB”")]
    );
    assert_eq!(
        alerts(world, &vic, 1).await,
        [format!("SIM {number}: rule “Plan used up”")]
    );
    let audit = world
        .call(
            "GET",
            &format!("/api/organisations/{root}/audit?action=sim.suspend_done"),
            ada.token(),
            None,
        )
        .await;
    assert_eq!(audit.body["items"][0]["actor"]["kind"], "system", "{audit:?}");
}

async fn concurrent_records_crossing_a_threshold_send_one_mail_per_recipient(world: &World) {
    let ada = world.person("ada").await;
    let root = organisation(world, &ada, "Fleet").await;
    let number = iccid(62);
    assert_eq!(
        add_sim(world, &ada, &root, json!({ "iccid": number })).await.status,
        201
    );
    rule(
        world,
        &ada,
        &root,
        json!({ "name": "Over 10 MB", "kind": "data_usage", "threshold_mb": 10, "actions": ["notify"], "recipients": { "roles": ["owner"] } }),
    )
    .await;
    let records = (0..50).map(|n| post_usage(world, &ada, &root, &number, record(&format!("c-{n}"), MB)));
    let replies = join_all(records).await;
    assert!(replies.iter().all(|reply| reply.status == 201), "{replies:?}");
    let fired = replies
        .iter()
        .filter(|reply| reply.body["fired"].as_array().is_some_and(|f| !f.is_empty()))
        .count();
    assert_eq!(fired, 1, "one record fires the rule");
    let usage = world
        .call(
            "GET",
            &format!("{}/{number}/usage", sims_path(&root)),
            ada.token(),
            None,
        )
        .await;
    assert_eq!(
        usage.body["items"][0]["data_bytes"],
        50 * MB,
        "every record counted once"
    );
    assert_eq!(usage.body["items"][0]["records"], 50);
    assert_eq!(alerts(world, &ada, 1).await.len(), 1, "exactly one e-mail");
}

async fn a_status_change_rule_mails_every_change_and_company_rules_reach_only_company_sims(world: &World) {
    let ada = world.person("ada").await;
    let olga = world.person("olga").await;
    let root = organisation(world, &ada, "Fleet").await;
    let branch = company(world, &ada, &root, "Branch").await;
    add(world, &ada, &branch, &olga, &["operator"]).await;
    rule(
        world,
        &ada,
        &branch,
        json!({ "name": "Branch SIM changed", "kind": "status_change", "actions": ["notify"], "recipients": { "roles": ["operator"] } }),
    )
    .await;
    let (ours, theirs) = (iccid(63), iccid(64));
    assert_eq!(
        world
            .call("POST", &sims_path(&branch), ada.token(), Some(json!({ "iccid": ours })))
            .await
            .status,
        201
    );
    assert_eq!(
        add_sim(world, &ada, &root, json!({ "iccid": theirs })).await.status,
        201
    );
    for number in [&ours, &theirs] {
        let activated = world
            .call(
                "POST",
                &format!("{}/{number}/activate", sims_path(&root)),
                ada.token(),
                None,
            )
            .await;
        assert_eq!(activated.status, 200);
    }
    assert_eq!(
        alerts(world, &olga, 1).await,
        [format!("SIM {ours}: rule “Branch SIM changed”")],
        "the company's rule, for the company's SIM only"
    );
    let mails = world.mails_to(&olga.email, 2).await;
    let alert = mails.iter().find(|mail| mail.subject.starts_with("SIM ")).unwrap();
    assert!(alert.body.contains("from inventory to active"), "{}", alert.body);

    let bad = world
        .call(
            "POST",
            &format!("/api/organisations/{branch}/sim-rules"),
            ada.token(),
            Some(json!({ "name": "x", "kind": "data_usage", "actions": ["notify"], "recipients": { "user_ids": [ada.id] } })),
        )
        .await;
    assert_eq!(bad.status, 422, "a data-usage rule needs a threshold: {bad:?}");
    let outsider = world
        .call(
            "POST",
            &format!("/api/organisations/{branch}/sim-rules"),
            ada.token(),
            Some(json!({ "name": "x", "kind": "data_usage", "threshold_mb": 1, "actions": ["notify"], "recipients": { "user_ids": [world.person("nobody").await.id] } })),
        )
        .await;
    assert_eq!(outsider.field_errors()[0].1, "not_a_member", "{outsider:?}");
}
