//! `offline` alerts: a silent device goes offline within its inactivity timeout and a minute
//! (a device in maintenance stays parked), raised once, and comes back with its next message.

use super::{alert_mails, message};
use crate::devices::devices_of_root;
use crate::organisations::organisation;
use crate::world::{PASSWORD, World};
use serde_json::json;

both_entry_points!(a_silent_device_goes_offline_within_its_timeout_and_a_minute_and_comes_back_with_its_next_message);

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
