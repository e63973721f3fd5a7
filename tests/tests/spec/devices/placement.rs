//! Where a device is: owners place it in a company, with an end user, a SIM and a position,
//! and staff and end users see what is theirs; environments sort devices, and the map shows
//! them with their markers.

use super::{devices_of_root, model};
use crate::organisations::{add, company, organisation};
use crate::world::World;
use serde_json::{Value, json};

both_entry_points!(
    owners_place_devices_and_staff_and_end_users_see_what_is_theirs,
    owners_sort_devices_into_environments_and_see_them_on_the_map_with_their_markers,
);

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
