//! The Lambda entry point: the functions' routers merged as API Gateway routes them, behind
//! `lambda_http`'s adapter and fed API Gateway v2 events, on DynamoDB, SQS, SES and IoT Core
//! (all moto); e-mail and import jobs travel the queues the AWS deployment has.

use super::imports::ImportPipeline;
use super::mail::MailPipeline;
use super::{Reply, Transport, World, clock};
use lambda_http::lambda_runtime::{Context, LambdaEvent};
use lambda_http::request::LambdaRequest;
use serde_json::Value;
use std::sync::Arc;
use stratum_infra::mail::SesMailer;
use stratum_infra::queue::SqsQueue;
use stratum_notifier::Notifier;
use tower::ServiceExt;

const MAIL_FROM: &str = "no-reply@stratum.test";

impl World {
    pub async fn lambda() -> World {
        let clock = clock();
        let moto = stratum_tests::moto();
        let store = moto.dynamo_store(clock.clone()).await;
        let identity = stratum_tests::identity_on(Arc::new(store.clone()), clock.clone());
        let aws = moto.sdk_config().await;
        let mut queue_urls = Vec::new();
        for lane in ["outbox", "notices"] {
            let queue_url = aws_sdk_sqs::Client::new(&aws)
                .create_queue()
                .queue_name(format!("{lane}-{}", uuid::Uuid::new_v4()))
                .send()
                .await
                .unwrap()
                .queue_url
                .unwrap();
            queue_urls.push(queue_url);
        }
        aws_sdk_ses::Client::new(&aws)
            .verify_email_identity()
            .email_address(MAIL_FROM)
            .send()
            .await
            .unwrap();
        let notifier = Notifier {
            store: Arc::new(store.clone()),
            mailer: Arc::new(SesMailer::new(&aws, MAIL_FROM)),
            clock: clock.clone(),
            mail_key: Arc::new(stratum_tests::mail_key()),
            notice_queue_arn: stratum_tests::NOTICE_QUEUE_ARN.to_owned(),
        };
        let lane = |url: &String| (SqsQueue::new(&aws, url), url.clone());
        let pipeline = MailPipeline {
            moto,
            queues: [lane(&queue_urls[0]), lane(&queue_urls[1])],
            store,
            notifier,
        };
        let import_queue_url = aws_sdk_sqs::Client::new(&aws)
            .create_queue()
            .queue_name(format!("sims-import-{}", uuid::Uuid::new_v4()))
            .send()
            .await
            .unwrap()
            .queue_url
            .unwrap();
        let sims = stratum_shared::sims::Sims {
            connectors: stratum_tests::test_connectors(),
            ..stratum_tests::sims_with(
                &identity,
                Arc::new(stratum_infra::queue::SqsJobQueue::new(&aws, &import_queue_url)),
            )
        };
        let imports = ImportPipeline {
            queue: SqsQueue::new(&aws, &import_queue_url),
            queue_url: import_queue_url,
            sims: sims.clone(),
        };
        let iot = aws_sdk_iot::Client::new(&aws);
        let device_policy = format!("devices-{}", uuid::Uuid::new_v4());
        iot.create_policy()
            .policy_name(&device_policy)
            .policy_document(stratum_tests::device_policy_document().to_string())
            .send()
            .await
            .unwrap();
        let gateway = Arc::new(stratum_infra::iot::IotGateway::new(&aws, &device_policy));
        // API Gateway routes each path to its function; merging the functions' routers does the same.
        let services = stratum_tests::services_of(&identity);
        let api = stratum_system::api()
            .merge(stratum_identity::api(services.clone()))
            .merge(stratum_organisations::api(services.clone()))
            .merge(stratum_sims::api(identity.clone(), sims.clone()))
            .merge(stratum_devices::api(
                identity.clone(),
                stratum_tests::devices_of(&sims, gateway),
            ))
            .merge(stratum_invitations::api(services));
        let router = stratum_infra::lambda::with_source_address(api.into_router());
        World {
            clock,
            identity,
            sims,
            transport: Transport::Lambda {
                router,
                pipeline: Box::new(pipeline),
                imports: Box::new(imports),
                iot,
                device_policy,
            },
            source: "203.0.113.7".into(),
        }
    }

    /// The DynamoDB client's count of requests sent, on the Lambda entry point.
    pub fn dynamodb_requests(&self) -> Option<&stratum_infra::store::dynamodb::RequestCounter> {
        match &self.transport {
            Transport::Lambda { pipeline, .. } => Some(pipeline.store.requests()),
            Transport::Local { .. } => None,
        }
    }
}

/// `method path` with `headers` and a body of its media type, as an API Gateway v2 event to the
/// adapter in front of `router`.
pub(super) async fn send(
    router: &axum::Router,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<(&str, String)>,
) -> Reply {
    let mut headers = headers.to_vec();
    if let Some((content_type, _)) = &body {
        headers.push(("content-type", content_type));
    }
    let body = body.map(|(_, body)| body);
    let event = stratum_tests::http_event(method, path, &headers, body.as_deref());
    let payload: LambdaRequest = serde_json::from_value(event).unwrap();
    let adapter = lambda_http::Adapter::from(router.clone());
    let response = adapter
        .oneshot(LambdaEvent::new(payload, Context::default()))
        .await
        .unwrap();
    let response = serde_json::to_value(response).unwrap();
    let headers = response["headers"]
        .as_object()
        .map(|h| {
            h.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_owned()))
                .collect()
        })
        .unwrap_or_default();
    let body = response["body"]
        .as_str()
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or(Value::Null);
    Reply {
        status: response["statusCode"].as_u64().unwrap() as u16,
        headers,
        body,
    }
}
