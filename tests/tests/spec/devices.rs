//! Devices (issue 13, first part): the platform's device models and the pre-registration of
//! devices by IMEI, handed to organisations.

use crate::organisations::{add, company, organisation};
use crate::world::{CertificateState, Person, World, join_all};
use serde_json::{Value, json};
use std::time::Duration;

both_entry_points!(
    a_platform_admin_defines_models_and_everyone_signed_in_reads_them,
    a_device_is_registered_once_by_imei_and_handed_to_a_root_organisation,
    owners_place_devices_and_staff_and_end_users_see_what_is_theirs,
    a_device_import_reports_every_row_hands_devices_over_and_a_second_import_changes_nothing,
    an_owner_issues_a_devices_credentials_once_and_revoking_them_disables_them,
    operators_send_commands_on_the_devices_own_topic_and_each_is_recorded,
    owners_sort_devices_into_environments_and_see_them_on_the_map_with_their_markers,
    a_device_keeps_its_maintenance_history_and_its_own_port_settings_and_retires_for_good,
    story_an_admin_pre_registers_ten_thousand_devices_and_an_owner_binds_provisions_and_maps_one,
);

fn model(name: &str) -> Value {
    json!({
        "name": name, "manufacturer": "Acme",
        "ports": [
            { "number": 2, "name": "Door", "kind": "digital" },
            { "number": 1, "name": "Temperature", "kind": "analog", "unit": "°C", "scale": 0.1, "offset": -40 }
        ],
        "inactivity_timeout_seconds": 900
    })
}

async fn a_platform_admin_defines_models_and_everyone_signed_in_reads_them(world: &World) {
    let admin = world.admin().await;
    let ada = world.person("ada").await;
    let created = world
        .call("POST", "/api/device-models", admin.token(), Some(model("T-100")))
        .await;
    assert_eq!(created.status, 201, "{created:?}");
    assert_eq!(
        created.body["ports"][0]["name"], "Temperature",
        "ports sorted by number"
    );
    assert_eq!(
        created.body["ports"][1]["scale"], 1.0,
        "calibration defaults to the identity"
    );
    let id = created.body["id"].as_str().unwrap();

    let listed = world.call("GET", "/api/device-models", ada.token(), None).await;
    assert_eq!(listed.body["items"][0]["id"], id, "anyone signed in reads models");
    assert_eq!(
        world
            .call("POST", "/api/device-models", ada.token(), Some(model("Mine")))
            .await
            .status,
        404,
        "only platform admins define them"
    );
    let mut bad = model("Bad");
    bad["ports"][1]["number"] = json!(2);
    bad["inactivity_timeout_seconds"] = json!(5);
    let refused = world.call("POST", "/api/device-models", admin.token(), Some(bad)).await;
    let mut codes: Vec<String> = refused.field_errors().into_iter().map(|(_, code)| code).collect();
    codes.sort();
    assert_eq!(codes, ["duplicate_port", "out_of_range"], "{refused:?}");

    let path = format!("/api/device-models/{id}");
    let etag = created.headers["etag"].clone();
    let auth = format!("Bearer {}", admin.access);
    let put = |name: &'static str| {
        let (path, etag, auth) = (path.clone(), etag.clone(), auth.clone());
        async move {
            world
                .call_with(
                    "PUT",
                    &path,
                    &[("authorization", &auth), ("if-match", &etag)],
                    Some(model(name)),
                )
                .await
        }
    };
    assert_eq!(put("T-100 rev B").await.status, 200);
    assert_eq!(
        put("T-100 rev C").await.status,
        412,
        "the second writer read a stale version"
    );
}

async fn a_device_is_registered_once_by_imei_and_handed_to_a_root_organisation(world: &World) {
    let admin = world.admin().await;
    let ada = world.person("ada").await;
    let eve = world.person("eve").await;
    let root = organisation(world, &ada, "Fleet").await;
    let branch = company(world, &ada, &root, "Branch").await;
    let elsewhere = organisation(world, &eve, "Elsewhere").await;
    let model_id = world
        .call("POST", "/api/device-models", admin.token(), Some(model("T-1")))
        .await
        .body["id"]
        .clone();

    let register = |imei: &'static str, model: Value| {
        let token = admin.access.clone();
        async move {
            world
                .call(
                    "POST",
                    "/api/devices",
                    Some(&token),
                    Some(json!({ "imei": imei, "model_id": model })),
                )
                .await
        }
    };
    // 49-015420-323751 with its check digit 8: 14 digits are completed, 15 checked.
    let racing = join_all(
        [
            register("49015420323751", model_id.clone()),
            register("490154203237518", model_id.clone()),
        ]
        .into_iter(),
    )
    .await;
    let mut statuses: Vec<u16> = racing.iter().map(|reply| reply.status).collect();
    statuses.sort();
    assert_eq!(statuses, [201, 409], "one IMEI, one device: {racing:?}");
    let device = racing.iter().find(|reply| reply.status == 201).unwrap();
    assert_eq!(device.body["imei"], "490154203237518");
    let taken = racing.iter().find(|reply| reply.status == 409).unwrap();
    assert_eq!(taken.code(), "imei_taken");
    assert_eq!(
        register("490154203237519", model_id.clone()).await.field_errors()[0].1,
        "invalid_check_digit"
    );
    let unknown = register("35345678901234", json!(uuid::Uuid::new_v4())).await;
    assert_eq!(unknown.field_errors()[0].1, "unknown_model", "{unknown:?}");
    assert_eq!(
        world
            .call(
                "POST",
                "/api/devices",
                ada.token(),
                Some(json!({ "imei": "35345678901234", "model_id": model_id }))
            )
            .await
            .status,
        404
    );

    let id = device.body["id"].as_str().unwrap();
    let hand = |organisation: &str| {
        let (token, path, body) = (
            admin.access.clone(),
            format!("/api/devices/{id}/organisation"),
            json!({ "organisation_id": organisation }),
        );
        async move { world.call("PUT", &path, Some(&token), Some(body)).await }
    };
    assert_eq!(hand(&branch).await.field_errors()[0].1, "not_a_root_organisation");
    assert_eq!(
        hand(&ada.personal_organisation_id).await.field_errors()[0].1,
        "not_a_root_organisation"
    );
    let handed = hand(&root).await;
    assert_eq!(handed.body["organisation_id"], root.as_str(), "{handed:?}");
    assert_eq!(hand(&elsewhere).await.status, 200);
    for (owner, organisation) in [(&ada, &root), (&eve, &elsewhere)] {
        let audit = world
            .call(
                "GET",
                &format!("/api/organisations/{organisation}/audit?action=device.assigned"),
                owner.token(),
                None,
            )
            .await;
        assert_eq!(
            audit.body["items"][0]["target"]["id"], id,
            "reassignment is in both trails: {audit:?}"
        );
    }
    let listed = world.call("GET", "/api/devices", admin.token(), None).await;
    assert_eq!(listed.body["items"][0]["organisation_id"], elsewhere.as_str());
}

async fn owners_place_devices_and_staff_and_end_users_see_what_is_theirs(world: &World) {
    let admin = world.admin().await;
    let ada = world.person("ada").await;
    let vic = world.person("vic").await;
    let bea = world.person("bea").await;
    let rider = world.person("rider").await;
    let root = organisation(world, &ada, "Fleet").await;
    let branch = company(world, &ada, &root, "Branch").await;
    add(world, &ada, &root, &vic, &["viewer"]).await;
    add(world, &ada, &branch, &bea, &["viewer"]).await;
    add(world, &ada, &branch, &rider, &["member"]).await;
    let model = world
        .call("POST", "/api/device-models", admin.token(), Some(model("T-1")))
        .await
        .body["id"]
        .clone();
    let mut ids = Vec::new();
    for imei in ["35345678901234", "35345678901242"] {
        let device = world
            .call(
                "POST",
                "/api/devices",
                admin.token(),
                Some(json!({ "imei": imei, "model_id": model })),
            )
            .await;
        let id = device.body["id"].as_str().unwrap().to_owned();
        let handed = world
            .call(
                "PUT",
                &format!("/api/devices/{id}/organisation"),
                admin.token(),
                Some(json!({ "organisation_id": root })),
            )
            .await;
        assert_eq!(handed.status, 200);
        ids.push(id);
    }
    let devices = |organisation: &str| format!("/api/organisations/{organisation}/devices");
    let patch = |id: &str, body: Value| {
        let (path, token) = (format!("{}/{id}", devices(&root)), ada.access.clone());
        async move { world.call("PATCH", &path, Some(&token), Some(body)).await }
    };
    let placed = patch(
        &ids[0],
        json!({ "name": "Van 7", "company_id": branch, "end_user_id": rider.id, "location": { "lat": 52.52, "lon": 13.405 }, "metadata": { "plate": "B-XY 7" } }),
    )
    .await;
    assert_eq!(placed.status, 200, "{placed:?}");
    assert_eq!(placed.body["location"]["lat"], 52.52);
    assert_eq!(
        patch(&ids[1], json!({ "end_user_id": rider.id })).await.field_errors()[0].1,
        "no_company"
    );
    let stranger = world.person("stranger").await;
    assert_eq!(
        patch(&ids[1], json!({ "company_id": branch, "end_user_id": stranger.id }))
            .await
            .field_errors()[0]
            .1,
        "not_a_member"
    );
    assert_eq!(
        world
            .call(
                "PATCH",
                &format!("{}/{}", devices(&root), ids[1]),
                vic.token(),
                Some(json!({ "name": "x" }))
            )
            .await
            .status,
        403,
        "viewers read, owners configure"
    );

    let listed = |who: &crate::world::Person, path: String| {
        let token = who.access.clone();
        async move {
            let reply = world.call("GET", &path, Some(&token), None).await;
            let mut ids: Vec<String> = reply.body["items"]
                .as_array()
                .unwrap_or_else(|| panic!("{reply:?}"))
                .iter()
                .map(|device| device["id"].as_str().unwrap().to_owned())
                .collect();
            ids.sort();
            ids
        }
    };
    let mut both = ids.clone();
    both.sort();
    assert_eq!(listed(&vic, devices(&root)).await, both);
    assert_eq!(
        listed(&vic, format!("{}?company_id={branch}", devices(&root))).await,
        [ids[0].clone()]
    );
    assert_eq!(
        listed(&bea, devices(&branch)).await,
        [ids[0].clone()],
        "a company's staff: its devices"
    );
    assert_eq!(
        listed(&rider, devices(&branch)).await,
        [ids[0].clone()],
        "an end user: theirs"
    );
    assert_eq!(
        world
            .call("GET", &format!("{}/{}", devices(&branch), ids[1]), bea.token(), None)
            .await
            .status,
        404
    );

    let number = crate::sims::iccid(3_300);
    let added = world
        .call(
            "POST",
            &format!("/api/organisations/{root}/sims"),
            ada.token(),
            Some(json!({ "iccid": number })),
        )
        .await;
    assert_eq!(added.status, 201);
    let bound = patch(&ids[0], json!({ "sim_iccid": number })).await;
    assert_eq!(bound.body["sim_iccid"], number.as_str(), "{bound:?}");
    let sim_path = format!("/api/organisations/{root}/sims/{number}");
    let sim = world.call("GET", &sim_path, ada.token(), None).await;
    assert_eq!(
        sim.body["imei_lock"], placed.body["imei"],
        "the SIM is locked to the device"
    );
    assert_eq!(sim.body["device_id"], ids[0].as_str());
    let twice = patch(&ids[1], json!({ "sim_iccid": number })).await;
    assert_eq!(twice.field_errors()[0].1, "installed_elsewhere", "{twice:?}");
    let foreign = patch(&ids[1], json!({ "sim_iccid": crate::sims::iccid(3_301) })).await;
    assert_eq!(foreign.field_errors()[0].1, "unknown_sim");

    let eve = world.person("eve").await;
    let elsewhere = organisation(world, &eve, "Elsewhere").await;
    let moved = world
        .call(
            "PUT",
            &format!("/api/devices/{}/organisation", ids[0]),
            admin.token(),
            Some(json!({ "organisation_id": elsewhere })),
        )
        .await;
    assert_eq!(
        (moved.body["company_id"].clone(), moved.body["end_user_id"].clone()),
        (Value::Null, Value::Null)
    );
    assert_eq!(
        listed(&rider, devices(&branch)).await,
        Vec::<String>::new(),
        "its old place stays behind"
    );
}

/// A 14-digit IMEI (the check digit is completed on registration), the `n`th of a test's.
fn imei14(base: u64, n: u64) -> String {
    format!("{:014}", base + n)
}

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

/// `count` devices of a new model handed to `root` by an import; their ids.
pub(crate) async fn devices_of_root(
    world: &World,
    admin: &Person,
    owner: &Person,
    root: &str,
    count: u64,
) -> Vec<String> {
    let model_id = world
        .call("POST", "/api/device-models", admin.token(), Some(model("T-1")))
        .await
        .body["id"]
        .clone();
    let base = 35_000_000_000_000 + (uuid::Uuid::new_v4().as_u128() % 1_000_000_000) as u64 * 10_000;
    let devices: Vec<Value> = (0..count)
        .map(|n| json!({ "imei": imei14(base, n), "model_id": model_id, "organisation_id": root }))
        .collect();
    let imported = world
        .call(
            "POST",
            "/api/devices/imports",
            admin.token(),
            Some(json!({ "devices": devices })),
        )
        .await;
    assert_eq!(imported.body["counts"]["created"], count, "{imported:?}");
    let listed = world
        .call(
            "GET",
            &format!("/api/organisations/{root}/devices?limit=200"),
            owner.token(),
            None,
        )
        .await;
    listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|device| device["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn an_owner_issues_a_devices_credentials_once_and_revoking_them_disables_them(world: &World) {
    let admin = world.admin().await;
    let ada = world.person("ada").await;
    let olga = world.person("olga").await;
    let root = organisation(world, &ada, "Fleet").await;
    add(world, &ada, &root, &olga, &["operator"]).await;
    let ids = devices_of_root(world, &admin, &ada, &root, 1).await;
    let path = format!("/api/organisations/{root}/devices/{}/credentials", ids[0]);

    assert_eq!(
        world.call("POST", &path, olga.token(), None).await.status,
        403,
        "owners provision"
    );
    let racing = join_all((0..2).map(|_| world.call("POST", &path, ada.token(), None))).await;
    let mut statuses: Vec<u16> = racing.iter().map(|reply| reply.status).collect();
    statuses.sort();
    assert_eq!(statuses, [201, 409], "one set of credentials at a time: {racing:?}");
    let issued = racing.into_iter().find(|reply| reply.status == 201).unwrap();
    assert_eq!(issued.headers["cache-control"], "no-store");

    match world
        .certificate(issued.body["certificate_id"].as_str().unwrap_or_default())
        .await
    {
        Some((state, policy)) => {
            assert!(
                issued.body["certificate_pem"]
                    .as_str()
                    .unwrap()
                    .starts_with("-----BEGIN CERTIFICATE-----")
            );
            assert!(issued.body["private_key"].as_str().unwrap().contains("PRIVATE KEY"));
            assert_eq!(
                state,
                CertificateState {
                    status: "ACTIVE".into(),
                    things: vec![ids[0].clone()],
                    policies: vec![policy.clone()],
                },
                "the thing is named by the device id and the shared policy is attached"
            );
            assert_eq!(world.call("DELETE", &path, ada.token(), None).await.status, 204);
            let (revoked, _) = world
                .certificate(issued.body["certificate_id"].as_str().unwrap())
                .await
                .unwrap();
            assert_eq!(
                revoked,
                CertificateState {
                    status: "INACTIVE".into(),
                    things: vec![],
                    policies: vec![],
                },
                "revoked: inactive and detached"
            );
        }
        None => {
            let mqtt = &issued.body["mqtt"];
            assert_eq!(mqtt["username"], ids[0].as_str());
            assert_eq!(
                (mqtt["host"].as_str(), mqtt["port"].as_u64()),
                (Some("127.0.0.1"), world.mqtt_addr().map(|addr| u64::from(addr.port())))
            );
            let password = mqtt["password"].as_str().unwrap();
            assert!(password.len() >= 43, "256 random bits");
            let device = stratum_shared::ids::DeviceId::parse(&ids[0], "id").unwrap();
            let stored = world
                .identity
                .store
                .get(&stratum_shared::keys::device_credentials(device))
                .await
                .unwrap()
                .unwrap();
            let kept = serde_json::to_string(&stored.record::<Value>().unwrap()).unwrap();
            assert!(!kept.contains(password), "the password is not kept");
            assert!(kept.contains(&world.identity.secrets.digest(password)), "its digest is");
            assert_eq!(world.call("DELETE", &path, ada.token(), None).await.status, 204);
            assert!(
                world
                    .identity
                    .store
                    .get(&stratum_shared::keys::device_credentials(device))
                    .await
                    .unwrap()
                    .is_none(),
                "revoked: the digest the broker checks is gone"
            );
        }
    }
    assert_eq!(
        world.call("DELETE", &path, ada.token(), None).await.status,
        404,
        "nothing left to revoke"
    );
    assert_eq!(
        world.call("POST", &path, ada.token(), None).await.status,
        201,
        "issued anew"
    );
    let audit = world
        .call("GET", &format!("/api/organisations/{root}/audit"), ada.token(), None)
        .await;
    let actions: Vec<&str> = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|event| event["action"].as_str())
        .filter(|action| action.starts_with("device.credentials"))
        .collect();
    assert_eq!(
        actions,
        [
            "device.credentials_issued",
            "device.credentials_revoked",
            "device.credentials_issued"
        ],
        "newest first"
    );
}

async fn operators_send_commands_on_the_devices_own_topic_and_each_is_recorded(world: &World) {
    let admin = world.admin().await;
    let ada = world.person("ada").await;
    let olga = world.person("olga").await;
    let vic = world.person("vic").await;
    let eve = world.person("eve").await;
    let root = organisation(world, &ada, "Fleet").await;
    let elsewhere = organisation(world, &eve, "Elsewhere").await;
    add(world, &ada, &root, &olga, &["operator"]).await;
    add(world, &ada, &root, &vic, &["viewer"]).await;
    let ids = devices_of_root(world, &admin, &ada, &root, 1).await;
    let path = format!("/api/organisations/{root}/devices/{}/commands", ids[0]);
    let mut publications = world.publications();

    let command = json!({ "name": "set_interval", "payload": { "seconds": 60 } });
    let sent = world.call("POST", &path, olga.token(), Some(command.clone())).await;
    assert_eq!(sent.status, 201, "{sent:?}");
    assert_eq!(sent.body["status"], "published");
    assert_eq!(sent.body["topic"], format!("devices/{}/commands", ids[0]));
    if let Some(publications) = publications.as_mut() {
        let published = publications.recv().await.unwrap();
        assert_eq!(published.topic, format!("devices/{}/commands", ids[0]));
        let message: Value = serde_json::from_slice(&published.payload).unwrap();
        assert_eq!(
            message,
            json!({ "id": sent.body["id"], "name": "set_interval", "payload": { "seconds": 60 } })
        );
    }
    assert_eq!(
        world
            .call("POST", &path, vic.token(), Some(command.clone()))
            .await
            .status,
        403,
        "viewers read, operators and owners command"
    );
    let other = format!("/api/organisations/{elsewhere}/devices/{}/commands", ids[0]);
    assert_eq!(
        world.call("POST", &other, eve.token(), Some(command)).await.status,
        404,
        "another organisation's device does not exist for its owner"
    );
    let bad = world
        .call(
            "POST",
            &path,
            olga.token(),
            Some(json!({ "name": "re boot", "payload": "x".repeat(5_000) })),
        )
        .await;
    let mut fields: Vec<(String, String)> = bad.field_errors();
    fields.sort();
    assert_eq!(
        fields,
        [
            ("name".into(), "invalid_name".into()),
            ("payload".into(), "too_long".into())
        ],
        "{bad:?}"
    );
    let history = world.call("GET", &path, vic.token(), None).await;
    assert_eq!(history.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(history.body["items"][0]["name"], "set_interval");
}

async fn owners_sort_devices_into_environments_and_see_them_on_the_map_with_their_markers(world: &World) {
    let admin = world.admin().await;
    let ada = world.person("ada").await;
    let rider = world.person("rider").await;
    let root = organisation(world, &ada, "Fleet").await;
    let branch = company(world, &ada, &root, "Branch").await;
    add(world, &ada, &branch, &rider, &["member"]).await;
    let ids = devices_of_root(world, &admin, &ada, &root, 3).await;
    let model_id = world
        .call(
            "GET",
            &format!("/api/organisations/{root}/devices/{}", ids[0]),
            ada.token(),
            None,
        )
        .await
        .body["model_id"]
        .clone();
    let at = |path: &str| format!("/api/organisations/{root}{path}");
    let call = |method: &'static str, path: String, body: Option<Value>| {
        let token = ada.access.clone();
        async move { world.call(method, &path, Some(&token), body).await }
    };

    let depot = call(
        "POST",
        at("/environments"),
        Some(json!({ "name": "Depot North", "kind": "facility" })),
    )
    .await;
    assert_eq!(depot.status, 201, "{depot:?}");
    let depot = depot.body["id"].as_str().unwrap().to_owned();
    let patch = |id: &str, body: Value| call("PATCH", at(&format!("/devices/{id}")), Some(body));
    let placed = patch(
        &ids[0],
        json!({ "environment_id": depot, "company_id": branch, "end_user_id": rider.id, "location": { "lat": 52.52, "lon": 13.405 } }),
    )
    .await;
    assert_eq!(placed.status, 200, "{placed:?}");
    assert_eq!(
        patch(
            &ids[1],
            json!({ "location": { "lat": 48.85, "lon": 2.35, "alt": 35.0 }, "status": "maintenance" })
        )
        .await
        .status,
        200
    );
    let unknown = patch(&ids[2], json!({ "environment_id": uuid::Uuid::new_v4() })).await;
    assert_eq!(
        (unknown.status, unknown.field_errors()[0].1.as_str()),
        (409, "unknown_environment")
    );
    let environment = call("GET", at(&format!("/environments/{depot}")), None).await;
    assert_eq!(environment.body["devices"], 1, "an environment counts its devices");
    let in_use = call("DELETE", at(&format!("/environments/{depot}")), None).await;
    assert_eq!((in_use.status, in_use.code()), (409, "environment_in_use"));

    let marker = |label: &str, applies_to: Value| {
        call(
            "POST",
            at("/map-markers"),
            Some(json!({ "label": label, "icon": "pin", "colour": "#1F77B4", "applies_to": applies_to })),
        )
    };
    let by_environment = marker("Depot", json!({ "environment_id": depot })).await;
    assert_eq!(by_environment.status, 201, "{by_environment:?}");
    assert_eq!(by_environment.body["colour"], "#1f77b4");
    let by_model = marker("T-1", json!({ "model_id": model_id })).await;
    marker("In repair", json!({ "status": "maintenance" })).await;
    let two = marker("Both", json!({ "status": "active", "model_id": model_id })).await;
    assert_eq!(two.field_errors()[0].1, "one_target");

    let map = call("GET", at("/map"), None).await;
    assert_eq!(map.status, 200, "{map:?}");
    assert_eq!(map.headers["content-type"], "application/geo+json");
    assert_eq!(map.body["type"], "FeatureCollection");
    let features = map.body["features"].as_array().unwrap();
    assert_eq!(features.len(), 2, "only devices with a position: {map:?}");
    let feature = |id: &str| features.iter().find(|f| f["id"] == id).unwrap().clone();
    assert_eq!(
        feature(&ids[0])["geometry"],
        json!({ "type": "Point", "coordinates": [13.405, 52.52] })
    );
    assert_eq!(
        feature(&ids[0])["properties"]["marker"]["id"],
        by_environment.body["id"],
        "an environment's marker before a model's"
    );
    assert_eq!(
        feature(&ids[1])["properties"]["marker"]["id"],
        by_model.body["id"],
        "a model's marker before a status's"
    );
    assert_eq!(feature(&ids[1])["geometry"]["coordinates"], json!([2.35, 48.85, 35.0]));
    let berlin = call("GET", at("/map?bbox=13.0,52.3,13.8,52.7"), None).await;
    assert_eq!(berlin.body["features"].as_array().unwrap().len(), 1);
    assert_eq!(berlin.body["bbox"], json!([13.0, 52.3, 13.8, 52.7]));
    assert_eq!(
        call("GET", at("/map?bbox=1,2,3"), None).await.field_errors()[0].1,
        "invalid_bbox"
    );
    let riders = world
        .call("GET", &format!("/api/organisations/{branch}/map"), rider.token(), None)
        .await;
    let seen: Vec<&Value> = riders.body["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["id"])
        .collect();
    assert_eq!(seen, [&json!(ids[0])], "an end user sees their own device only");

    let filtered = |query: String| call("GET", at(&format!("/devices?{query}")), None);
    let ids_of = |reply: crate::world::Reply| -> Vec<String> {
        reply.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        ids_of(filtered(format!("environment_id={depot}")).await),
        [ids[0].clone()]
    );
    assert_eq!(ids_of(filtered("status=maintenance".into()).await), [ids[1].clone()]);

    assert_eq!(patch(&ids[0], json!({ "environment_id": null })).await.status, 200);
    assert_eq!(
        call("DELETE", at(&format!("/environments/{depot}")), None).await.status,
        204,
        "empty again, it goes"
    );
}

async fn a_device_keeps_its_maintenance_history_and_its_own_port_settings_and_retires_for_good(world: &World) {
    let admin = world.admin().await;
    let ada = world.person("ada").await;
    let vic = world.person("vic").await;
    let root = organisation(world, &ada, "Fleet").await;
    add(world, &ada, &root, &vic, &["viewer"]).await;
    let ids = devices_of_root(world, &admin, &ada, &root, 1).await;
    let device = format!("/api/organisations/{root}/devices/{}", ids[0]);

    let maintenance = format!("{device}/maintenance");
    let entry =
        json!({ "description": "Battery replaced", "performed_at": "2026-02-27T10:00:00Z", "performed_by": "Sam" });
    let recorded = world.call("POST", &maintenance, ada.token(), Some(entry.clone())).await;
    assert_eq!(recorded.status, 201, "{recorded:?}");
    assert_eq!(recorded.body["performed_at"], "2026-02-27T10:00:00.000Z");
    assert_eq!(
        world.call("POST", &maintenance, vic.token(), Some(entry)).await.status,
        403
    );
    let future = world
        .call(
            "POST",
            &maintenance,
            ada.token(),
            Some(json!({ "description": "Later", "performed_at": "2099-01-01T00:00:00Z" })),
        )
        .await;
    assert_eq!(future.field_errors()[0].1, "in_the_future");
    world
        .call(
            "POST",
            &maintenance,
            ada.token(),
            Some(json!({ "description": "Firmware 1.2" })),
        )
        .await;
    let history = world.call("GET", &maintenance, vic.token(), None).await;
    let descriptions: Vec<&str> = history.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["description"].as_str().unwrap())
        .collect();
    assert_eq!(descriptions, ["Firmware 1.2", "Battery replaced"], "newest first");

    let ports = world.call("GET", &format!("{device}/ports"), vic.token(), None).await;
    assert_eq!(ports.body["items"].as_array().unwrap().len(), 2);
    assert_eq!(ports.body["items"][0]["scale"], 0.1, "the model's calibration");
    let set = world
        .call(
            "PUT",
            &format!("{device}/ports/1"),
            ada.token(),
            Some(json!({ "name": "Cold room", "offset": -39.5 })),
        )
        .await;
    assert_eq!(set.status, 200, "{set:?}");
    assert_eq!(
        (
            &set.body["name"],
            &set.body["unit"],
            &set.body["scale"],
            &set.body["offset"],
            &set.body["overridden"]
        ),
        (
            &json!("Cold room"),
            &json!("°C"),
            &json!(0.1),
            &json!(-39.5),
            &json!(true)
        )
    );
    assert_eq!(
        world
            .call(
                "PUT",
                &format!("{device}/ports/9"),
                ada.token(),
                Some(json!({ "enabled": false }))
            )
            .await
            .status,
        404,
        "a port the model lacks"
    );
    assert_eq!(
        world
            .call(
                "PUT",
                &format!("{device}/ports/2"),
                ada.token(),
                Some(json!({ "scale": 0 }))
            )
            .await
            .field_errors()[0]
            .1,
        "zero_scale"
    );

    let retire = |status: &'static str| {
        let (path, token) = (device.clone(), ada.access.clone());
        async move {
            world
                .call("PATCH", &path, Some(&token), Some(json!({ "status": status })))
                .await
        }
    };
    world
        .call("POST", &format!("{device}/credentials"), ada.token(), None)
        .await;
    assert_eq!(
        retire("decommissioned").await.code(),
        "credentials_exist",
        "revoke first"
    );
    world
        .call("DELETE", &format!("{device}/credentials"), ada.token(), None)
        .await;
    assert_eq!(retire("decommissioned").await.status, 200);
    let back = retire("active").await;
    assert_eq!((back.status, back.code()), (409, "decommissioned"), "for good");
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
