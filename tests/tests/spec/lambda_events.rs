//! The Lambda binaries' handlers, fed the recorded API Gateway HTTP API (v2) events in
//! `events/` through the same adapter `lambda_http::run` uses.

use lambda_http::lambda_runtime::{Context, LambdaEvent};
use lambda_http::request::LambdaRequest;
use serde_json::Value;
use tower::ServiceExt;

/// Runs a recorded event through a function's router as the Lambda runtime would, and returns
/// the API Gateway response as JSON.
async fn invoke(router: axum::Router, event: &str) -> Value {
    let payload: LambdaRequest =
        serde_json::from_str(&stratum_tests::event(event)).expect("a valid API Gateway v2 event");
    let adapter = lambda_http::Adapter::from(router);
    let response = adapter
        .oneshot(LambdaEvent::new(payload, Context::default()))
        .await
        .expect("the handler answers");
    serde_json::to_value(response).expect("responses serialise")
}

fn body(response: &Value) -> Value {
    serde_json::from_str(response["body"].as_str().expect("a text body")).expect("a JSON body")
}

#[tokio::test]
async fn the_system_function_answers_the_recorded_health_check() {
    let response = invoke(stratum_system::api().into_router(), "apigw-v2-health.json").await;

    assert_eq!(response["statusCode"], 200);
    assert_eq!(body(&response)["status"], "ok");
    assert!(response["headers"]["x-request-id"].is_string());
}

#[tokio::test]
async fn the_system_function_serves_the_openapi_document() {
    let response = invoke(stratum_system::api().into_router(), "apigw-v2-openapi.json").await;

    assert_eq!(response["statusCode"], 200);
    assert_eq!(body(&response)["openapi"], "3.1.0");
}

#[tokio::test]
async fn an_unknown_route_answers_problem_json_404() {
    let response = invoke(stratum_system::api().into_router(), "apigw-v2-unknown-route.json").await;

    assert_eq!(response["statusCode"], 404);
    assert_eq!(response["headers"]["content-type"], "application/problem+json");
    assert_eq!(body(&response)["code"], "not_found");
}

#[tokio::test]
async fn the_identity_function_answers_the_recorded_registration() {
    let clock = std::sync::Arc::new(stratum_shared::clock::SystemClock);
    let store = stratum_tests::dynamo_store(clock.clone()).await;
    let identity = stratum_tests::identity_on(std::sync::Arc::new(store), clock);
    let router = stratum_infra::lambda::with_source_address(
        stratum_identity::api(stratum_tests::services_of(&identity)).into_router(),
    );

    let response = invoke(router.clone(), "apigw-v2-register.json").await;

    assert_eq!(response["statusCode"], 201, "{response}");
    assert_eq!(body(&response)["email"], "jane.doe@example.com");
    let again = invoke(router, "apigw-v2-register.json").await;
    assert_eq!(again["statusCode"], 409);
    assert_eq!(body(&again)["code"], "email_taken");
}

/// The import worker fed the recorded SQS event (`events/sqs-sims-import.json`): a body that is
/// no chunk and a chunk of a job that does not exist are reported as failures, each on its own
/// (SQS redelivers only those); the same chunk on its last delivery is given up rather than
/// sent on to the dead-letter queue.
#[tokio::test]
async fn the_import_worker_reports_failed_chunks_one_by_one_and_gives_up_on_the_last_delivery() {
    let clock = std::sync::Arc::new(stratum_shared::clock::SystemClock);
    let (store, _dir) = stratum_tests::sqlite_store(clock.clone());
    let identity = stratum_tests::identity_on(std::sync::Arc::new(store), clock);
    let (jobs, _) = stratum_infra::jobs::InProcessJobs::new();
    let sims = stratum_tests::sims_with(&identity, std::sync::Arc::new(jobs));
    let event: aws_lambda_events::sqs::SqsEvent =
        serde_json::from_str(&stratum_tests::event("sqs-sims-import.json")).expect("a recorded SQS event");

    let response = stratum_sims_import::handle(&sims, event).await;

    let failed: Vec<&str> = response
        .batch_item_failures
        .iter()
        .map(|failure| failure.item_identifier.as_str())
        .collect();
    assert_eq!(
        failed,
        [
            "5f0c1b2a-0001-4000-8000-000000000001",
            "5f0c1b2a-0002-4000-8000-000000000002"
        ]
    );
}

/// The telemetry ingest worker fed the recorded SQS event of the IoT rule's output
/// (`events/sqs-iot-telemetry.json`): the device's message is stored, its repeat changes
/// nothing, and a message under another client id and one that is no JSON are refused —
/// none of them reported as a failure, so no bad message is retried or holds up the rest.
#[tokio::test]
async fn the_telemetry_worker_stores_a_message_once_and_refuses_without_retrying() {
    use chrono::TimeZone;
    use stratum_shared::devices::{Device, DeviceModel, DeviceStatus, Port, PortKind};
    use stratum_shared::ids::{DeviceId, DeviceModelId, OrganisationId};
    use stratum_shared::ports::Store;
    use stratum_shared::store::Item;
    // The recorded messages were taken at 08:30 that day.
    let clock = std::sync::Arc::new(stratum_shared::clock::ManualClock::new(
        chrono::Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap(),
    ));
    let (store, _dir) = stratum_tests::sqlite_store(clock.clone());
    let now = stratum_shared::time::Timestamp::new(chrono::Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap());
    let model = DeviceModel {
        id: DeviceModelId::generate(),
        name: "T-1".into(),
        manufacturer: "Acme".into(),
        ports: vec![Port {
            number: 1,
            name: "Temperature".into(),
            kind: PortKind::Analog,
            unit: "°C".into(),
            scale: 0.1,
            offset: -40.0,
        }],
        inactivity_timeout_seconds: 900,
        created_at: now,
        updated_at: now,
    };
    let device = Device {
        id: DeviceId::parse("01a22a95-0000-7000-8000-00000000d001", "id").unwrap(),
        imei: stratum_shared::telecom::Imei::parse("49015420323751", "imei").unwrap(),
        model_id: model.id,
        organisation_id: Some(OrganisationId::generate()),
        name: None,
        company_id: None,
        end_user_id: None,
        location: None,
        status: DeviceStatus::Active,
        environment_id: None,
        firmware: None,
        metadata: Default::default(),
        sim_iccid: None,
        ports: Default::default(),
        created_at: now,
        updated_at: now,
    };
    for item in [
        Item::from_record(stratum_shared::keys::device_model(model.id), &model),
        Item::from_record(stratum_shared::keys::device(device.id), &device),
    ] {
        store.put(item, None).await.unwrap();
    }
    let telemetry = stratum_shared::telemetry::Telemetry {
        store: std::sync::Arc::new(store.clone()),
        clock,
        targets: Default::default(),
        // As the ingest function runs: the notifier's public key only, no data key.
        notices: stratum_shared::notices::Notices::new(
            std::sync::Arc::new(stratum_tests::mail_sealer()),
            "http://localhost:3000",
        ),
    };
    let event: aws_lambda_events::sqs::SqsEvent =
        serde_json::from_str(&stratum_tests::event("sqs-iot-telemetry.json")).expect("a recorded SQS event");

    let (response, tally) = stratum_telemetry_ingest::handle(&telemetry, event).await;

    assert!(response.batch_item_failures.is_empty(), "refusals are not retried");
    assert_eq!(
        tally,
        stratum_telemetry_ingest::Tally {
            stored: 1,
            repeated: 1,
            refused: 2,
            failed: 0
        }
    );
    let latest = store
        .get(&stratum_shared::keys::device_latest(
            device.organisation_id.unwrap(),
            &device.placement(),
            device.id,
        ))
        .await
        .unwrap()
        .expect("the latest values");
    assert_eq!(latest.attribute("port_1").unwrap()["value"], 25.0, "calibrated");
}
