//! Device imports: every row reported, devices handed over, a second import changing nothing;
//! and issue 13's story of ten thousand devices pre-registered and one bound, provisioned and
//! mapped.

use super::{imei14, model};
use crate::organisations::{company, organisation};
use crate::world::World;
use serde_json::{Value, json};
use std::time::Duration;

both_entry_points!(
    a_device_import_reports_every_row_hands_devices_over_and_a_second_import_changes_nothing,
    story_an_admin_pre_registers_ten_thousand_devices_and_an_owner_binds_provisions_and_maps_one,
);

async fn a_device_import_reports_every_row_hands_devices_over_and_a_second_import_changes_nothing(world: &World) {
    let admin = world.admin().await;
    let ada = world.person("ada").await;
    let root = organisation(world, &ada, "Fleet").await;
    let branch = company(world, &ada, &root, "Branch").await;
    let model_id = world
        .call("POST", "/api/device-models", admin.token(), Some(model("T-1")))
        .await
        .body["id"]
        .clone();
    let base = 35_000_000_000_000 + (uuid::Uuid::new_v4().as_u128() % 1_000_000_000) as u64 * 10_000;
    let rows = 1_200u64;
    let mut devices: Vec<Value> = (0..rows)
        .map(|n| json!({ "imei": imei14(base, n), "model_id": model_id, "organisation_id": root }))
        .collect();
    devices[10] = json!({ "imei": "not an imei", "model_id": model_id });
    devices[11] = json!({ "imei": imei14(base, 11), "model_id": uuid::Uuid::new_v4() });
    devices[12] = json!({ "imei": imei14(base, 12), "model_id": model_id, "organisation_id": branch });
    devices[13] = devices[0].clone();
    devices[14] = json!({ "imei": imei14(base, 14), "model_id": model_id, "colour": "red" });
    // The same IMEI in another chunk of the file.
    devices[1_100] = devices[5].clone();

    assert_eq!(
        world
            .call(
                "POST",
                "/api/devices/imports",
                ada.token(),
                Some(json!({ "devices": devices[..2] }))
            )
            .await
            .status,
        404,
        "only platform admins import devices"
    );
    let queued = world
        .call(
            "POST",
            "/api/devices/imports",
            admin.token(),
            Some(json!({ "devices": devices })),
        )
        .await;
    assert_eq!(queued.status, 202, "{queued:?}");
    let location = queued.headers["location"].clone();
    assert_eq!(
        location,
        format!("/api/devices/imports/{}", queued.body["id"].as_str().unwrap())
    );
    let done = world
        .finished_job(&location, "?limit=20", admin.token(), Duration::from_secs(60))
        .await;
    assert_eq!(
        done.body["counts"],
        json!({ "created": rows - 6, "changed": 0, "unchanged": 0, "error": 6 }),
        "{done:?}"
    );
    let later = world
        .call(
            "GET",
            &format!(
                "{location}?limit=200&cursor={}",
                done.body["next_cursor"].as_str().unwrap()
            ),
            admin.token(),
            None,
        )
        .await;
    let mut report = later;
    while report.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|row| row["row"] != 1_101)
    {
        let next = report.body["next_cursor"]
            .as_str()
            .expect("row 1,101 is reported")
            .to_owned();
        report = world
            .call(
                "GET",
                &format!("{location}?limit=200&cursor={next}"),
                admin.token(),
                None,
            )
            .await;
    }
    let row = report.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["row"] == 1_101)
        .unwrap()
        .clone();
    assert_eq!(
        row["code"], "duplicate_in_file",
        "a repeat in another chunk is found too"
    );
    let codes: Vec<(u64, Value)> = done.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| (row["row"].as_u64().unwrap(), row["code"].clone()))
        .filter(|(_, code)| !code.is_null())
        .collect();
    assert_eq!(
        codes,
        [
            (11, json!("invalid_imei")),
            (12, json!("unknown_model")),
            (13, json!("not_a_root_organisation")),
            (14, json!("duplicate_in_file")),
            (15, json!("invalid_row")),
        ]
    );

    // Again, as CSV, the first rows: registered already, handed over already — unchanged.
    let mut csv = String::from("IMEI,model_id,organisation_id\r\n");
    for n in 0..10 {
        csv.push_str(&format!("{},{model_id},{root}\r\n", imei14(base, n)).replace('"', ""));
    }
    // The device refused for naming a company: registered now, and kept by the platform.
    csv.push_str(&format!("{},{model_id},\r\n", imei14(base, 12)).replace('"', ""));
    let again = world
        .call_raw("POST", "/api/devices/imports", admin.token(), "text/csv", &csv)
        .await;
    assert_eq!(again.status, 200, "{again:?}");
    assert_eq!(again.body["state"], "completed");
    assert_eq!(
        again.body["counts"],
        json!({ "created": 1, "changed": 0, "unchanged": 10, "error": 0 })
    );
    assert_eq!(
        again.body["items"][0]["imei"].as_str().unwrap().len(),
        15,
        "the check digit completed"
    );

    // Handing the platform's device over in a later import changes it.
    let handed = world
        .call(
            "POST",
            "/api/devices/imports",
            admin.token(),
            Some(json!({ "devices": [{ "imei": imei14(base, 12), "model_id": model_id, "organisation_id": root }] })),
        )
        .await;
    assert_eq!(handed.body["counts"]["changed"], 1, "{handed:?}");

    let mut seen = 0;
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(cursor) => format!("/api/organisations/{root}/devices?limit=200&cursor={cursor}"),
            None => format!("/api/organisations/{root}/devices?limit=200"),
        };
        let page = world.call("GET", &path, ada.token(), None).await;
        seen += page.body["items"].as_array().unwrap().len() as u64;
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(
        seen,
        rows - 5,
        "the organisation's owner sees every device handed to it"
    );
}

/// Issue 13's "done when": a platform admin defines a model, pre-registers 10,000 IMEIs and
/// hands them to an organisation; its owner binds a SIM, provisions credentials (IoT Core on
/// the Lambda path, the broker's login locally) and sees the device on the map.
async fn story_an_admin_pre_registers_ten_thousand_devices_and_an_owner_binds_provisions_and_maps_one(world: &World) {
    let admin = world.admin().await;
    let owner = world.person("owner").await;
    let root = organisation(world, &owner, "Cold Chain").await;
    let model_id = world
        .call("POST", "/api/device-models", admin.token(), Some(model("Reefer")))
        .await
        .body["id"]
        .clone();
    let base = 35_000_000_000_000 + (uuid::Uuid::new_v4().as_u128() % 100_000_000) as u64 * 100_000;
    let mut csv = String::from("imei,model_id,organisation_id\n");
    for n in 0..10_000 {
        csv.push_str(&format!("{},{},{root}\n", imei14(base, n), model_id.as_str().unwrap()));
    }
    let queued = world
        .call_raw("POST", "/api/devices/imports", admin.token(), "text/csv", &csv)
        .await;
    assert_eq!(queued.status, 202, "{queued:?}");
    let done = world
        .finished_job(&queued.headers["location"], "", admin.token(), Duration::from_secs(600))
        .await;
    assert_eq!(
        done.body["counts"],
        json!({ "created": 10_000, "changed": 0, "unchanged": 0, "error": 0 })
    );

    let first = world
        .call(
            "GET",
            &format!("/api/organisations/{root}/devices?limit=1"),
            owner.token(),
            None,
        )
        .await;
    assert_eq!(first.body["items"].as_array().unwrap().len(), 1);
    assert!(first.body["next_cursor"].is_string(), "10,000 devices page on");
    let device = first.body["items"][0]["id"].as_str().unwrap().to_owned();
    let imei = first.body["items"][0]["imei"].clone();
    let iccid = crate::sims::iccid((uuid::Uuid::new_v4().as_u128() % 100_000_000_000_000) as u64);
    let sim = world
        .call(
            "POST",
            &format!("/api/organisations/{root}/sims"),
            owner.token(),
            Some(json!({ "iccid": iccid })),
        )
        .await;
    assert_eq!(sim.status, 201, "{sim:?}");
    let path = format!("/api/organisations/{root}/devices/{device}");
    let bound = world
        .call(
            "PATCH",
            &path,
            owner.token(),
            Some(json!({ "sim_iccid": iccid, "name": "Reefer 1", "location": { "lat": 53.55, "lon": 9.99 } })),
        )
        .await;
    assert_eq!(bound.status, 200, "{bound:?}");
    let locked = world
        .call(
            "GET",
            &format!("/api/organisations/{root}/sims/{iccid}"),
            owner.token(),
            None,
        )
        .await;
    assert_eq!(locked.body["imei_lock"], imei, "the SIM is locked to the device's IMEI");

    let credentials = world
        .call("POST", &format!("{path}/credentials"), owner.token(), None)
        .await;
    assert_eq!(credentials.status, 201, "{credentials:?}");
    match world
        .certificate(credentials.body["certificate_id"].as_str().unwrap_or_default())
        .await
    {
        Some((state, _)) => assert_eq!((state.status.as_str(), state.things), ("ACTIVE", vec![device.clone()])),
        None => assert_eq!(credentials.body["mqtt"]["username"], device.as_str()),
    }

    let map = world
        .call(
            "GET",
            &format!("/api/organisations/{root}/map?limit=200"),
            owner.token(),
            None,
        )
        .await;
    let features = map.body["features"].as_array().unwrap();
    assert_eq!(features.len(), 1, "the one device with a position");
    assert_eq!(features[0]["id"], device.as_str());
    assert_eq!(features[0]["properties"]["name"], "Reefer 1");
    assert_eq!(features[0]["geometry"]["coordinates"], json!([9.99, 53.55]));
}
