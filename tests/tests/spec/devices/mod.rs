//! Devices (issue 13, first part): the platform's device models and the pre-registration of
//! devices by IMEI, handed to organisations; placing them, their credentials and commands,
//! their upkeep, and imports. The Givens the device specs (and others) share live here.

mod imports;
mod placement;
mod provisioning;
mod registry;
mod upkeep;

use crate::world::{Person, World};
use serde_json::{Value, json};

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

/// A 14-digit IMEI (the check digit is completed on registration), the `n`th of a test's.
fn imei14(base: u64, n: u64) -> String {
    format!("{:014}", base + n)
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
