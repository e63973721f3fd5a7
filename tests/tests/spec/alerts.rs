//! Alert rules and alerts (issue 14, items 3–5): rules owners write and staff read; alerts
//! raised once per device and source however many messages race (fed to the ingest worker's
//! handler in concurrent batches), e-mailed once per person
//! per state change through the outbox (read back from moto's SES on the Lambda path, from
//! the `.eml` folder locally); acknowledged and cleared by operators and owners; `offline`
//! for silent devices and `sim_mismatch` for a foreign IMEI.

use crate::devices::devices_of_root;
use crate::organisations::{add, company, organisation};
use crate::world::{Mail, PASSWORD, World, join_all};
use serde_json::{Value, json};
use stratum_shared::telemetry::Envelope;

both_entry_points!(
    owners_write_alert_rules_that_are_checked_whole_and_staff_read_them,
    a_thousand_racing_messages_across_a_threshold_raise_one_alert_and_one_mail_per_person,
    operators_acknowledge_and_clear_alerts_and_each_caller_sees_only_the_alerts_in_reach,
    a_silent_device_goes_offline_within_its_timeout_and_a_minute_and_comes_back_with_its_next_message,
    a_breach_raises_only_once_it_has_held_for_the_rules_duration,
);

/// The alert e-mails sent to `to` (not the sign-up's), waiting for at least `at_least`.
async fn alert_mails(world: &World, to: &str, at_least: usize) -> Vec<Mail> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let mails: Vec<Mail> = world
            .mails_to(to, 0)
            .await
            .into_iter()
            .filter(|mail| mail.subject.starts_with('['))
            .collect();
        if mails.len() >= at_least || std::time::Instant::now() > deadline {
            return mails;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

fn message(device: &str, ts: &str, seq: u64, raw: i64) -> Envelope {
    Envelope {
        device_id: device.to_owned(),
        client_id: device.to_owned(),
        received_at: None,
        message: json!({ "ts": ts, "seq": seq, "values": { "1": raw } })
            .as_object()
            .unwrap()
            .clone(),
    }
}

/// Port 1 of the spec model reads `raw × 0.1 − 40` °C: above 40 °C is hot, below 35 °C clear.
fn hot_rule() -> Value {
    json!({
        "name": "Too hot", "port": 1, "condition": ">", "value": 40, "clear_value": 35,
        "severity": "critical", "recipients": { "roles": ["owner", "operator"] }
    })
}

async fn owners_write_alert_rules_that_are_checked_whole_and_staff_read_them(world: &World) {
    let ada = world.person("ada").await;
    let olga = world.person("olga").await;
    let root = organisation(world, &ada, "Fleet").await;
    add(world, &ada, &root, &olga, &["operator"]).await;
    let rules = format!("/api/organisations/{root}/alert-rules");

    let created = world.call("POST", &rules, ada.token(), Some(hot_rule())).await;
    assert_eq!(created.status, 201, "{created:?}");
    assert_eq!(created.body["enabled"], true);
    assert_eq!(created.body["duration_seconds"], 0);
    let invalid = world
        .call(
            "POST",
            &rules,
            ada.token(),
            Some(json!({
                "name": "Range", "port": 1, "condition": "outside", "value": 5, "clear_value": 4,
                "severity": "minor", "scope": { "device_id": uuid::Uuid::new_v4(), "model_id": uuid::Uuid::new_v4() }
            })),
        )
        .await;
    assert_eq!(invalid.status, 422, "{invalid:?}");
    let mut fields = invalid.field_errors();
    fields.sort();
    assert_eq!(
        fields,
        [
            ("clear_value".to_owned(), "not_a_threshold".to_owned()),
            ("scope".to_owned(), "one_scope".to_owned()),
            ("value2".to_owned(), "required".to_owned()),
        ]
    );
    assert_eq!(
        world.call("POST", &rules, olga.token(), Some(hot_rule())).await.status,
        403,
        "operators handle alerts; owners write rules"
    );

    let rule = format!("{rules}/{}", created.body["id"].as_str().unwrap());
    let read = world.call("GET", &rule, olga.token(), None).await;
    assert_eq!(read.body["name"], "Too hot", "staff read rules");
    let etag = read.headers["etag"].clone();
    let wrong_side = world
        .call_with(
            "PATCH",
            &rule,
            &[
                ("authorization", &format!("Bearer {}", ada.access)),
                ("if-match", &etag),
            ],
            Some(json!({ "clear_value": 45 })),
        )
        .await;
    assert_eq!(wrong_side.code(), "validation_failed", "checked whole: {wrong_side:?}");
    let disabled = world
        .call_with(
            "PATCH",
            &rule,
            &[
                ("authorization", &format!("Bearer {}", ada.access)),
                ("if-match", &etag),
            ],
            Some(json!({ "enabled": false, "severity": "warning" })),
        )
        .await;
    assert_eq!(disabled.status, 200, "{disabled:?}");
    assert_eq!(
        (disabled.body["enabled"].clone(), disabled.body["severity"].clone()),
        (json!(false), json!("warning"))
    );
    let listed = world.call("GET", &rules, olga.token(), None).await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(world.call("DELETE", &rule, ada.token(), None).await.status, 204);
    assert_eq!(world.call("GET", &rule, ada.token(), None).await.status, 404);
}

async fn a_thousand_racing_messages_across_a_threshold_raise_one_alert_and_one_mail_per_person(world: &World) {
    let admin = world.admin().await;
    let ada = world.person("ada").await;
    let olga = world.person("olga").await;
    let vic = world.person("vic").await;
    let root = organisation(world, &ada, "Fleet").await;
    add(world, &ada, &root, &olga, &["operator"]).await;
    add(world, &ada, &root, &vic, &["viewer"]).await;
    let ids = devices_of_root(world, &admin, &ada, &root, 1).await;
    let device = &ids[0];
    let created = world
        .call(
            "POST",
            &format!("/api/organisations/{root}/alert-rules"),
            ada.token(),
            Some(hot_rule()),
        )
        .await;
    assert_eq!(created.status, 201, "{created:?}");

    // Ten containers with caches of their own, each taking a batch of a hundred at once.
    let start = chrono::DateTime::parse_from_rfc3339("2026-03-01T08:40:00Z").unwrap();
    let batches: Vec<Vec<Envelope>> = (0..10u64)
        .map(|container| {
            (0..100u64)
                .map(|n| {
                    let seq = container * 100 + n;
                    let ts = (start + chrono::Duration::seconds(seq as i64)).to_rfc3339();
                    message(device, &ts, seq, 900)
                })
                .collect()
        })
        .collect();
    // Each batch as the queue hands it to the ingest worker's handler (the Lambda's code).
    let tallies = join_all(batches.iter().map(|batch| async {
        let mut event = aws_lambda_events::sqs::SqsEvent::default();
        event.records = batch
            .iter()
            .map(|envelope| {
                let mut record = aws_lambda_events::sqs::SqsMessage::default();
                record.message_id = Some(format!("{}-{}", envelope.device_id, envelope.message["seq"]));
                record.body = Some(serde_json::to_string(envelope).unwrap());
                record
            })
            .collect();
        stratum_telemetry_ingest::handle(&stratum_tests::telemetry_of(&world.sims), event).await
    }))
    .await;
    for (response, tally) in &tallies {
        assert!(response.batch_item_failures.is_empty(), "{tally:?}");
        assert_eq!(tally.stored, 100, "every message is stored: {tally:?}");
    }

    let alerts = format!("/api/organisations/{root}/alerts");
    let listed = world.call("GET", &alerts, ada.token(), None).await;
    assert_eq!(listed.status, 200, "{listed:?}");
    let items = listed.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "one open alert per device and rule: {items:?}");
    assert_eq!(items[0]["status"], "active_unacknowledged");
    assert_eq!(items[0]["severity"], "critical");
    assert_eq!(items[0]["value"], 50.0);
    let raised = alert_mails(world, &ada.email, 2).await;
    assert_eq!(raised.len(), 1, "exactly one e-mail per person for the raise");
    assert!(
        raised[0].subject.contains("Too hot") && raised[0].subject.contains("raised"),
        "{:?}",
        raised[0].subject
    );
    assert_eq!(alert_mails(world, &olga.email, 1).await.len(), 1);
    assert!(
        alert_mails(world, &vic.email, 0).await.is_empty(),
        "a viewer is not a recipient"
    );

    // Between the thresholds the alert holds; below the clear value it clears, once.
    let ingest = stratum_tests::telemetry_of(&world.sims);
    ingest
        .ingest(&message(device, "2026-03-01T08:59:50Z", 5_000, 780))
        .await
        .unwrap();
    let held = world
        .call(
            "GET",
            &format!("{alerts}?status=active_unacknowledged"),
            ada.token(),
            None,
        )
        .await;
    assert_eq!(
        held.body["items"].as_array().unwrap().len(),
        1,
        "38 °C is between 35 and 40"
    );
    ingest
        .ingest(&message(device, "2026-03-01T08:59:51Z", 5_001, 700))
        .await
        .unwrap();
    let cleared = world
        .call(
            "GET",
            &format!("{alerts}?status=cleared_unacknowledged"),
            ada.token(),
            None,
        )
        .await;
    assert_eq!(cleared.body["items"].as_array().unwrap().len(), 1, "{cleared:?}");
    assert_eq!(
        cleared.body["items"][0]["cleared_by"],
        Value::Null,
        "cleared by the device"
    );
    assert_eq!(
        alert_mails(world, &olga.email, 2).await.len(),
        2,
        "one e-mail for the clear"
    );

    // Olga turns alert e-mail off; the next raise reaches Ada only.
    let off = world
        .call("PATCH", "/api/me", olga.token(), Some(json!({ "alert_emails": false })))
        .await;
    assert_eq!(
        (off.status, off.body["alert_emails"].clone()),
        (200, json!(false)),
        "{off:?}"
    );
    ingest
        .ingest(&message(device, "2026-03-01T08:59:52Z", 5_002, 900))
        .await
        .unwrap();
    let ada_mails = alert_mails(world, &ada.email, 3).await;
    assert_eq!(ada_mails.len(), 3);
    assert!(ada_mails[1].subject.contains("cleared") && ada_mails[2].subject.contains("raised"));
    assert_eq!(alert_mails(world, &olga.email, 2).await.len(), 2, "opted out");
    let history = world
        .call("GET", &format!("{alerts}?device_id={device}"), vic.token(), None)
        .await;
    assert_eq!(
        history.body["items"].as_array().unwrap().len(),
        2,
        "the device's history, newest first"
    );
    assert_eq!(history.body["items"][0]["status"], "active_unacknowledged");
}

async fn operators_acknowledge_and_clear_alerts_and_each_caller_sees_only_the_alerts_in_reach(world: &World) {
    let admin = world.admin().await;
    let ada = world.person("ada").await;
    let olga = world.person("olga").await;
    let vic = world.person("vic").await;
    let carl = world.person("carl").await;
    let eve = world.person("eve").await;
    let root = organisation(world, &ada, "Fleet").await;
    let branch = company(world, &ada, &root, "Branch").await;
    let elsewhere = organisation(world, &eve, "Elsewhere").await;
    add(world, &ada, &root, &olga, &["operator"]).await;
    add(world, &ada, &root, &vic, &["viewer"]).await;
    add(world, &ada, &branch, &carl, &["operator"]).await;
    let ids = devices_of_root(world, &admin, &ada, &root, 2).await;
    let placed = world
        .call(
            "PATCH",
            &format!("/api/organisations/{root}/devices/{}", ids[1]),
            ada.token(),
            Some(json!({ "company_id": branch })),
        )
        .await;
    assert_eq!(placed.status, 200, "{placed:?}");
    // The first device's SIM is locked to its IMEI; a message naming another raises sim_mismatch.
    let iccid = crate::sims::iccid(4_400);
    let sims = format!("/api/organisations/{root}/sims");
    assert_eq!(
        world
            .call("POST", &sims, ada.token(), Some(json!({ "iccid": iccid })))
            .await
            .status,
        201
    );
    let bound = world
        .call(
            "PATCH",
            &format!("/api/organisations/{root}/devices/{}", ids[0]),
            ada.token(),
            Some(json!({ "sim_iccid": iccid })),
        )
        .await;
    assert_eq!(bound.status, 200, "{bound:?}");
    world
        .call(
            "POST",
            &format!("/api/organisations/{root}/alert-rules"),
            ada.token(),
            Some(hot_rule()),
        )
        .await;

    let ingest = stratum_tests::telemetry_of(&world.sims);
    let mut foreign = message(&ids[0], "2026-03-01T08:50:00Z", 1, 600);
    foreign.message.insert("imei".into(), json!("490154203237518"));
    ingest.ingest(&foreign).await.unwrap();
    ingest
        .ingest(&message(&ids[1], "2026-03-01T08:50:00Z", 1, 900))
        .await
        .unwrap();

    let alerts = format!("/api/organisations/{root}/alerts");
    let all = world.call("GET", &alerts, ada.token(), None).await;
    let kinds: Vec<&str> = all.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.len(), 2, "{all:?}");
    assert!(kinds.contains(&"sim_mismatch") && kinds.contains(&"threshold"));
    let mismatch = all.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "sim_mismatch")
        .unwrap();
    let hot = all.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "threshold")
        .unwrap();
    let (mismatch_id, hot_id) = (mismatch["id"].as_str().unwrap(), hot["id"].as_str().unwrap());
    let instant = "2026-03-01T09:00:00Z";
    let one_instant = world
        .call(
            "GET",
            &format!("{alerts}?from={instant}&to={instant}"),
            ada.token(),
            None,
        )
        .await;
    assert_eq!(one_instant.status, 200, "a range of one instant: {one_instant:?}");
    assert_eq!(
        one_instant.body["items"].as_array().unwrap().len(),
        2,
        "both raised at 09:00, `to` included"
    );
    let critical = world
        .call("GET", &format!("{alerts}?severity=critical"), ada.token(), None)
        .await;
    assert_eq!(critical.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(critical.body["items"][0]["id"], hot_id);

    // Company staff see their company's devices' alerts only; another tenant sees none.
    let branch_alerts = world
        .call(
            "GET",
            &format!("/api/organisations/{branch}/alerts"),
            carl.token(),
            None,
        )
        .await;
    let seen: Vec<&Value> = branch_alerts.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["id"])
        .collect();
    assert_eq!(seen, [&json!(hot_id)], "{branch_alerts:?}");
    let through_branch = |id: &str| format!("/api/organisations/{branch}/alerts/{id}");
    assert_eq!(
        world
            .call("GET", &through_branch(mismatch_id), carl.token(), None)
            .await
            .status,
        404
    );
    let acknowledge = |path: String, comment: &str| (path + "/acknowledge", json!({ "comment": comment }));
    let (path, body) = acknowledge(format!("/api/organisations/{elsewhere}/alerts/{hot_id}"), "mine now");
    assert_eq!(
        world.call("POST", &path, eve.token(), Some(body)).await.status,
        404,
        "another tenant's id"
    );
    let (path, body) = acknowledge(through_branch(mismatch_id), "not yours");
    assert_eq!(world.call("POST", &path, carl.token(), Some(body)).await.status, 404);

    // Operators acknowledge with a comment and clear; viewers only read.
    let (path, body) = acknowledge(format!("{alerts}/{mismatch_id}"), "checking the SIM");
    assert_eq!(
        world.call("POST", &path, vic.token(), Some(body.clone())).await.status,
        403
    );
    let acknowledged = world.call("POST", &path, olga.token(), Some(body.clone())).await;
    assert_eq!(acknowledged.status, 200, "{acknowledged:?}");
    assert_eq!(acknowledged.body["status"], "active_acknowledged");
    assert_eq!(acknowledged.body["comment"], "checking the SIM");
    assert_eq!(acknowledged.body["acknowledged_by"], json!(olga.id));
    assert_eq!(
        world.call("POST", &path, olga.token(), Some(body)).await.code(),
        "already_acknowledged"
    );
    let blank = world
        .call("POST", &path, olga.token(), Some(json!({ "comment": "\u{7}" })))
        .await;
    assert_eq!(blank.status, 422, "{blank:?}");
    let clear = format!("{alerts}/{mismatch_id}/clear");
    let cleared = world.call("POST", &clear, olga.token(), Some(json!({}))).await;
    assert_eq!(cleared.status, 200, "{cleared:?}");
    assert_eq!(cleared.body["status"], "cleared_acknowledged");
    assert_eq!(cleared.body["cleared_by"], json!(olga.id));
    assert_eq!(
        world.call("POST", &clear, olga.token(), Some(json!({}))).await.code(),
        "already_cleared"
    );
    let by_carl = world
        .call(
            "POST",
            &format!("{}/clear", through_branch(hot_id)),
            carl.token(),
            Some(json!({ "comment": "fan fixed" })),
        )
        .await;
    assert_eq!(
        (by_carl.status, by_carl.body["status"].clone()),
        (200, json!("cleared_unacknowledged"))
    );
    assert_eq!(by_carl.body["clear_comment"], "fan fixed");
    assert_eq!(by_carl.body["comment"], Value::Null, "never acknowledged");
    let mails = alert_mails(world, &ada.email, 4).await;
    assert_eq!(mails.len(), 4, "two raises and two clears, one e-mail each");

    // Cleared by hand, a breach raises a new alert once ingest's view of the device's alert
    // state is re-read: within a minute (its cache's lifetime).
    world.clock.advance(chrono::Duration::seconds(61));
    ingest
        .ingest(&message(&ids[1], "2026-03-01T08:51:00Z", 2, 900))
        .await
        .unwrap();
    let active = world
        .call(
            "GET",
            &format!("{alerts}?status=active_unacknowledged"),
            ada.token(),
            None,
        )
        .await;
    assert_eq!(active.body["items"].as_array().unwrap().len(), 1, "{active:?}");
    let again = active.body["items"][0]["id"].as_str().unwrap().to_owned();

    // A rule disabled ends its open alert with the device's next message.
    let rules = world
        .call(
            "GET",
            &format!("/api/organisations/{root}/alert-rules"),
            ada.token(),
            None,
        )
        .await;
    let rule = format!(
        "/api/organisations/{root}/alert-rules/{}",
        rules.body["items"][0]["id"].as_str().unwrap()
    );
    let disabled = world
        .call("PATCH", &rule, ada.token(), Some(json!({ "enabled": false })))
        .await;
    assert_eq!(disabled.status, 200, "{disabled:?}");
    world.clock.advance(chrono::Duration::seconds(11));
    ingest
        .ingest(&message(&ids[1], "2026-03-01T08:53:00Z", 3, 900))
        .await
        .unwrap();
    let ended = world.call("GET", &format!("{alerts}/{again}"), ada.token(), None).await;
    assert_eq!(ended.body["status"], "cleared_unacknowledged", "{ended:?}");

    // The company that held the device when the alert was raised keeps it: moved out of the
    // company, its staff still read it (SPEC §2: the earlier holder keeps what is theirs).
    let moved = world
        .call(
            "PATCH",
            &format!("/api/organisations/{root}/devices/{}", ids[1]),
            ada.token(),
            Some(json!({ "company_id": null })),
        )
        .await;
    assert_eq!(moved.status, 200, "{moved:?}");
    assert_eq!(
        world
            .call("GET", &through_branch(&again), carl.token(), None)
            .await
            .status,
        200
    );

    // A device handed to another organisation leaves its alerts with the earlier one, which
    // still reads and clears them.
    let mismatch_again = {
        let mut foreign = message(&ids[0], "2026-03-01T08:54:00Z", 4, 600);
        foreign.message.insert("imei".into(), json!("490154203237518"));
        world.clock.advance(chrono::Duration::seconds(61));
        ingest.ingest(&foreign).await.unwrap();
        let open = world
            .call(
                "GET",
                &format!("{alerts}?status=active_unacknowledged"),
                ada.token(),
                None,
            )
            .await;
        open.body["items"][0]["id"]
            .as_str()
            .expect("a sim_mismatch again")
            .to_owned()
    };
    let unbound = world
        .call(
            "PATCH",
            &format!("/api/organisations/{root}/devices/{}", ids[0]),
            ada.token(),
            Some(json!({ "sim_iccid": null })),
        )
        .await;
    assert_eq!(unbound.status, 200, "{unbound:?}");
    let handed = world
        .call(
            "PUT",
            &format!("/api/devices/{}/organisation", ids[0]),
            admin.token(),
            Some(json!({ "organisation_id": elsewhere })),
        )
        .await;
    assert_eq!(handed.status, 200, "{handed:?}");
    let (access, _) = world.login(&olga.email, PASSWORD).await;
    let cleared = world
        .call(
            "POST",
            &format!("{alerts}/{mismatch_again}/clear"),
            Some(&access),
            Some(json!({})),
        )
        .await;
    assert_eq!(cleared.status, 200, "{cleared:?}");
    assert_eq!(
        world
            .call(
                "GET",
                &format!("/api/organisations/{elsewhere}/alerts/{mismatch_again}"),
                eve.token(),
                None
            )
            .await
            .status,
        404,
        "the new organisation does not see the earlier one's alerts"
    );
}

async fn a_silent_device_goes_offline_within_its_timeout_and_a_minute_and_comes_back_with_its_next_message(
    world: &World,
) {
    let admin = world.admin().await;
    let ada = world.person("ada").await;
    let root = organisation(world, &ada, "Fleet").await;
    let ids = devices_of_root(world, &admin, &ada, &root, 2).await;
    let ingest = stratum_tests::telemetry_of(&world.sims);
    // The spec model's inactivity timeout is 900 s; the clock stands at 09:00.
    ingest
        .ingest(&message(&ids[0], "2026-03-01T09:00:00Z", 1, 600))
        .await
        .unwrap();
    let maintenance = world
        .call(
            "PATCH",
            &format!("/api/organisations/{root}/devices/{}", ids[1]),
            ada.token(),
            Some(json!({ "status": "maintenance" })),
        )
        .await;
    assert_eq!(maintenance.status, 200);
    ingest
        .ingest(&message(&ids[1], "2026-03-01T09:00:00Z", 1, 600))
        .await
        .unwrap();
    let offline = || async {
        // Minutes pass on the clock: sign in afresh each time (access tokens last 15).
        let (access, _) = world.login(&ada.email, PASSWORD).await;
        world
            .call(
                "GET",
                &format!("/api/organisations/{root}/alerts?status=active_unacknowledged"),
                Some(&access),
                None,
            )
            .await
            .body["items"]
            .as_array()
            .unwrap()
            .clone()
    };

    world.clock.advance(chrono::Duration::seconds(899));
    let sweep = ingest.sweep_silent().await.unwrap();
    assert_eq!((sweep.raised, offline().await.len()), (0, 0), "not yet silent");
    // The schedule runs every minute: the first sweep after the timeout raises it.
    world.clock.advance(chrono::Duration::seconds(60));
    let sweep = ingest.sweep_silent().await.unwrap();
    assert_eq!(sweep.raised, 1, "{sweep:?}");
    assert_eq!(sweep.parked, 1, "a device in maintenance raises nothing");
    let alerts = offline().await;
    assert_eq!(alerts.len(), 1);
    assert_eq!(
        (alerts[0]["kind"].clone(), alerts[0]["device_id"].clone()),
        (json!("offline"), json!(ids[0]))
    );
    assert!(alert_mails(world, &ada.email, 1).await[0].subject.contains("offline"));
    world.clock.advance(chrono::Duration::seconds(60));
    assert_eq!(
        ingest.sweep_silent().await.unwrap().raised,
        0,
        "raised once; the device is parked"
    );

    ingest
        .ingest(&message(&ids[0], "2026-03-01T09:17:00Z", 2, 600))
        .await
        .unwrap();
    assert!(offline().await.is_empty(), "its next message clears it");
    let (access, _) = world.login(&ada.email, PASSWORD).await;
    let history = world
        .call(
            "GET",
            &format!("/api/organisations/{root}/alerts?device_id={}", ids[0]),
            Some(&access),
            None,
        )
        .await;
    assert_eq!(history.body["items"][0]["status"], "cleared_unacknowledged");
    world.clock.advance(chrono::Duration::seconds(901));
    assert_eq!(
        ingest.sweep_silent().await.unwrap().raised,
        1,
        "silent again, offline again"
    );
}

async fn a_breach_raises_only_once_it_has_held_for_the_rules_duration(world: &World) {
    let admin = world.admin().await;
    let ada = world.person("ada").await;
    let root = organisation(world, &ada, "Fleet").await;
    let ids = devices_of_root(world, &admin, &ada, &root, 1).await;
    let mut rule = hot_rule();
    rule["duration_seconds"] = json!(120);
    let created = world
        .call(
            "POST",
            &format!("/api/organisations/{root}/alert-rules"),
            ada.token(),
            Some(rule),
        )
        .await;
    assert_eq!(created.status, 201, "{created:?}");
    let ingest = stratum_tests::telemetry_of(&world.sims);
    let active = || async {
        world
            .call(
                "GET",
                &format!("/api/organisations/{root}/alerts?status=active_unacknowledged"),
                ada.token(),
                None,
            )
            .await
            .body["items"]
            .as_array()
            .unwrap()
            .len()
    };
    for (ts, seq, raw, what) in [
        ("2026-03-01T08:50:00Z", 1, 900, "the breach begins"),
        ("2026-03-01T08:51:00Z", 2, 900, "held a minute of two"),
        ("2026-03-01T08:51:30Z", 3, 600, "it ends before the duration"),
        ("2026-03-01T08:52:00Z", 4, 900, "a new breach begins"),
        ("2026-03-01T08:53:59Z", 5, 900, "a second short of two minutes"),
    ] {
        ingest.ingest(&message(&ids[0], ts, seq, raw)).await.unwrap();
        assert_eq!(active().await, 0, "{what}");
    }
    ingest
        .ingest(&message(&ids[0], "2026-03-01T08:54:00Z", 6, 900))
        .await
        .unwrap();
    assert_eq!(
        active().await,
        1,
        "held for the rule's two minutes, by the messages' times"
    );
}
