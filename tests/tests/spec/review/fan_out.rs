//! Issue 21, item 5: bounded fan-out. Rules are capped per organisation (platform settings,
//! racing creations included); one message raises at most ten alerts, the most severe first,
//! and tells each person about all its changes in one e-mail.

use crate::devices::devices_of_root;
use crate::organisations::{add, company, organisation};
use crate::world::{Person, World, join_all};
use serde_json::{Value, json};
use stratum_shared::telemetry::Envelope;

both_entry_points!(
    rules_past_the_organisations_cap_are_refused_even_when_created_at_once,
    rules_held_from_before_caps_were_counted_count_towards_the_cap,
    one_message_raises_at_most_ten_alerts_the_most_severe_first_and_tells_each_person_of_all_its_changes_once,
);

async fn caps(world: &World, admin: &Person, alert_rules: u32, sim_rules: u32) {
    let set = world
        .call(
            "PUT",
            "/api/platform/settings",
            admin.token(),
            Some(json!({
                "organisation_creation": "anyone", "invitation_expiry_days": 14,
                "alert_rules_per_organisation": alert_rules, "sim_rules_per_organisation": sim_rules
            })),
        )
        .await;
    assert_eq!(set.status, 200, "{set:?}");
}

fn alert_rule(name: &str, value: f64, severity: &str) -> Value {
    json!({
        "name": name, "port": 1, "condition": ">", "value": value, "severity": severity,
        "recipients": { "roles": ["owner", "operator"] }
    })
}

fn sim_rule(name: &str) -> Value {
    json!({ "name": name, "kind": "status_change", "actions": ["notify"], "recipients": { "roles": ["owner"] } })
}

async fn rules_past_the_organisations_cap_are_refused_even_when_created_at_once(world: &World) {
    let admin = world.admin().await;
    let ada = world.person("ada").await;
    caps(world, &admin, 3, 2).await;
    let root = organisation(world, &ada, "Fleet").await;
    let shop = company(world, &ada, &root, "Shop").await;
    let alert_rules = format!("/api/organisations/{root}/alert-rules");

    // Ten at once against a cap of three: three land.
    let racing = join_all((0..10).map(|n| {
        let (path, token) = (alert_rules.clone(), ada.access.clone());
        async move {
            world
                .call(
                    "POST",
                    &path,
                    Some(&token),
                    Some(alert_rule(&format!("Rule {n}"), 1.0, "minor")),
                )
                .await
        }
    }))
    .await;
    let created: Vec<&Value> = racing
        .iter()
        .filter(|reply| reply.status == 201)
        .map(|reply| &reply.body)
        .collect();
    assert_eq!(created.len(), 3, "{racing:?}");
    assert!(
        racing
            .iter()
            .filter(|reply| reply.status != 201)
            .all(|reply| (reply.status, reply.code()) == (409, "too_many_rules")),
        "{racing:?}"
    );
    let deleted = world
        .call(
            "DELETE",
            &format!("{alert_rules}/{}", created[0]["id"].as_str().unwrap()),
            ada.token(),
            None,
        )
        .await;
    assert_eq!(deleted.status, 204, "{deleted:?}");
    let again = world
        .call(
            "POST",
            &alert_rules,
            ada.token(),
            Some(alert_rule("Again", 2.0, "major")),
        )
        .await;
    assert_eq!(again.status, 201, "a deleted rule's place is free: {again:?}");

    // SIM rules: two per organisation, a company counting on its own.
    for organisation in [&root, &shop] {
        let path = format!("/api/organisations/{organisation}/sim-rules");
        for n in 0..2 {
            let made = world
                .call("POST", &path, ada.token(), Some(sim_rule(&format!("Watch {n}"))))
                .await;
            assert_eq!(made.status, 201, "{made:?}");
        }
        let third = world
            .call("POST", &path, ada.token(), Some(sim_rule("One too many")))
            .await;
        assert_eq!((third.status, third.code()), (409, "too_many_rules"), "{third:?}");
    }
}

async fn rules_held_from_before_caps_were_counted_count_towards_the_cap(world: &World) {
    let admin = world.admin().await;
    let ada = world.person("ada").await;
    caps(world, &admin, 3, 2).await;
    let root = organisation(world, &ada, "Fleet").await;
    let alert_rules = format!("/api/organisations/{root}/alert-rules");
    let mut made = Vec::new();
    for n in 0..3 {
        let rule = world
            .call(
                "POST",
                &alert_rules,
                ada.token(),
                Some(alert_rule(&format!("Rule {n}"), 1.0, "minor")),
            )
            .await;
        assert_eq!(rule.status, 201, "{rule:?}");
        made.push(rule.body["id"].as_str().unwrap().to_owned());
    }
    // As an organisation holding rules from before the counter existed.
    let root_id = stratum_shared::ids::OrganisationId::parse(&root, "root").unwrap();
    world
        .sims
        .store
        .delete(&stratum_shared::keys::held_count(root_id, "alert_rules"), None)
        .await
        .unwrap();

    let deleted = world
        .call("DELETE", &format!("{alert_rules}/{}", made[0]), ada.token(), None)
        .await;
    assert_eq!(deleted.status, 204, "a deletion counts from what is held: {deleted:?}");
    let again = world
        .call(
            "POST",
            &alert_rules,
            ada.token(),
            Some(alert_rule("Again", 1.0, "minor")),
        )
        .await;
    assert_eq!(again.status, 201, "{again:?}");
    let past = world
        .call(
            "POST",
            &alert_rules,
            ada.token(),
            Some(alert_rule("Past", 1.0, "minor")),
        )
        .await;
    assert_eq!(
        (past.status, past.code()),
        (409, "too_many_rules"),
        "the three held count: {past:?}"
    );
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

/// The alert e-mails sent to `to`, waiting up to 10 s for `at_least`.
async fn alert_mails(world: &World, to: &str, at_least: usize) -> Vec<crate::world::Mail> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let mails: Vec<crate::world::Mail> = world
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

async fn one_message_raises_at_most_ten_alerts_the_most_severe_first_and_tells_each_person_of_all_its_changes_once(
    world: &World,
) {
    let admin = world.admin().await;
    let ada = world.person("ada").await;
    let olga = world.person("olga").await;
    let root = organisation(world, &ada, "Fleet").await;
    add(world, &ada, &root, &olga, &["operator"]).await;
    let device = devices_of_root(world, &admin, &ada, &root, 1).await.remove(0);
    let rules = format!("/api/organisations/{root}/alert-rules");
    // Twenty rules the same reading trips: five critical among fifteen minor.
    for n in 0..20 {
        let severity = if n % 4 == 0 { "critical" } else { "minor" };
        let made = world
            .call(
                "POST",
                &rules,
                ada.token(),
                Some(alert_rule(&format!("Rule {n}"), f64::from(n), severity)),
            )
            .await;
        assert_eq!(made.status, 201, "{made:?}");
    }
    let ingest = stratum_tests::telemetry_of(&world.sims);
    // Port 1 of the spec model reads raw × 0.1 − 40: 1,000 is 60, over every rule.
    ingest
        .ingest(&message(&device, "2026-03-01T08:59:00Z", 1, 1_000))
        .await
        .unwrap();

    let alerts = format!("/api/organisations/{root}/alerts?limit=200");
    let raised = world.call("GET", &alerts, ada.token(), None).await;
    let items = raised.body["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 10, "ten of twenty: {raised:?}");
    assert_eq!(
        items.iter().filter(|alert| alert["severity"] == "critical").count(),
        5,
        "the most severe first"
    );
    let expected = format!(
        "[critical] 10 alerts on “{}”",
        name_of(world, &ada, &root, &device).await
    );
    for person in [&ada, &olga] {
        let mails = alert_mails(world, &person.email, 1).await;
        assert_eq!(mails.len(), 1, "one e-mail about the message's ten alerts");
        assert_eq!(mails[0].subject, expected);
    }

    // The device's next message raises the rest.
    ingest
        .ingest(&message(&device, "2026-03-01T08:59:10Z", 2, 1_000))
        .await
        .unwrap();
    let all = world.call("GET", &alerts, ada.token(), None).await;
    assert_eq!(all.body["items"].as_array().unwrap().len(), 20);
    assert_eq!(alert_mails(world, &ada.email, 2).await.len(), 2);

    // A cool reading clears all twenty, more than one transaction holds beside its e-mails:
    // still one e-mail per person, about all twenty.
    ingest
        .ingest(&message(&device, "2026-03-01T08:59:20Z", 3, 0))
        .await
        .unwrap();
    let listed = world.call("GET", &alerts, ada.token(), None).await;
    let still_active = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|alert| alert["status"].as_str().unwrap().starts_with("active"))
        .count();
    assert_eq!(still_active, 0, "{listed:?}");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let mails = alert_mails(world, &ada.email, 3).await;
    assert_eq!(mails.len(), 3, "one e-mail about the twenty");
    assert!(mails[2].subject.contains("20 alerts"), "{}", mails[2].subject);
}

/// How alert e-mails name `device`: its name, or its id.
async fn name_of(world: &World, owner: &Person, root: &str, device: &str) -> String {
    let read = world
        .call(
            "GET",
            &format!("/api/organisations/{root}/devices/{device}"),
            owner.token(),
            None,
        )
        .await;
    read.body["name"]
        .as_str()
        .map_or_else(|| device.to_owned(), str::to_owned)
}
