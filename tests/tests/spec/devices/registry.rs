//! The platform's device models, which a platform admin defines and everyone signed in reads;
//! a device registered once by its IMEI and handed to a root organisation.

use super::model;
use crate::organisations::{company, organisation};
use crate::world::{World, join_all};
use serde_json::{Value, json};

both_entry_points!(
    a_platform_admin_defines_models_and_everyone_signed_in_reads_them,
    a_device_is_registered_once_by_imei_and_handed_to_a_root_organisation,
);

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
