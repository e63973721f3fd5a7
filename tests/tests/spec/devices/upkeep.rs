//! A device's upkeep: its maintenance history, its own port settings over the model's, and
//! retiring it for good once its credentials are revoked.

use super::devices_of_root;
use crate::organisations::{add, organisation};
use crate::world::World;
use serde_json::json;

both_entry_points!(a_device_keeps_its_maintenance_history_and_its_own_port_settings_and_retires_for_good);

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
