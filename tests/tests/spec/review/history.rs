//! Issue 21, item 3: history stays with whom it was recorded for. Points, latest values,
//! commands, maintenance, alerts and SIM usage carry the company and end user the device (or
//! SIM) was with when they were written: its next end user, or the company it moves to, sees
//! nothing from before; the earlier company still reads and handles its alerts, and one alert
//! read by id agrees with the list.

use crate::devices::devices_of_root;
use crate::organisations::{add, company, organisation};
use crate::sims::{add_sim, iccid, sims_path};
use crate::world::{Person, World};
use serde_json::{Value, json};
use stratum_shared::telemetry::Envelope;

both_entry_points!(
    a_devices_next_holders_see_nothing_from_before_and_the_earlier_company_keeps_its_alerts,
    a_sims_usage_stays_with_the_company_it_was_used_in,
    a_message_right_after_a_move_is_recorded_for_the_new_holder,
);

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

async fn get(world: &World, who: &Person, path: &str) -> Value {
    let reply = world.call("GET", path, who.token(), None).await;
    assert_eq!(reply.status, 200, "{path}: {reply:?}");
    reply.body
}

fn count(body: &Value) -> usize {
    body["items"].as_array().map_or(0, Vec::len)
}

async fn place(world: &World, owner: &Person, root: &str, device: &str, placement: Value) {
    let placed = world
        .call(
            "PATCH",
            &format!("/api/organisations/{root}/devices/{device}"),
            owner.token(),
            Some(placement),
        )
        .await;
    assert_eq!(placed.status, 200, "{placed:?}");
}

async fn a_devices_next_holders_see_nothing_from_before_and_the_earlier_company_keeps_its_alerts(world: &World) {
    let admin = world.admin().await;
    let ada = world.person("ada").await;
    let carl = world.person("carl").await;
    let dora = world.person("dora").await;
    let eve = world.person("eve").await;
    let finn = world.person("finn").await;
    let root = organisation(world, &ada, "Fleet").await;
    let shop = company(world, &ada, &root, "Shop").await;
    let depot = company(world, &ada, &root, "Depot").await;
    add(world, &ada, &shop, &carl, &["owner"]).await;
    add(world, &ada, &depot, &dora, &["owner"]).await;
    add(world, &ada, &shop, &eve, &["member"]).await;
    add(world, &ada, &shop, &finn, &["member"]).await;
    let device = devices_of_root(world, &admin, &ada, &root, 1).await.remove(0);
    let rule = json!({ "name": "Too hot", "port": 1, "condition": ">", "value": 40, "severity": "major", "recipients": { "roles": ["owner"] } });
    assert_eq!(
        world
            .call(
                "POST",
                &format!("/api/organisations/{root}/alert-rules"),
                ada.token(),
                Some(rule)
            )
            .await
            .status,
        201
    );
    let at = |org: &str, what: &str| format!("/api/organisations/{org}/devices/{device}/{what}");
    let telemetry = |org: &str| {
        format!(
            "{}?from=2026-03-01T00:00:00Z&to=2026-03-01T10:00:00Z",
            at(org, "telemetry")
        )
    };

    // With Eve, in the Shop: a hot reading (an alert), a command and a maintenance entry.
    place(
        world,
        &ada,
        &root,
        &device,
        json!({ "company_id": shop, "end_user_id": eve.id }),
    )
    .await;
    stratum_tests::telemetry_of(&world.sims)
        .ingest(&message(&device, "2026-03-01T08:50:00Z", 1, 900))
        .await
        .unwrap();
    let sent = world
        .call(
            "POST",
            &at(&shop, "commands"),
            carl.token(),
            Some(json!({ "name": "reboot" })),
        )
        .await;
    assert_eq!(sent.status, 201, "{sent:?}");
    let noted = world
        .call(
            "POST",
            &at(&shop, "maintenance"),
            carl.token(),
            Some(json!({ "description": "New filter" })),
        )
        .await;
    assert_eq!(noted.status, 201, "{noted:?}");
    assert_eq!(
        count(&get(world, &eve, &telemetry(&shop)).await),
        1,
        "Eve reads her readings"
    );

    // Handed to Finn: he sees nothing of Eve's time.
    place(world, &ada, &root, &device, json!({ "end_user_id": finn.id })).await;
    assert_eq!(
        count(&get(world, &finn, &telemetry(&shop)).await),
        0,
        "Finn: none of Eve's readings"
    );
    assert_eq!(get(world, &finn, &at(&shop, "latest")).await["last_seen"], Value::Null);
    let alerts_as_finn = get(world, &finn, &format!("/api/organisations/{shop}/alerts")).await;
    assert_eq!(count(&alerts_as_finn), 0, "nor her alerts");

    // Moved to the Depot: its staff see nothing from the Shop's time.
    place(world, &ada, &root, &device, json!({ "company_id": depot })).await;
    assert_eq!(count(&get(world, &dora, &telemetry(&depot)).await), 0);
    assert_eq!(get(world, &dora, &at(&depot, "latest")).await["last_seen"], Value::Null);
    assert_eq!(count(&get(world, &dora, &at(&depot, "commands")).await), 0);
    assert_eq!(count(&get(world, &dora, &at(&depot, "maintenance")).await), 0);
    let depot_alerts = get(world, &dora, &format!("/api/organisations/{depot}/alerts")).await;
    assert_eq!(count(&depot_alerts), 0, "{depot_alerts}");

    // The Shop still reads and handles its alert, by id as in its list.
    let shop_alerts = get(world, &carl, &format!("/api/organisations/{shop}/alerts")).await;
    assert_eq!(count(&shop_alerts), 1, "{shop_alerts}");
    let alert = shop_alerts["items"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        get(world, &carl, &format!("/api/organisations/{shop}/alerts/{alert}")).await["id"],
        alert.as_str()
    );
    let by_depot = world
        .call(
            "GET",
            &format!("/api/organisations/{depot}/alerts/{alert}"),
            dora.token(),
            None,
        )
        .await;
    assert_eq!(by_depot.status, 404, "not the Depot's: {by_depot:?}");
    let cleared = world
        .call(
            "POST",
            &format!("/api/organisations/{shop}/alerts/{alert}/clear"),
            carl.token(),
            Some(json!({ "comment": "the device left us" })),
        )
        .await;
    assert_eq!(cleared.status, 200, "{cleared:?}");

    // The Depot's own readings are its own; the root's staff read every time's.
    stratum_tests::telemetry_of(&world.sims)
        .ingest(&message(&device, "2026-03-01T08:55:00Z", 2, 300))
        .await
        .unwrap();
    assert_eq!(count(&get(world, &dora, &telemetry(&depot)).await), 1);
    assert_eq!(count(&get(world, &ada, &telemetry(&root)).await), 2);
    assert_eq!(count(&get(world, &ada, &at(&root, "commands")).await), 1);
}

async fn a_message_right_after_a_move_is_recorded_for_the_new_holder(world: &World) {
    let admin = world.admin().await;
    let ada = world.person("ada").await;
    let eve = world.person("eve").await;
    let finn = world.person("finn").await;
    let root = organisation(world, &ada, "Fleet").await;
    let shop = company(world, &ada, &root, "Shop").await;
    add(world, &ada, &shop, &eve, &["member"]).await;
    add(world, &ada, &shop, &finn, &["member"]).await;
    let device = devices_of_root(world, &admin, &ada, &root, 1).await.remove(0);
    let readings = format!(
        "/api/organisations/{shop}/devices/{device}/telemetry?from=2026-03-01T00:00:00Z&to=2026-03-01T10:00:00Z"
    );
    // One ingest worker (one cache) throughout, as a warm Lambda or the local server is.
    let telemetry = stratum_tests::telemetry_of(&world.sims);
    place(
        world,
        &ada,
        &root,
        &device,
        json!({ "company_id": shop, "end_user_id": eve.id }),
    )
    .await;
    telemetry
        .ingest(&message(&device, "2026-03-01T08:50:00Z", 1, 100))
        .await
        .unwrap();

    // Handed to Finn, and the device reports within the same second.
    place(world, &ada, &root, &device, json!({ "end_user_id": finn.id })).await;
    telemetry
        .ingest(&message(&device, "2026-03-01T08:51:00Z", 2, 200))
        .await
        .unwrap();
    let finns = get(world, &finn, &readings).await;
    assert_eq!(count(&finns), 1, "the reading right after the move is Finn's: {finns}");
    assert_eq!(finns["items"][0]["seq"], 2, "{finns}");
    assert_eq!(count(&get(world, &ada, &readings).await), 2, "the root reads both");
    assert_eq!(
        get(
            world,
            &finn,
            &format!("/api/organisations/{shop}/devices/{device}/latest")
        )
        .await["last_seen"],
        "2026-03-01T08:51:00.000Z"
    );
}

async fn a_sims_usage_stays_with_the_company_it_was_used_in(world: &World) {
    let ada = world.person("ada").await;
    let carl = world.person("carl").await;
    let dora = world.person("dora").await;
    let root = organisation(world, &ada, "Fleet").await;
    let shop = company(world, &ada, &root, "Shop").await;
    let depot = company(world, &ada, &root, "Depot").await;
    add(world, &ada, &shop, &carl, &["owner"]).await;
    add(world, &ada, &depot, &dora, &["owner"]).await;
    let number = iccid(uuid::Uuid::new_v4().as_u128() as u64 % 1_000_000_000);
    assert_eq!(
        add_sim(world, &ada, &root, json!({ "iccid": number })).await.status,
        201
    );
    let assign = |company: &str| {
        let path = format!("{}/{number}/assignment", sims_path(&root));
        let body = json!({ "company_id": company });
        let token = ada.access.clone();
        async move { world.call("PUT", &path, Some(&token), Some(body)).await.status }
    };
    let record = |id: &str| {
        let path = format!("{}/{number}/usage", sims_path(&root));
        let body = json!({ "record_id": id, "data_bytes": 1_000, "sms": 1, "voice_seconds": 0, "from": "2026-03-01T00:00:00Z", "to": "2026-03-01T01:00:00Z" });
        let token = ada.access.clone();
        async move { world.call("POST", &path, Some(&token), Some(body)).await.status }
    };
    assert_eq!(assign(&shop).await, 200);
    assert_eq!(record("shop-1").await, 201);
    assert_eq!(assign(&depot).await, 200);
    assert_eq!(record("depot-1").await, 201);

    let usage = |org: &str| format!("{}/{number}/usage", sims_path(org));
    let depots = get(world, &dora, &usage(&depot)).await;
    assert_eq!(count(&depots), 1, "{depots}");
    assert_eq!(depots["items"][0]["company_id"], depot.as_str());
    assert_eq!(depots["items"][0]["data_bytes"], 1_000, "the Depot's own use only");
    let roots = get(world, &ada, &usage(&root)).await;
    assert_eq!(count(&roots), 2, "the root reads both holders' totals: {roots}");
    let shops = world.call("GET", &usage(&shop), carl.token(), None).await;
    assert_eq!(shops.status, 404, "the SIM is not the Shop's any more: {shops:?}");
}
