//! Handling alerts: operators acknowledge and clear them, viewers read; each caller sees only
//! the alerts in reach (a company's staff their company's, another tenant none); a disabled
//! rule ends its alert; and the organisation or company that held a device when an alert was
//! raised keeps it.

use super::{alert_mails, hot_rule, message};
use crate::devices::devices_of_root;
use crate::organisations::{add, company, organisation};
use crate::world::{PASSWORD, World};
use serde_json::{Value, json};

both_entry_points!(operators_acknowledge_and_clear_alerts_and_each_caller_sees_only_the_alerts_in_reach);

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
