//! Raising an alert: once per device and rule however many messages race across the threshold
//! (fed to the ingest worker's handler in concurrent batches), e-mailed once per person per
//! state change to those who want it, cleared below the clear value; and raised only once a
//! breach has held for the rule's duration.

use super::{alert_mails, hot_rule, message};
use crate::devices::devices_of_root;
use crate::organisations::{add, organisation};
use crate::world::{World, join_all};
use serde_json::{Value, json};
use stratum_shared::telemetry::Envelope;

both_entry_points!(
    a_thousand_racing_messages_across_a_threshold_raise_one_alert_and_one_mail_per_person,
    a_breach_raises_only_once_it_has_held_for_the_rules_duration,
);

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
