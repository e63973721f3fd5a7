//! What the matrix's cells act on, made once per run: SIM resources per scope, devices, an
//! environment and a map marker, alerts; and the request bodies that make more of them.

use crate::world::{Person, World};
use serde_json::{Value, json};

pub(super) fn alert_rule_body() -> Value {
    json!({ "name": "Matrix hot", "port": 1, "condition": ">", "value": 40, "severity": "minor" })
}

/// An alert rule of `root`, and the alerts it raises when both devices report 50 °C.
pub(super) async fn alert_fixture(
    world: &World,
    owner: &Person,
    root: &str,
    devices: &(String, String),
) -> (String, (String, String)) {
    let rule = world
        .call(
            "POST",
            &format!("/api/organisations/{root}/alert-rules"),
            owner.token(),
            Some(alert_rule_body()),
        )
        .await;
    assert_eq!(rule.status, 201, "{rule:?}");
    let ingest = stratum_tests::telemetry_of(&world.sims);
    let mut alerts = Vec::new();
    for device in [&devices.0, &devices.1] {
        let message = json!({ "ts": "2026-03-01T08:59:00Z", "seq": 1, "values": { "1": 900 } });
        let envelope = stratum_shared::telemetry::Envelope {
            device_id: device.clone(),
            client_id: device.clone(),
            received_at: None,
            message: message.as_object().unwrap().clone(),
        };
        ingest.ingest(&envelope).await.unwrap();
        let listed = world
            .call(
                "GET",
                &format!("/api/organisations/{root}/alerts?device_id={device}"),
                owner.token(),
                None,
            )
            .await;
        alerts.push(
            listed.body["items"][0]["id"]
                .as_str()
                .expect("an alert raised")
                .to_owned(),
        );
    }
    (
        rule.body["id"].as_str().unwrap().to_owned(),
        (alerts[0].clone(), alerts[1].clone()),
    )
}

pub(super) async fn organisation_devices(
    world: &World,
    admin: &Person,
    owner: &Person,
    model: &str,
    root: &str,
    company: &str,
) -> (String, String) {
    let mut ids = Vec::new();
    for _ in 0..2 {
        let device = world
            .call(
                "POST",
                "/api/devices",
                admin.token(),
                Some(json!({ "imei": fresh_imei(), "model_id": model })),
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
        assert_eq!(handed.status, 200, "{handed:?}");
        ids.push(id);
    }
    let placed = world
        .call(
            "PATCH",
            &format!("/api/organisations/{root}/devices/{}", ids[1]),
            owner.token(),
            Some(json!({ "company_id": company })),
        )
        .await;
    assert_eq!(placed.status, 200, "{placed:?}");
    (ids[0].clone(), ids[1].clone())
}

pub(super) fn model_body() -> Value {
    json!({ "name": "Matrix tracker", "manufacturer": "Acme", "ports": [{ "number": 1, "name": "Temperature", "kind": "analog", "unit": "°C", "scale": 0.1, "offset": -40 }], "inactivity_timeout_seconds": 3600 })
}

/// An IMEI no test has used (14 random digits; the check digit is completed).
pub(super) fn fresh_imei() -> String {
    format!("35{:012}", uuid::Uuid::new_v4().as_u128() % 1_000_000_000_000)
}

pub(super) fn place_body(kind: &str) -> Value {
    match kind {
        "environments" => json!({ "name": "Matrix depot", "kind": "facility" }),
        _ => json!({ "label": "Matrix", "icon": "pin", "colour": "#000000", "applies_to": { "status": "active" } }),
    }
}

/// A new environment or map marker (`kind`: the collection's path segment) of `root`.
pub(super) async fn place(world: &World, owner: &Person, root: &str, kind: &str) -> String {
    let created = world
        .call(
            "POST",
            &format!("/api/organisations/{root}/{kind}"),
            owner.token(),
            Some(place_body(kind)),
        )
        .await;
    assert_eq!(created.status, 201, "{created:?}");
    created.body["id"].as_str().unwrap().to_owned()
}

pub(super) async fn device_fixture(world: &World, admin: &Person) -> (String, String) {
    let model = world
        .call("POST", "/api/device-models", admin.token(), Some(model_body()))
        .await;
    assert_eq!(model.status, 201, "{model:?}");
    let model = model.body["id"].as_str().unwrap().to_owned();
    let device = world
        .call(
            "POST",
            "/api/devices",
            admin.token(),
            Some(json!({ "imei": fresh_imei(), "model_id": model })),
        )
        .await;
    assert_eq!(device.status, 201, "{device:?}");
    (model, device.body["id"].as_str().unwrap().to_owned())
}

/// SIM resources, per scope where they differ: (root, company).
pub(super) struct SimFixture {
    pub(super) contract: String,
    pub(super) plans: (String, String),
    pub(super) sims: (String, String),
    pub(super) jobs: (String, String),
    /// A company's SIM and its activation code: the first claim takes it, the others find it
    /// claimed.
    pub(super) claimable: (String, String),
    pub(super) rules: (String, String),
    pub(super) bulk_jobs: (String, String),
}

pub(super) fn rule_body() -> Value {
    json!({ "name": "Matrix rule", "kind": "data_usage", "threshold_mb": 1000, "actions": ["notify"], "recipients": { "roles": ["owner"] } })
}

/// An ICCID no test has used.
pub(super) fn fresh_iccid() -> String {
    crate::sims::iccid((uuid::Uuid::new_v4().as_u128() % 100_000_000_000_000) as u64)
}

pub(super) async fn sim_fixture(world: &World, owner: &Person, root: &str, company: &str) -> SimFixture {
    let created = |path: String, body: Value| async move {
        let reply = world.call("POST", &path, owner.token(), Some(body)).await;
        assert!((200..=202).contains(&reply.status), "{path}: {reply:?}");
        reply.body["id"]
            .as_str()
            .or(reply.body["iccid"].as_str())
            .unwrap()
            .to_owned()
    };
    let plan = json!({ "name": "Matrix", "data_mb": 1, "sms": 1, "voice_minutes": 1, "billing_period": "monthly", "price_minor": 1, "currency": "EUR" });
    SimFixture {
        contract: created(format!("/api/organisations/{root}/operator-contracts"), contract_body()).await,
        plans: (
            created(format!("/api/organisations/{root}/plans"), plan.clone()).await,
            created(format!("/api/organisations/{company}/plans"), plan).await,
        ),
        sims: (
            created(
                format!("/api/organisations/{root}/sims"),
                json!({ "iccid": fresh_iccid() }),
            )
            .await,
            created(
                format!("/api/organisations/{company}/sims"),
                json!({ "iccid": fresh_iccid() }),
            )
            .await,
        ),
        jobs: (
            created(
                format!("/api/organisations/{root}/sims/import"),
                json!([{ "iccid": fresh_iccid() }]),
            )
            .await,
            created(
                format!("/api/organisations/{company}/sims/import"),
                json!([{ "iccid": fresh_iccid() }]),
            )
            .await,
        ),
        rules: (
            created(format!("/api/organisations/{root}/sim-rules"), rule_body()).await,
            created(format!("/api/organisations/{company}/sim-rules"), rule_body()).await,
        ),
        bulk_jobs: (
            created(
                format!("/api/organisations/{root}/sims/bulk"),
                json!({ "action": "suspend", "filter": {} }),
            )
            .await,
            created(
                format!("/api/organisations/{company}/sims/bulk"),
                json!({ "action": "suspend", "filter": {} }),
            )
            .await,
        ),
        claimable: claimable(world, owner, company).await,
    }
}

pub(super) async fn claimable(world: &World, owner: &Person, company: &str) -> (String, String) {
    let number = fresh_iccid();
    let sims = format!("/api/organisations/{company}/sims");
    let added = world
        .call("POST", &sims, owner.token(), Some(json!({ "iccid": number })))
        .await;
    assert_eq!(added.status, 201, "{added:?}");
    let codes = world
        .call(
            "POST",
            &format!("{sims}/activation-codes"),
            owner.token(),
            Some(json!({ "iccids": [number] })),
        )
        .await;
    let code = codes.body["items"][0]["activation_code"].as_str().unwrap().to_owned();
    (number, code)
}

pub(super) fn contract_body() -> Value {
    json!({ "operator_name": "Matrix Mobile", "country": "de", "mcc": "262", "mnc": "01", "contract_reference": "M-1" })
}
