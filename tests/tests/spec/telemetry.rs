//! Telemetry (issue 14, first part): messages ingested through the ingest use case on each
//! entry point's store, read back through the API — latest values, points, aggregates.

use crate::devices::devices_of_root;
use crate::organisations::{add, company, organisation};
use crate::world::World;
use serde_json::{Value, json};
use stratum_shared::telemetry::{Envelope, Outcome, Refusal, Telemetry};

both_entry_points!(
    messages_are_stored_once_calibrated_and_never_let_an_older_one_overwrite_the_latest,
    only_the_device_itself_and_only_a_device_in_service_is_heard,
    an_organisations_retention_says_how_long_its_points_are_kept,
);

fn telemetry(world: &World) -> Telemetry {
    stratum_tests::telemetry_of(&world.sims)
}

fn envelope(device: &str, client: &str, message: Value) -> Envelope {
    Envelope {
        device_id: device.to_owned(),
        client_id: client.to_owned(),
        received_at: None,
        message: message.as_object().unwrap().clone(),
    }
}

async fn messages_are_stored_once_calibrated_and_never_let_an_older_one_overwrite_the_latest(world: &World) {
    let admin = world.admin().await;
    let ada = world.person("ada").await;
    let rider = world.person("rider").await;
    let root = organisation(world, &ada, "Fleet").await;
    let branch = company(world, &ada, &root, "Branch").await;
    add(world, &ada, &branch, &rider, &["member"]).await;
    let ids = devices_of_root(world, &admin, &ada, &root, 2).await;
    let ingest = telemetry(world);
    // Port 1: analog, scale 0.1, offset −40 (the model of the device specs); port 2: digital.
    let message = |ts: &str, seq: u64, raw: u64| {
        envelope(
            &ids[0],
            &ids[0],
            json!({ "ts": ts, "seq": seq, "values": { "1": raw, "2": 1, "9": 5 } }),
        )
    };
    let newer = ingest.ingest(&message("2026-03-01T08:30:00Z", 2, 650)).await.unwrap();
    assert!(
        matches!(
            newer,
            Outcome::Stored {
                sim_mismatch: false,
                ..
            }
        ),
        "{newer:?}"
    );
    assert_eq!(
        ingest.ingest(&message("2026-03-01T08:30:00Z", 2, 650)).await.unwrap(),
        Outcome::Repeated,
        "a message delivered twice is stored once"
    );
    let late = ingest.ingest(&message("2026-03-01T08:00:00Z", 1, 600)).await.unwrap();
    assert!(
        matches!(late, Outcome::Stored { .. }),
        "a late message is still a point"
    );

    let device = format!("/api/organisations/{root}/devices/{}", ids[0]);
    let latest = world.call("GET", &format!("{device}/latest"), ada.token(), None).await;
    assert_eq!(latest.status, 200, "{latest:?}");
    assert_eq!(
        latest.body["last_seen"], "2026-03-01T08:30:00.000Z",
        "the late message changes nothing"
    );
    assert_eq!(
        latest.body["values"]["1"],
        json!({ "value": 25.0, "ts": "2026-03-01T08:30:00.000Z" })
    );
    assert_eq!(
        latest.body["values"]["2"]["value"], true,
        "a digital port reads as a boolean"
    );
    assert!(
        latest.body["values"].get("9").is_none(),
        "a port the model lacks is dropped"
    );
    // A device whose clock ticks in seconds: the same instant, a later sequence number, is newer.
    let same_second = ingest.ingest(&message("2026-03-01T08:30:00Z", 3, 660)).await.unwrap();
    assert!(matches!(same_second, Outcome::Stored { .. }), "{same_second:?}");
    let latest = world.call("GET", &format!("{device}/latest"), ada.token(), None).await;
    assert_eq!(latest.body["values"]["1"]["value"], 26.0, "{latest:?}");

    let points = world
        .call(
            "GET",
            &format!("{device}/telemetry?from=2026-03-01T00:00:00Z&to=2026-03-01T09:00:00Z&ports=1"),
            ada.token(),
            None,
        )
        .await;
    assert_eq!(points.status, 200, "{points:?}");
    let series: Vec<(&Value, &Value)> = points.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (&p["ts"], &p["values"]["1"]))
        .collect();
    assert_eq!(
        series,
        [
            (&json!("2026-03-01T08:00:00.000Z"), &json!(20.0)),
            (&json!("2026-03-01T08:30:00.000Z"), &json!(25.0)),
            (&json!("2026-03-01T08:30:00.000Z"), &json!(26.0))
        ],
        "oldest first, calibrated, only the ports asked for"
    );
    let newest_first = world
        .call(
            "GET",
            &format!("{device}/telemetry?from=2026-03-01T00:00:00Z&order=desc&limit=1"),
            ada.token(),
            None,
        )
        .await;
    assert_eq!(newest_first.body["items"][0]["seq"], 3);
    assert!(newest_first.body["next_cursor"].is_string());

    let hourly = world
        .call(
            "GET",
            &format!("{device}/telemetry/aggregate?from=2026-03-01T00:00:00Z&to=2026-03-01T09:00:00Z&interval=3600"),
            ada.token(),
            None,
        )
        .await;
    assert_eq!(hourly.status, 200, "{hourly:?}");
    assert_eq!(hourly.body["buckets"][0]["start"], "2026-03-01T08:00:00.000Z");
    assert_eq!(
        hourly.body["buckets"][0]["ports"]["1"],
        json!({ "min": 20.0, "max": 26.0, "avg": 23.666666666666668, "count": 3 })
    );
    let backwards = world
        .call(
            "GET",
            &format!("{device}/telemetry?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z"),
            ada.token(),
            None,
        )
        .await;
    assert_eq!(backwards.field_errors()[0].1, "after_to");
    assert_eq!(
        world
            .call("GET", &format!("{device}/latest"), rider.token(), None)
            .await
            .status,
        404,
        "an end user reads only the devices assigned to them"
    );
    let pre_1970 = world
        .call(
            "GET",
            &format!("{device}/telemetry?from=1969-12-31T00:00:00Z&to=1969-12-31T01:00:00Z"),
            ada.token(),
            None,
        )
        .await;
    assert_eq!(
        (pre_1970.status, pre_1970.field_errors()[0].1.as_str()),
        (422, "out_of_range")
    );

    // Handed to another organisation, the device starts afresh there.
    let eve = world.person("eve").await;
    let elsewhere = organisation(world, &eve, "Elsewhere").await;
    let handed = world
        .call(
            "PUT",
            &format!("/api/devices/{}/organisation", ids[0]),
            admin.token(),
            Some(json!({ "organisation_id": elsewhere })),
        )
        .await;
    assert_eq!(handed.status, 200, "{handed:?}");
    let theirs = format!("/api/organisations/{elsewhere}/devices/{}", ids[0]);
    assert_eq!(
        world
            .call("GET", &format!("{theirs}/latest"), eve.token(), None)
            .await
            .body["last_seen"],
        Value::Null,
        "what it reported to its previous organisation stays there"
    );
    assert_eq!(
        world
            .call(
                "GET",
                &format!("{theirs}/telemetry?from=2026-03-01T00:00:00Z"),
                eve.token(),
                None
            )
            .await
            .body["items"],
        json!([])
    );
}

async fn only_the_device_itself_and_only_a_device_in_service_is_heard(world: &World) {
    let admin = world.admin().await;
    let ada = world.person("ada").await;
    let root = organisation(world, &ada, "Fleet").await;
    let ids = devices_of_root(world, &admin, &ada, &root, 2).await;
    let ingest = telemetry(world);
    let message = json!({ "ts": "2026-03-01T08:30:00Z", "seq": 1, "values": { "1": 650 } });
    let outcome = |device: &str, client: &str, message: Value| {
        let (ingest, envelope) = (ingest.clone(), envelope(device, client, message));
        async move { ingest.ingest(&envelope).await.unwrap() }
    };
    assert_eq!(
        outcome(&ids[0], &ids[1], message.clone()).await,
        Outcome::Refused(Refusal::Impersonation),
        "a device publishing under another device's topic gets nothing"
    );
    assert_eq!(
        outcome(&uuid::Uuid::new_v4().to_string(), "x", message.clone()).await,
        Outcome::Refused(Refusal::Impersonation)
    );
    let stranger = uuid::Uuid::new_v4().to_string();
    assert_eq!(
        outcome(&stranger, &stranger, message.clone()).await,
        Outcome::Refused(Refusal::UnknownDevice)
    );
    assert_eq!(
        outcome(&ids[0], &ids[0], json!({ "seq": 1, "values": {} })).await,
        Outcome::Refused(Refusal::Malformed)
    );
    assert_eq!(
        outcome(
            &ids[0],
            &ids[0],
            json!({ "ts": "2025-11-01T00:00:00Z", "seq": 1, "values": {} })
        )
        .await,
        Outcome::Refused(Refusal::Stale),
        "older than points are kept"
    );
    let retired = world
        .call(
            "PATCH",
            &format!("/api/organisations/{root}/devices/{}", ids[1]),
            ada.token(),
            Some(json!({ "status": "decommissioned" })),
        )
        .await;
    assert_eq!(retired.status, 200);
    assert_eq!(
        outcome(&ids[1], &ids[1], message.clone()).await,
        Outcome::Refused(Refusal::Decommissioned)
    );
    let latest = world
        .call(
            "GET",
            &format!("/api/organisations/{root}/devices/{}/latest", ids[0]),
            ada.token(),
            None,
        )
        .await;
    assert_eq!(
        latest.body,
        json!({ "last_seen": null, "values": {}, "position": null }),
        "nothing stored"
    );
}

async fn an_organisations_retention_says_how_long_its_points_are_kept(world: &World) {
    let admin = world.admin().await;
    let ada = world.person("ada").await;
    let root = organisation(world, &ada, "Fleet").await;
    let ids = devices_of_root(world, &admin, &ada, &root, 1).await;
    let settings = format!("/api/organisations/{root}");
    let refused = world
        .call(
            "PATCH",
            &settings,
            ada.token(),
            Some(json!({ "telemetry_retention_days": 0 })),
        )
        .await;
    assert_eq!(
        refused.field_errors(),
        [("telemetry_retention_days".to_owned(), "out_of_range".to_owned())]
    );
    let set = world
        .call(
            "PATCH",
            &settings,
            ada.token(),
            Some(json!({ "telemetry_retention_days": 7 })),
        )
        .await;
    assert_eq!(
        (set.status, set.body["telemetry_retention_days"].clone()),
        (200, json!(7)),
        "{set:?}"
    );
    let branch = company(world, &ada, &root, "Branch").await;
    let for_company = world
        .call(
            "PATCH",
            &format!("/api/organisations/{branch}"),
            ada.token(),
            Some(json!({ "telemetry_retention_days": 30 })),
        )
        .await;
    assert_eq!(
        for_company.field_errors(),
        [("telemetry_retention_days".to_owned(), "not_permitted".to_owned())],
        "a company's devices keep their telemetry as the root says"
    );

    let ingest = telemetry(world);
    let message = |ts: &str, seq: u64| {
        envelope(
            &ids[0],
            &ids[0],
            json!({ "ts": ts, "seq": seq, "values": { "1": 650 } }),
        )
    };
    assert_eq!(
        ingest.ingest(&message("2026-02-21T09:00:00Z", 1)).await.unwrap(),
        Outcome::Refused(Refusal::Stale),
        "eight days old: past a week's retention"
    );
    assert!(matches!(
        ingest.ingest(&message("2026-02-23T09:00:00Z", 2)).await.unwrap(),
        Outcome::Stored { .. }
    ));
    let organisation = stratum_shared::ids::OrganisationId::parse(&root, "id").unwrap();
    let device = stratum_shared::ids::DeviceId::parse(&ids[0], "id").unwrap();
    let taken = chrono::DateTime::parse_from_rfc3339("2026-02-23T09:00:00Z")
        .unwrap()
        .timestamp();
    let point = world
        .identity
        .store
        .get(&stratum_shared::keys::telemetry_point(
            organisation,
            device,
            taken * 1000,
            2,
        ))
        .await
        .unwrap()
        .expect("the point is stored");
    assert_eq!(
        point.expires_at,
        Some(taken + 7 * 86_400),
        "kept for the organisation's week"
    );
}
